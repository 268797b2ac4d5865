// FAQ chat widget. Progressive enhancement: without this script the button is a link to the full-page chat
// (/faq/), which works with plain form posts. With it, the link becomes a button that opens a modal <dialog>
// (focus moves into it, Escape closes it, focus returns to the button), questions go to /faq/ask.json with
// the CSRF token, and every text that comes back is put into the page with textContent, never as HTML.
// All words shown come from the <template> elements of faq/widget.html, so they are translated server-side.
(function () {
  "use strict";

  var root = document.querySelector("[data-faq-widget]");
  if (!root || typeof window.fetch !== "function" || typeof window.HTMLDialogElement !== "function") {
    return;
  }
  var link = root.querySelector("[data-faq-link]");
  var opener = root.querySelector("[data-faq-open]");
  var dialog = root.querySelector("dialog");
  var closer = root.querySelector("[data-faq-close]");
  var form = root.querySelector("[data-faq-form]");
  var input = form.querySelector("input[name=question]");
  var error = root.querySelector("[data-faq-error]");
  var log = root.querySelector("[data-faq-log]");
  var status = root.querySelector("[data-faq-status]");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var askUrl = root.getAttribute("data-ask-url");
  var feedbackUrl = root.getAttribute("data-feedback-url");
  var pageLang = document.documentElement.lang || "ja";
  var busy = false;

  link.hidden = true;
  opener.hidden = false;

  // What opened the dialog gets the focus back when it closes: the card's button or the navigation's link.
  var returnTo = opener;
  function openDialog(from) {
    returnTo = from;
    dialog.showModal();
    input.focus();
  }
  opener.addEventListener("click", function () {
    openDialog(opener);
  });
  // The navigation's link (faq_nav_link) opens the same dialog; without this script it opens /faq/.
  Array.prototype.forEach.call(document.querySelectorAll("[data-faq-nav]"), function (navLink) {
    navLink.setAttribute("aria-haspopup", "dialog");
    navLink.addEventListener("click", function (event) {
      event.preventDefault();
      openDialog(navLink);
    });
  });
  closer.addEventListener("click", function () {
    dialog.close();
  });
  dialog.addEventListener("close", function () {
    returnTo.focus();
  });
  dialog.addEventListener("click", function (event) {
    // A click on the backdrop (outside the dialog's box) closes it, as Escape does.
    if (event.target !== dialog) {
      return;
    }
    var box = dialog.getBoundingClientRect();
    var inside =
      event.clientX >= box.left && event.clientX <= box.right && event.clientY >= box.top && event.clientY <= box.bottom;
    if (!inside) {
      dialog.close();
    }
  });

  function clone(name) {
    var template = root.querySelector('template[data-faq-template="' + name + '"]');
    return template.content.firstElementChild.cloneNode(true);
  }

  function slot(element, name) {
    return element.querySelector('[data-slot="' + name + '"]');
  }

  function safeUrl(url) {
    // Only paths of this site (the server builds them); anything else becomes a dead link.
    return typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/" ? url : "#";
  }

  function setLink(anchor, url, text) {
    anchor.href = safeUrl(url);
    if (typeof text === "string") {
      anchor.textContent = text;
    }
  }

  function show(element) {
    element.hidden = false;
  }

  function markLanguage(element, lang) {
    if (lang && lang !== pageLang) {
      element.lang = lang;
    }
  }

  function append(element, focus) {
    log.appendChild(element);
    if (focus) {
      present(element);
    } else {
      element.scrollIntoView({ block: "nearest" });
    }
  }

  function present(element) {
    // Show a reply from its top (what follows it can be scrolled to) and move the focus to it, so that
    // screen readers read it and the keyboard continues from its links.
    element.scrollIntoView({ block: "start" });
    element.focus({ preventScroll: true });
  }

  function showError(message) {
    var box = clone("error");
    if (message) {
      slot(box, "message").textContent = message;
    }
    append(box, true);
  }

  function setFieldError(on) {
    error.hidden = !on;
    if (on) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", "faq-widget-error faq-widget-hint");
    } else {
      input.removeAttribute("aria-invalid");
      input.setAttribute("aria-describedby", "faq-widget-hint");
    }
  }

  function renderRelated(data) {
    if (!data.related || !data.related.length) {
      return;
    }
    var box = clone("related");
    if (data.kind !== "answer") {
      slot(box, "title-answer").hidden = true;
      show(slot(box, "title-abstain"));
    }
    var list = slot(box, "list");
    data.related.forEach(function (item) {
      var li = document.createElement("li");
      var anchor = document.createElement("a");
      setLink(anchor, item.url, item.question);
      markLanguage(anchor, item.lang);
      li.appendChild(anchor);
      list.appendChild(li);
    });
    append(box, false);
  }

  function sendFeedback(card, token, helpful) {
    var body = new FormData();
    body.append("token", token);
    body.append("helpful", helpful);
    fetch(feedbackUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("feedback refused");
        }
        slot(card, "feedback").hidden = true;
        var thanks = slot(card, helpful === "yes" ? "thanks-yes" : "thanks-no");
        show(thanks);
        thanks.focus();
      })
      .catch(function () {
        showError();
      });
  }

  function renderAnswer(data) {
    var entry = data.answer;
    var card = clone("answer");
    var category = slot(card, "category");
    if (entry.category) {
      category.textContent = entry.category;
    } else {
      category.hidden = true;
    }
    var title = slot(card, "title");
    title.textContent = entry.question;
    markLanguage(title, entry.lang);
    var text = slot(card, "answer");
    var easyFirst = Boolean(data.easy_preferred && entry.easy_answer);
    text.textContent = easyFirst ? entry.easy_answer : entry.answer;
    markLanguage(text, entry.lang);
    if (entry.easy_answer) {
      var other = slot(card, "other");
      slot(card, "other-text").textContent = easyFirst ? entry.answer : entry.easy_answer;
      if (easyFirst) {
        slot(card, "show-easy").hidden = true;
        show(slot(card, "show-plain"));
      }
      show(other);
    }
    if (entry.lang === "ja" && pageLang === "en") {
      show(slot(card, "only-japanese"));
    }
    if (data.unsure) {
      show(slot(card, "unsure"));
    }
    if (entry.procedure) {
      setLink(slot(card, "procedure"), entry.procedure.url, entry.procedure.name);
      show(slot(card, "procedure-item"));
    }
    if (entry.guide) {
      setLink(slot(card, "guide"), entry.guide.url, entry.guide.label);
      show(slot(card, "guide-item"));
    }
    setLink(slot(card, "entry"), entry.url);
    setLink(slot(card, "inquiry"), data.inquiry_url);
    var feedback = slot(card, "feedback");
    var labelId = "faq-feedback-" + Math.random().toString(36).slice(2);
    slot(card, "feedback-label").id = labelId;
    feedback.setAttribute("aria-labelledby", labelId);
    Array.prototype.forEach.call(card.querySelectorAll("[data-helpful]"), function (button) {
      button.addEventListener("click", function () {
        sendFeedback(card, data.token, button.getAttribute("data-helpful"));
      });
    });
    var titleId = "faq-answer-" + Math.random().toString(36).slice(2);
    title.id = titleId;
    card.setAttribute("aria-labelledby", titleId);
    log.appendChild(card);
    renderRelated(data);
    present(card);
  }

  function renderStatus(data) {
    var box = clone("status");
    if (!data.signed_in) {
      setLink(slot(box, "login"), data.login_url);
      show(slot(box, "anonymous"));
    } else if (!data.cases || !data.cases.length) {
      show(slot(box, "none"));
    } else {
      var list = slot(box, "cases");
      data.cases.forEach(function (item) {
        var li = document.createElement("li");
        var anchor = document.createElement("a");
        setLink(anchor, item.url, item.reference);
        li.appendChild(anchor);
        li.appendChild(document.createTextNode(" " + item.status_label + " · " + item.procedure));
        list.appendChild(li);
      });
      setLink(slot(box, "mypage"), data.mypage_url);
      show(slot(box, "some"));
    }
    append(box, true);
  }

  function render(data) {
    if (data.kind === "empty") {
      setFieldError(true);
      input.focus();
      return;
    }
    var question = clone("question");
    slot(question, "question").textContent = data.question;
    if (data.shortened) {
      show(slot(question, "shortened"));
    }
    append(question, false);
    if (data.kind === "answer" && data.answer) {
      renderAnswer(data);
    } else if (data.kind === "status") {
      renderStatus(data);
    } else {
      var box = clone(data.kind === "human" ? "human" : "abstain");
      setLink(slot(box, "inquiry"), data.inquiry_url);
      log.appendChild(box);
      renderRelated(data);
      present(box);
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) {
      return;
    }
    if (!input.value.trim()) {
      setFieldError(true);
      input.focus();
      return;
    }
    setFieldError(false);
    busy = true;
    var thinking = clone("thinking");
    log.appendChild(thinking);
    status.textContent = thinking.textContent;
    var body = new FormData(form);
    input.value = "";
    fetch(askUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (result) {
        thinking.remove();
        status.textContent = "";
        if (result.ok) {
          render(result.data);
        } else {
          showError(result.data && result.data.message);
        }
      })
      .catch(function () {
        thinking.remove();
        status.textContent = "";
        showError();
      })
      .finally(function () {
        busy = false;
      });
  });
})();
