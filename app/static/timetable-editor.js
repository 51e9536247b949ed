/* «Редактор расписания»: checks the grid for clashes as cells change and adds a place for one more
   group when a cell's last place is filled. Without it the page works as plain forms
   («Проверить», «Сохранить»). The check posts the whole form (its CSRF token included) to
   the page's JSON address and shows each cell's clashes under it; it writes nothing. */
(function () {
  "use strict";

  var form = document.getElementById("tte-form");
  if (!form) { return; }
  var status = document.getElementById("tte-status");
  var timer = null;
  var asked = 0;

  function show(problems) {
    Array.prototype.forEach.call(form.querySelectorAll(".tte-cell"), function (cell) {
      var found = problems[cell.dataset.key] || [];
      var list = cell.querySelector(".tte-problems");
      while (list.firstChild) { list.removeChild(list.firstChild); }
      found.forEach(function (text) {
        var item = document.createElement("li");
        item.textContent = text;
        list.appendChild(item);
      });
      cell.classList.toggle("tte-conflict", found.length > 0);
    });
  }

  function check() {
    var mine = ++asked;
    status.textContent = "Проверка…";
    status.className = "small text-muted";
    var body = new FormData(form);
    fetch(form.dataset.checkUrl, { method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (mine !== asked) { return; }
        show(answer.problems || {});
        var count = Object.keys(answer.problems || {}).reduce(function (sum, key) {
          return sum + answer.problems[key].length;
        }, 0);
        if (answer.error) {
          status.textContent = answer.error;
          status.className = "small text-danger";
        } else if (count) {
          status.textContent = "Конфликтов: " + count + " — они показаны в клетках.";
          status.className = "small text-danger";
        } else {
          status.textContent = "Конфликтов нет.";
          status.className = "small text-success";
        }
      })
      .catch(function () {
        if (mine !== asked) { return; }
        status.textContent = "Не удалось проверить расписание: нажмите «Проверить».";
        status.className = "small text-danger";
      });
  }

  function addPlace(select) {
    var entry = select.closest(".tte-entry");
    var box = entry.parentNode;
    var places = box.querySelectorAll(".tte-entry");
    if (entry !== places[places.length - 1] || !select.value) { return; }
    if (places.length >= parseInt(form.dataset.max, 10)) { return; }
    var copy = entry.cloneNode(true);
    var index = places.length;
    Array.prototype.forEach.call(copy.querySelectorAll("select"), function (field) {
      var name = field.name.replace(/-\d+$/, "-" + index);
      field.name = name;
      field.id = name;
      field.value = "";
      field.setAttribute("aria-label", field.getAttribute("aria-label").replace(/\d+$/, String(index + 1)));
    });
    box.appendChild(copy);
  }

  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.classList.contains("tte-lesson")) { addPlace(target); }
    if (target.classList.contains("tte-lesson") || target.classList.contains("tte-room") || target.id === "valid_from") {
      clearTimeout(timer);
      timer = setTimeout(check, 250);
    }
  });
}());
