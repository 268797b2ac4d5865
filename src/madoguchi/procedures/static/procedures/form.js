// Procedure forms: fill the address from the postal code (yubin bango -> jusho).
// Progressive enhancement only: every form works without this script, and the server validates everything.
// Loaded with <script src=".../procedures/form.js" defer> (no inline scripts: CSP script-src 'self').
(function () {
  "use strict";

  var FULLWIDTH_DIGITS = /[\uFF10-\uFF19]/g; // full-width digits
  var NOT_DIGITS = /[^0-9]/g;

  function digitsOf(text) {
    return text
      .replace(FULLWIDTH_DIGITS, function (ch) {
        return String.fromCharCode(ch.charCodeAt(0) - 0xfee0);
      })
      .replace(NOT_DIGITS, "");
  }

  function fillAddress(input) {
    var code = digitsOf(input.value);
    var target = document.getElementById(input.getAttribute("data-autofill-target"));
    if (code.length !== 7 || !target || target.value.trim() !== "" || input.dataset.autofillLast === code) {
      return;
    }
    input.dataset.autofillLast = code;
    var url = (input.getAttribute("data-autofill-url") || "/api/v1/postal-codes/") + encodeURIComponent(code);
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (address) {
        if (!address || target.value.trim() !== "") {
          return;
        }
        var text = [address.prefecture, address.city, address.town].filter(Boolean).join("");
        if (!text) {
          return;
        }
        target.value = text;
        var status = document.getElementById(input.getAttribute("data-autofill-status"));
        if (status) {
          status.textContent = input.getAttribute("data-autofill-done") || "";
        }
      })
      .catch(function () {
        // Offline or the lookup failed: the resident types the address; nothing to report.
      });
  }

  function onChange(event) {
    var input = event.target;
    if (input && input.matches && input.matches("input[data-autofill-target]")) {
      fillAddress(input);
    }
  }

  document.addEventListener("input", onChange);
  document.addEventListener("change", onChange);
})();
