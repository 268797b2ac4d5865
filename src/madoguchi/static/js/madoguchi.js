// Madoguchi: the only script of the portal. Everything works without it; it only moves the focus to an
// error summary when a form comes back with errors, so screen-reader and keyboard users hear it first, and
// on the steps of a form (h1[data-focus-step]) to the heading where the new step's content starts.
(function () {
  "use strict";
  function focusErrorSummary() {
    var summary = document.querySelector("[data-focus-on-load]") || document.querySelector("h1[data-focus-step]");
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
