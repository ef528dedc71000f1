// IronRelay dashboard: live counts and optional page refresh, no framework.
(function () {
  "use strict";
  var KEY = "ironrelay.live";
  var box = document.getElementById("live-refresh");
  if (box) {
    box.checked = localStorage.getItem(KEY) === "1";
    box.addEventListener("change", function () { localStorage.setItem(KEY, box.checked ? "1" : "0"); });
    setInterval(function () {
      // Reload lists and details while live is on, unless the user is typing or selecting.
      var busy = document.activeElement && /INPUT|SELECT|TEXTAREA/.test(document.activeElement.tagName);
      var selected = document.querySelector("input[name=ids]:checked");
      if (box.checked && !busy && !selected) { location.reload(); }
    }, 10000);
  }
  // The overview's counts are refreshed from the small JSON endpoint every 5 seconds.
  var counters = document.querySelectorAll("[data-count]");
  if (counters.length) {
    var url = document.body.getAttribute("data-summary-url");
    setInterval(function () {
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
        if (!data) { return; }
        counters.forEach(function (el) {
          var path = el.getAttribute("data-count").split(".");
          var value = data[path[0]] && data[path[0]][path[1]];
          var link = el.querySelector("a") || el;
          if (value !== undefined) { link.textContent = value; }
        });
      }).catch(function () {});
    }, 5000);
  }
  var all = document.querySelector("[data-check-all]");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name=ids]").forEach(function (c) { c.checked = all.checked; });
    });
  }
})();
