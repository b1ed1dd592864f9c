// Live updates. A curator's pages hold one server-sent-events stream of their notifications
// (the gateway proxies the notifications service's stream of the logged-in curator). Each
// notification is shown in the live feed; a request page then re-reads its status. The page
// also re-reads the status whenever the stream (re)connects ("ready"), so a change that
// happened while the stream was down, or before it first opened, is not missed.
// Pages of roles without a notification stream (dispatcher, heads) poll the status instead.
(function () {
  "use strict";
  var box = document.querySelector("[data-live-request]");
  var feed = document.querySelector("[data-live-feed]");
  var statusEl = document.querySelector("[data-testid=request-status]");

  function apply(data) {
    if (statusEl.getAttribute("data-status") !== data.status) {
      statusEl.setAttribute("data-status", data.status);
      statusEl.textContent = data.status_label;
    }
    data.tasks.forEach(function (task) {
      var row = document.querySelector('tr[data-task="' + task.task_id + '"]');
      if (!row) { return; }
      var cell = row.querySelector(".task-status");
      cell.setAttribute("data-status", task.status);
      cell.textContent = task.status_label;
      row.querySelector(".task-note").textContent = task.note || "";
    });
  }

  function refresh() {
    if (!box) { return Promise.resolve(); }
    var id = box.getAttribute("data-live-request");
    return fetch("/api/requests/" + encodeURIComponent(id) + "/status", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { apply(data); } })
      .catch(function () {});
  }

  function show(item) {
    var entry = document.createElement("li");
    entry.className = item.urgent ? "urgent" : "";
    entry.textContent = item.text;
    feed.querySelector("ul").prepend(entry);
    feed.hidden = false;
  }

  var retryMs = 2000;
  function connect() {
    var source = new EventSource("/api/live/notifications");
    source.addEventListener("ready", function () {
      retryMs = 2000;
      feed.setAttribute("data-state", "open");
      refresh();
    });
    source.addEventListener("notification", function (event) {
      show(JSON.parse(event.data));
      refresh();
    });
    source.onerror = function () {
      feed.setAttribute("data-state", "reconnecting");
      // A dropped connection is retried by the browser itself; a refused one (the gateway
      // answered 503 or 401) closes the source for good, so open a new one after a while.
      if (source.readyState === EventSource.CLOSED) {
        window.setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 60000);
      }
    };
  }

  if (feed && window.EventSource) {
    connect();
  } else if (box) {
    var poll = function () {
      refresh().then(function () { window.setTimeout(poll, 2000); });
    };
    window.setTimeout(poll, 2000);
  }
})();

// Heads' dashboard: the live counts of requests by status are re-read every 15 seconds
// (same filters as the page) without reloading it, so the filter form keeps what is typed.
(function () {
  "use strict";
  var table = document.querySelector("[data-live-report]");
  if (!table) { return; }
  var total = document.querySelector("[data-live-total]");
  var state = document.querySelector("[data-live-state]");

  function apply(data) {
    var counts = (data.live && data.live.by_status) || {};
    var rows = table.querySelectorAll("tr[data-status]");
    var top = 0;
    Object.keys(counts).forEach(function (k) { top = Math.max(top, counts[k]); });
    var sum = 0;
    rows.forEach(function (row) {
      var n = counts[row.getAttribute("data-status")] || 0;
      sum += n;
      row.querySelector(".count").textContent = String(n);
      var bar = row.querySelector(".bar");
      if (bar) { bar.style.width = (top > 0 ? Math.round(100 * n / top) : 0) + "%"; }
    });
    if (total) { total.textContent = String(sum); }
    if (state) { state.setAttribute("data-updated", new Date().toISOString()); }
  }

  function poll() {
    fetch(table.getAttribute("data-live-report"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { apply(data); } })
      .catch(function () {})
      .then(function () { window.setTimeout(poll, 15000); });
  }
  window.setTimeout(poll, 15000);
})();
