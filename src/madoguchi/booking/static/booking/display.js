// The waiting-room display: poll the feed every 5 s and, when a new number is called, redraw the list and
// announce it through the aria-live region. Without JavaScript the page's meta refresh does the same.
(function () {
  "use strict";
  var root = document.getElementById("display");
  if (!root || !window.fetch) { return; }
  var list = document.getElementById("display-list");
  var announce = document.getElementById("display-announce");
  var meta = document.querySelector('meta[http-equiv="refresh"]');
  if (meta) { meta.parentNode.removeChild(meta); }
  var latest = announce.textContent.trim();
  function item(called, first) {
    var li = document.createElement("li");
    li.className = "display-item" + (first ? " display-item--latest" : "");
    var number = document.createElement("span");
    number.className = "display-number";
    number.textContent = called.label;
    var desk = document.createElement("span");
    desk.className = "display-desk";
    desk.textContent = called.desk ? called.desk + " " + root.dataset.deskLabel : "";
    var where = document.createElement("span");
    where.className = "display-window";
    where.textContent = called.window;
    li.append(number, " ", desk, " ", where);
    return li;
  }
  function poll() {
    fetch(root.dataset.feed, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || !data.called.length) { return; }
        var top = data.called[0];
        var text = root.dataset.announce.replace("{label}", top.label).replace("{desk}", top.desk || "");
        if (text === latest) { return; }
        latest = text;
        list.replaceChildren.apply(list, data.called.map(function (c, i) { return item(c, i === 0); }));
        announce.textContent = text;
      })
      .catch(function () {});
  }
  setInterval(poll, 5000);
}());
