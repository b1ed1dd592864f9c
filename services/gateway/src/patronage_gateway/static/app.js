// Live status of a help request: polls the gateway's status API while the page is open.
(function () {
  "use strict";
  var box = document.querySelector("[data-live-request]");
  if (!box) { return; }
  var id = box.getAttribute("data-live-request");
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
  function poll() {
    fetch("/api/requests/" + encodeURIComponent(id) + "/status", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { apply(data); } })
      .catch(function () {})
      .then(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 2000);
})();
