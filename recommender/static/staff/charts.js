// The staff pages' charts, drawn by Chart.js (vendored) from data the page carries in <script type="application/json">
// (Django's json_script). Every chart also has a text alternative in the page itself (a table or a sentence).
(function () {
  "use strict";
  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }
  function axes(xTitle, yTitle, extra) {
    var scales = {
      x: { title: { display: true, text: xTitle } },
      y: { title: { display: true, text: yTitle }, beginAtZero: true },
    };
    if (extra) Object.keys(extra).forEach(function (k) { Object.assign(scales[k], extra[k]); });
    return scales;
  }
  function chart(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas || !window.Chart) return null;
    var narrow = window.innerWidth < 600;  // a phone: taller charts, so the bars and labels stay readable
    config.options = Object.assign({ responsive: true, maintainAspectRatio: true, aspectRatio: narrow ? 1 : 2, animation: false }, config.options || {});
    return new window.Chart(canvas, config);
  }
  function title(text) { return { title: { display: true, text: text } }; }
  window.moviesiteCharts = { data: data, axes: axes, chart: chart, title: title };

  document.addEventListener("DOMContentLoaded", function () {
    var runs = data("runs-chart-data");
    if (runs) {
      chart("runs-chart", {
        type: "line",
        data: {
          labels: runs.labels,
          datasets: [
            { label: "HR@10", data: runs.hr, borderColor: "#1d4ed8", backgroundColor: "#1d4ed8" },
            { label: "NDCG@10", data: runs.ndcg, borderColor: "#b45309", backgroundColor: "#b45309" },
            { label: "popularity HR@10", data: runs.baseline_hr, borderColor: "#6b7280", borderDash: [6, 4], pointRadius: 0 },
          ],
        },
        options: { plugins: title("HR@10 and NDCG@10 across runs"), scales: axes("run", "metric (0 to 1)") },
      });
    }
  });
})();
