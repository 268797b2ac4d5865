// The public waiting times: every minute, fetch this page again and swap in its figures (no full reload, so
// the reader keeps their place). Without JavaScript the page has a link to reload it.
(function () {
  "use strict";
  var root = document.getElementById("waiting-times");
  if (!root || !window.fetch || !window.DOMParser) { return; }
  var seconds = parseInt(root.dataset.refresh, 10) || 60;
  setInterval(function () {
    fetch(window.location.href, { headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("waiting-times");
        if (fresh) { root.replaceChildren.apply(root, Array.prototype.slice.call(fresh.childNodes)); }
      })
      .catch(function () {});
  }, seconds * 1000);
}());
