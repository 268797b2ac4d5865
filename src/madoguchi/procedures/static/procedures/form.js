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

  // Conditional fields (required_if): the server hides a field whose condition does not hold for the answers
  // saved so far (and asks it after the step is sent, without this script); here it appears and disappears
  // as the resident answers. data-show-when holds the condition: {"field", "equals"|"in"|"filled"}.
  var TRUE_VALUES = ["on", "true", "1", "yes"];

  function answersOf(form, name) {
    var values = [];
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if ((input.type === "checkbox" || input.type === "radio") && !input.checked) {
        continue;
      }
      if (input.type === "file") {
        if (input.files && input.files.length) {
          values.push(input.files[0].name);
        }
        continue;
      }
      if (input.tagName === "SELECT" && input.multiple) {
        for (var j = 0; j < input.options.length; j++) {
          if (input.options[j].selected) {
            values.push(input.options[j].value);
          }
        }
        continue;
      }
      values.push(input.value);
    }
    return values;
  }

  function holds(condition, values) {
    var filled = values.some(function (v) {
      return String(v).trim() !== "";
    });
    if ("filled" in condition) {
      return filled === condition.filled;
    }
    var wanted = "in" in condition ? condition["in"] : [condition.equals];
    return wanted.some(function (want) {
      if (typeof want === "boolean") {
        var ticked = values.some(function (v) {
          return TRUE_VALUES.indexOf(String(v).toLowerCase()) !== -1;
        });
        return ticked === want;
      }
      return values.some(function (v) {
        return String(v).trim() === String(want);
      });
    });
  }

  function updateConditionalFields(form) {
    var blocks = form.querySelectorAll("[data-show-when]");
    for (var i = 0; i < blocks.length; i++) {
      var condition;
      try {
        condition = JSON.parse(blocks[i].getAttribute("data-show-when"));
      } catch (error) {
        continue; // the server's choice stands
      }
      blocks[i].hidden = !holds(condition, answersOf(form, condition.field));
    }
  }

  function onAnswer(event) {
    var form = event.target && event.target.form;
    if (form && form.querySelector("[data-show-when]")) {
      updateConditionalFields(form);
    }
  }

  document.addEventListener("input", onChange);
  document.addEventListener("change", onChange);
  document.addEventListener("input", onAnswer);
  document.addEventListener("change", onAnswer);
})();
