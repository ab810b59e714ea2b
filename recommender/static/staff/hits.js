// Hits by group: one bar chart per grouping (hit rate, 0 to 1), from the page's json_script data.
(function () {
  "use strict";
  var axes = { age: "age bucket", gender: "gender", ratings: "ratings by the user" };
  var titles = { age: "Hit rate by age", gender: "Hit rate by gender", ratings: "Hit rate by number of ratings" };
  document.addEventListener("DOMContentLoaded", function () {
    var c = window.moviesiteCharts;
    var d = c && c.data("hits-data");
    if (!d) return;
    Object.keys(axes).forEach(function (dimension) {
      var rows = d.groups[dimension] || [];
      c.chart("chart-hits-" + dimension, {
        type: "bar",
        data: { labels: rows.map(function (r) { return r[0]; }),
                datasets: [{ label: "hit rate", data: rows.map(function (r) { return r[3]; }), backgroundColor: "#1d4ed8" }] },
        options: { plugins: Object.assign({ legend: { display: false } }, c.title(titles[dimension])),
                   scales: c.axes(axes[dimension], "hit rate (HR@10)", { y: { min: 0, max: 1 } }) },
      });
    });
  });
})();
