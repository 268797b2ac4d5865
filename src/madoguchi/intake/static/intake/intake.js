/* Paper intake: drag and drop onto the file input (the plain input works without this), and the keyboard
   shortcuts of the verification screen (Enter accepts: the browser's own form submission; Esc skips). */
(function () {
  "use strict";

  var drop = document.querySelector("[data-intake-drop]");
  if (drop) {
    var input = drop.querySelector("input[type=file]");
    var chosen = drop.querySelector("[data-intake-chosen]");
    var show = function () {
      var names = Array.prototype.map.call(input.files, function (f) { return f.name; });
      chosen.textContent = names.length ? names.length + ": " + names.join(", ") : "";
    };
    input.addEventListener("change", show);
    ["dragenter", "dragover"].forEach(function (type) {
      drop.addEventListener(type, function (event) {
        event.preventDefault();
        drop.classList.add("intake-drop--over");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      drop.addEventListener(type, function () { drop.classList.remove("intake-drop--over"); });
    });
    drop.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        show();
      }
    });
  }

  var verify = document.querySelector("[data-intake-verify]");
  if (verify) {
    var skip = verify.querySelector("[data-intake-skip]");
    var first = verify.querySelector("form input:not([type=hidden]), form select, form textarea");
    if (first && !verify.querySelector("[role=alert]")) {
      first.focus();
      if (first.select && (first.type === "text" || first.type === "tel" || first.type === "number")) { first.select(); }
    }
    var form = verify.querySelector("form");
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && skip) {
        event.preventDefault();
        window.location.href = skip.href;
        return;
      }
      // Enter accepts from any input of the field (a tick box, a choice, a list too: browsers submit only
      // from text inputs); in a text area Ctrl+Enter, since Enter starts a new line there.
      var target = event.target;
      if (event.key !== "Enter" || !form || !form.contains(target) || target.tagName === "BUTTON" || target.tagName === "A") {
        return;
      }
      if (target.tagName === "TEXTAREA" && !event.ctrlKey) { return; }
      event.preventDefault();
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    });
  }
})();
