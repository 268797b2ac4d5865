/* The benefit desk: bank and branch names as the codes are typed, codes found by name, printing the receipt.
   Progressive: without it the review step shows the names, and the browser prints. */
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  function lookup(url, params) {
    var query = new URLSearchParams(params).toString();
    return fetch(url + "?" + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .catch(function () { return null; });
  }

  function setUpAccountForm(form) {
    var url = form.getAttribute("data-lookup");
    var bank = form.querySelector("[name='bank_code']");
    var branch = form.querySelector("[name='branch_code']");
    var bankName = form.querySelector("[data-name-of='bank_code']");
    var branchName = form.querySelector("[data-name-of='branch_code']");
    var fields = form.querySelector("[data-account-fields]");
    var sources = form.querySelectorAll("[name='source'][type='radio']");
    if (!bank || !branch) { return; }

    function showNames() {
      var bankCode = bank.value.trim();
      var branchCode = branch.value.trim();
      if (!bankCode) { bankName.textContent = ""; branchName.textContent = ""; return; }
      lookup(url, { bank: bankCode, branch: branchCode }).then(function (answer) {
        if (!answer) { return; }
        bankName.textContent = answer.bank || (/^\d{4}$/.test(bankCode) ? form.getAttribute("data-unknown-bank") : "");
        branchName.textContent = answer.branch || (answer.bank && /^\d{3}$/.test(branchCode) ? form.getAttribute("data-unknown-branch") : "");
      });
    }
    var later = debounce(showNames, 200);
    bank.addEventListener("input", later);
    branch.addEventListener("input", later);
    showNames();

    function toggleFields() {
      if (!sources.length || !fields) { return; }
      var chosen = form.querySelector("[name='source']:checked");
      fields.hidden = chosen !== null && chosen.value === "public";
    }
    sources.forEach(function (radio) { radio.addEventListener("change", toggleFields); });
    toggleFields();

    var finder = form.querySelector("[data-finder]");
    if (!finder) { return; }
    finder.hidden = false;
    var text = finder.querySelector("input");
    var results = finder.querySelector("[data-finder-results]");
    var search = debounce(function () {
      var words = text.value.trim();
      results.textContent = "";
      if (!words) { return; }
      var forBranch = /^\d{1,4}$/.test(bank.value.trim());
      var params = forBranch ? { kind: "branch", bank: bank.value.trim(), q: words } : { q: words };
      lookup(url, params).then(function (answer) {
        results.textContent = "";
        var found = (answer && answer.results) || [];
        if (!found.length) {
          var none = document.createElement("li");
          none.textContent = form.getAttribute("data-no-results");
          results.appendChild(none);
          return;
        }
        found.forEach(function (item) {
          var li = document.createElement("li");
          var button = document.createElement("button");
          button.type = "button";
          button.className = "button button--small button--secondary";
          button.textContent = item.code + " " + item.name;
          button.addEventListener("click", function () {
            var target = forBranch ? branch : bank;
            target.value = item.code;
            showNames();
            text.value = "";
            results.textContent = "";
            (forBranch ? form.querySelector("[name='account_type']") : branch).focus();
          });
          li.appendChild(button);
          results.appendChild(li);
        });
      });
    }, 250);
    text.addEventListener("input", search);
    text.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") { return; }
      event.preventDefault(); // not the form's submit: go to the first candidate instead
      var first = results.querySelector("button");
      if (first) { first.focus(); }
    });
  }

  document.querySelectorAll("[data-account-form]").forEach(setUpAccountForm);
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
