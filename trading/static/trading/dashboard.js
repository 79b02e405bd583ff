// The admin home's charts, drawn with the Chart.js the app serves itself (no CDN).
(function () {
  "use strict";
  function data(id) { return JSON.parse(document.getElementById(id).textContent); }
  var base = data("data-base-currency");
  var money = new Intl.NumberFormat("en-US", {maximumFractionDigits: 2});
  var tooltip = {callbacks: {label: function (ctx) { return ctx.label + ": " + money.format(ctx.parsed.y ?? ctx.parsed) + " " + base; }}};
  function pie(id, rows) {
    var canvas = document.getElementById(id);
    if (!rows.length) { canvas.parentNode.textContent = "No positive values to show."; return; }
    new Chart(canvas, {type: "doughnut",
      data: {labels: rows.map(function (r) { return r.label; }),
             datasets: [{data: rows.map(function (r) { return Math.abs(r.value); })}]},
      options: {animation: false, maintainAspectRatio: false, plugins: {legend: {position: "bottom"}, tooltip: tooltip}}});
  }
  pie("chart-by-account", data("data-by-account"));
  pie("chart-by-symbol", data("data-by-symbol"));
  var series = data("data-over-time");
  new Chart(document.getElementById("chart-over-time"), {type: "line",
    data: {labels: series.map(function (r) { return r.taken_at.slice(0, 16).replace("T", " "); }),
           datasets: [{label: "Net liquidation (" + base + ")", data: series.map(function (r) { return r.net_liquidation; }),
                       fill: false, tension: 0.1, pointRadius: series.length > 50 ? 0 : 3}]},
    options: {animation: false, maintainAspectRatio: false,
              scales: {y: {ticks: {callback: function (v) { return money.format(v); }}}},
              plugins: {legend: {display: false}, tooltip: {callbacks: {label: function (ctx) { return money.format(ctx.parsed.y) + " " + base; }}}}}});
})();
