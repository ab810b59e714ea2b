// The dashboard's charts (Chart.js and its box plot controller, vendored), from the page's json_script data.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var c = window.moviesiteCharts;
    var d = c && c.data("dashboard-data");
    if (!d) return;
    var blue = "#1d4ed8", amber = "#b45309", green = "#15803d";
    function bar(id, chartTitle, labels, values, xTitle, yTitle, color, extra) {
      var options = { plugins: Object.assign({ legend: { display: false } }, c.title(chartTitle)), scales: c.axes(xTitle, yTitle, extra && extra.scales) };
      if (extra && extra.indexAxis) options.indexAxis = extra.indexAxis;
      return c.chart(id, { type: "bar", data: { labels: labels, datasets: [{ label: yTitle, data: values, backgroundColor: color }] }, options: options });
    }
    bar("chart-genres", "Distribution of movie genres", d.genres.labels, d.genres.values, "genre", "movies", blue);
    bar("chart-ratings-genre", "Count of ratings by genre", d.ratings_by_genre.labels, d.ratings_by_genre.values, "genre", "ratings", amber);
    bar("chart-five", "Top 10 movies by number of 5-star ratings", d.top_five_star.map(function (r) { return r.title; }),
        d.top_five_star.map(function (r) { return r.count; }), "5-star ratings", "movie", green,
        { indexAxis: "y", scales: { x: { title: { display: true, text: "5-star ratings" } }, y: { title: { display: true, text: "movie" } } } });
    c.chart("chart-time", {
      type: "line",
      data: { labels: d.over_time.labels, datasets: [{ label: "ratings", data: d.over_time.values, borderColor: blue, backgroundColor: blue, pointRadius: 2 }] },
      options: { plugins: Object.assign({ legend: { display: false } }, c.title("Ratings over time")), scales: c.axes("month", "ratings") },
    });
    bar("chart-per-user", "Ratings per user (log scale)", d.per_user.labels, d.per_user.values, "ratings by the user", "users (log scale)", amber,
        { scales: { y: { type: "logarithmic", beginAtZero: false } } });
    if (d.boxplot.labels.length && window.ChartBoxPlot) {
      c.chart("chart-boxplot", {
        type: "boxplot",
        data: { labels: d.boxplot.labels, datasets: [{ label: "stars", data: d.boxplot.stats, backgroundColor: "rgba(29, 78, 216, 0.25)", borderColor: blue, borderWidth: 1, outlierRadius: 0, itemRadius: 0 }] },
        options: { plugins: Object.assign({ legend: { display: false } }, c.title("Ratings by genre")), scales: c.axes("genre", "stars", { y: { beginAtZero: false, min: 1, max: 5 } }) },
      });
    }
    if (d.coverage.version) {
      var points = d.coverage.lorenz.x.map(function (x, i) { return { x: x, y: d.coverage.lorenz.y[i] }; });
      c.chart("chart-coverage", {
        type: "scatter",
        data: { datasets: [
          { label: "version " + d.coverage.version, data: points, showLine: true, borderColor: blue, backgroundColor: blue, pointRadius: 0 },
          { label: "every movie equally often", data: [{ x: 0, y: 0 }, { x: 1, y: 1 }], showLine: true, borderColor: "#6b7280", borderDash: [6, 4], pointRadius: 0 },
        ] },
        options: { plugins: c.title("Catalogue coverage (Lorenz curve), Gini " + d.coverage.gini.toFixed(3)),
                   scales: c.axes("share of movies (least shown first)", "share of recommendations", { x: { type: "linear", min: 0, max: 1 }, y: { min: 0, max: 1 } }) },
      });
    }
  });
})();
