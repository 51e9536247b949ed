/* The home page's charts (Chart.js, served from static/vendor): the journal's fill by class and by
   teacher. The data is the page's JSON (#home-charts); every chart has its table beside it. */
(function () {
  "use strict";
  var source = document.getElementById("home-charts");
  if (!source || !window.Chart) {
    return;
  }
  var data = JSON.parse(source.textContent);
  function draw(id, series) {
    var canvas = document.getElementById(id);
    if (!canvas || !series.labels.length) {
      return;
    }
    canvas.parentElement.style.height = Math.max(160, series.labels.length * 22 + 40) + "px";
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: series.labels,
        datasets: [{
          label: "Заполнено, %",
          data: series.values,
          backgroundColor: series.values.map(function (v) { return v >= 95 ? "#5cb85c" : v >= 80 ? "#f0ad4e" : "#d9534f"; })
        }]
      },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        animation: false,
        scales: { x: { min: 0, max: 100, ticks: { callback: function (v) { return v + " %"; } } } },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: function (item) { return "заполнено " + item.raw + " %"; } } }
        }
      }
    });
  }
  draw("chart-classes", data.classes);
  draw("chart-teachers", data.teachers);
})();
