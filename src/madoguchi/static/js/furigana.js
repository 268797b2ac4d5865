// Procedure forms: suggest the フリガナ (katakana reading) of a name once the name has been typed.
// Progressive enhancement only: without this script the resident types the reading (and the server suggests
// one when it is left empty). Loaded with <script src=".../js/furigana.js" defer> (CSP script-src 'self').
// The form says which fields pair up: data-furigana-pairs="f-name:f-kana,..." and data-furigana-url.
// A reading is filled in only while the kana field is empty or still holds our own earlier suggestion, so
// whatever the resident typed or corrected is never overwritten.
(function () {
  "use strict";

  var form = document.querySelector("form[data-furigana-url][data-furigana-pairs]");
  if (!form || !window.fetch) {
    return;
  }
  var url = form.getAttribute("data-furigana-url");
  var status = document.getElementById(form.getAttribute("data-furigana-status") || "");
  var doneText = form.getAttribute("data-furigana-done") || "";

  function untouched(kana) {
    return kana.value.trim() === "" || kana.value === kana.getAttribute("data-furigana-suggested");
  }

  function suggest(nameInput, kana) {
    var name = nameInput.value.trim();
    if (!name || name.length > 50 || !untouched(kana)) {
      return;
    }
    fetch(url + "?name=" + encodeURIComponent(name), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        // The name may have changed meanwhile, or the resident started typing the reading: leave it.
        if (!data || !data.reading || nameInput.value.trim() !== name || !untouched(kana)) {
          return;
        }
        kana.value = data.reading;
        kana.setAttribute("data-furigana-suggested", data.reading);
        if (status) {
          status.textContent = doneText;
        }
      })
      .catch(function () {
        // Offline or rate-limited: the resident types the reading; nothing to report.
      });
  }

  form
    .getAttribute("data-furigana-pairs")
    .split(",")
    .forEach(function (pair) {
      var ids = pair.split(":");
      var nameInput = document.getElementById(ids[0]);
      var kana = document.getElementById(ids[1]);
      if (!nameInput || !kana) {
        return; // a read-only register value has no input
      }
      nameInput.addEventListener("change", function () {
        suggest(nameInput, kana);
      });
    });
})();
