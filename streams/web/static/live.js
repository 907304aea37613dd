// newswatch dashboard: live alerts without a reload. Served as a file because the
// Content-Security-Policy forbids inline script. Polls /api/alerts/version; when it changes,
// fetches the server-rendered (escaped) rows and swaps them in.
"use strict";

(function () {
  function parseRows(html) {
    // rows parsed inside a table so that <tr> survives; no script runs in a parsed document
    var doc = new DOMParser().parseFromString("<table><tbody>" + html + "</tbody></table>", "text/html");
    return Array.prototype.slice.call(doc.querySelectorAll("tbody > tr"));
  }

  function start(tbody) {
    var version = tbody.getAttribute("data-version");
    var interval = parseInt(tbody.getAttribute("data-interval"), 10) || 5000;
    var status = document.getElementById("live-status");
    var busy = false;

    function refresh() {
      return fetch(tbody.getAttribute("data-rows-url"), { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
        .then(function (html) {
          var rows = parseRows(html);
          tbody.replaceChildren.apply(tbody, rows.map(function (r) { return document.importNode(r, true); }));
          if (status) {
            status.textContent = tbody.querySelectorAll("tr.alert").length + " alerts · updated " + new Date().toLocaleTimeString();
            status.classList.add("fresh");
          }
        });
    }

    function tick() {
      if (busy) { return; }
      busy = true;
      fetch(tbody.getAttribute("data-version-url"), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          var now = data.token;
          if (now !== version) { version = now; return refresh(); }
        })
        .catch(function () { if (status) { status.textContent = "live updates paused (server unreachable)"; } })
        .then(function () { busy = false; });
    }

    window.setInterval(tick, interval);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var tbody = document.getElementById("alert-rows");
    if (tbody) { start(tbody); }
  });
})();
