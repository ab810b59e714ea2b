// A run's page: ask the progress endpoint every 1.5 s and update the bar, the stage, the seconds per stage
// and the log in place; when the run ends, reload once to show its result. Without JavaScript a reload does it.
(function () {
  "use strict";
  function text(box, field, value) {
    var node = box.querySelector('[data-field="' + field + '"]');
    if (node) node.textContent = value;
  }
  function update(box, state) {
    text(box, "status", state.status);
    text(box, "stage", state.stage || "not started");
    text(box, "percent", Math.round(state.progress));
    text(box, "log", state.log.join("\n"));
    var bar = box.querySelector("progress");
    if (bar) { bar.value = state.progress; bar.textContent = Math.round(state.progress) + "%"; }
    Object.keys(state.stage_seconds).forEach(function (stage) {
      var cell = box.querySelector('tr[data-stage="' + stage + '"] td');
      if (cell) cell.textContent = Number(state.stage_seconds[stage]).toFixed(1);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("run-live");
    if (!box || box.getAttribute("data-in-progress") !== "true") return;
    var timer = setInterval(function () {
      fetch(box.getAttribute("data-status-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (state) {
          if (!state) return;
          update(box, state);
          if (state.finished) { clearInterval(timer); window.location.reload(); }
        })
        .catch(function () {});
    }, 1500);
  });
})();
