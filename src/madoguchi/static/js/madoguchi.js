// Madoguchi: the only script of the portal. Everything works without it; it only moves the focus to an
// error summary when a form comes back with errors, so screen-reader and keyboard users hear it first.
(function () {
  "use strict";
  function focusErrorSummary() {
    var summary = document.querySelector("[data-focus-on-load]");
    if (summary) {
      summary.focus();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusErrorSummary);
  } else {
    focusErrorSummary();
  }
})();
