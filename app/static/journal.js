/* The class journal: keyboard entry in the grid, the cell dialog, saves through the JSON endpoints. */
(function () {
  "use strict";

  // Forms that delete something ask first (data-confirm holds the question).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);

  // The file picker shows the chosen name in Russian surroundings, whatever the browser's language.
  function showChosenFile(input) {
    var label = input && input.id === "file" && document.getElementById("file-name");
    if (label) {
      label.textContent = input.files && input.files.length ? input.files[0].name : "файл не выбран";
    }
  }
  document.addEventListener("change", function (event) { showChosenFile(event.target); });
  // A file chosen while the page was still loading (before this script ran) is shown too.
  showChosenFile(document.getElementById("file"));

  var configNode = document.getElementById("jconfig");
  if (!configNode) {
    return;
  }
  var config = JSON.parse(configNode.textContent);
  var cells = config.cells || {};
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var workTypeSelect = document.getElementById("jwt");
  var weightInput = document.getElementById("jweight");

  // A teacher on the Latin layout types the same keys: y is н, p is з, "," is б…
  var LATIN = {
    q: "й", w: "ц", e: "у", r: "к", t: "е", y: "н", u: "г", i: "ш", o: "щ", p: "з", "[": "х", "]": "ъ",
    a: "ф", s: "ы", d: "в", f: "а", g: "п", h: "р", j: "о", k: "л", l: "д", ";": "ж", "'": "э",
    z: "я", x: "ч", c: "с", v: "м", b: "и", n: "т", m: "ь", ",": "б", ".": "ю", "`": "ё"
  };
  var ABSENCE_INPUT = { "н": "unexcused", "нп": "unexcused", "б": "illness", "у": "excused", "уп": "excused", "о": "late", "оп": "late" };
  var WHY = {
    out: "Ученик не числится в классе на эту дату.",
    future: "Урок ещё не наступил: отметки и пропуски ставятся в день урока.",
    ro: "Этот урок доступен вам только для просмотра."
  };

  function reasonLabel(code) {
    for (var i = 0; i < config.absenceReasons.length; i++) {
      if (config.absenceReasons[i].code === code) { return config.absenceReasons[i].label; }
    }
    return code;
  }

  // --- messages ----------------------------------------------------------------------------

  var statusNode = document.getElementById("jstatus");
  if (!statusNode) {
    statusNode = document.createElement("div");
    statusNode.id = "jstatus";
    statusNode.className = "jtoast";
    statusNode.setAttribute("role", "status");
    statusNode.setAttribute("aria-live", "polite");
    document.body.appendChild(statusNode);
  }
  var statusTimer = null;

  function show(message, kind) {
    statusNode.textContent = message;
    statusNode.className = statusNode.className.replace(/\bjs-(ok|error)\b/g, "").trim() + " js-" + (kind || "ok");
    statusNode.classList.add("jvisible");
    window.clearTimeout(statusTimer);
    statusTimer = window.setTimeout(function () { statusNode.classList.remove("jvisible"); }, kind === "error" ? 12000 : 3000);
  }

  // --- talking to the server ---------------------------------------------------------------

  function request(method, url, body) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf }
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () {
        var text = response.redirected ? "Сеанс завершён: войдите в систему снова." : "Ошибка сервера (" + response.status + "). Данные не сохранены.";
        return { error: text };
      }).then(function (data) {
        if (data.cell) { applyCell(data.cell); }
        if (!response.ok || data.error) { throw data; }
        return data;
      });
    }, function () {
      throw { error: "Нет связи с сервером. Данные не сохранены — повторите, когда связь появится." };
    });
  }

  function post(url, body) { return request("POST", url, body); }

  function withId(template, id) { return template.replace(/\/0(\/|$)/, "/" + id + "$1"); }

  // --- cells -------------------------------------------------------------------------------

  function key(studentId, lessonId) { return studentId + ":" + lessonId; }
  function cellOf(td) { return cells[key(td.dataset.s, td.dataset.l)] || { marks: [], absence: null }; }

  function span(className, title, text) {
    var node = document.createElement("span");
    node.className = className;
    node.title = title;
    node.textContent = text;
    return node;
  }

  function renderCell(td, data) {
    while (td.firstChild) { td.removeChild(td.firstChild); }
    if (data.absence) {
      td.appendChild(span("jab jab-" + data.absence.reason, "Пропуск: " + data.absence.label, data.absence.code));
    }
    data.marks.forEach(function (m) {
      td.appendChild(span("jm" + (m.weight > 1 ? " jm-heavy" : ""), m.work_type_name + ", вес " + m.weight, m.value));
    });
  }

  function applyCell(cell) {
    var data = { marks: cell.marks || [], absence: cell.absence || null };
    cells[key(cell.student, cell.lesson)] = data;
    var selector = '[data-s="' + cell.student + '"][data-l="' + cell.lesson + '"]';
    document.querySelectorAll("td.jc" + selector).forEach(function (td) { renderCell(td, data); });
    document.querySelectorAll("select.jabs" + selector).forEach(function (select) {
      select.value = data.absence ? data.absence.reason : "";
      select.dataset.current = select.value;
    });
    var avg = document.getElementById("avg-" + cell.student);
    var wavg = document.getElementById("wavg-" + cell.student);
    if (avg && cell.average !== undefined) { avg.textContent = cell.average; }
    if (wavg && cell.weighted !== undefined) { wavg.textContent = cell.weighted; }
    if (dialogCell && dialogCell.dataset.s === String(cell.student) && dialogCell.dataset.l === String(cell.lesson)) {
      renderDialog();
    }
  }

  function studentName(td) {
    var row = td.closest("tr");
    return row ? row.dataset.name : "";
  }

  // --- what the teacher types --------------------------------------------------------------

  function normalise(text) {
    var lower = text.trim().toLowerCase().replace(/ё/g, "е");
    var hasDigit = /\d/.test(lower);
    return lower.split("").map(function (ch) {
      if (/[a-z]/.test(ch)) { return LATIN[ch] || ch; }
      if (!hasDigit && LATIN[ch]) { return LATIN[ch]; }
      return ch;
    }).join("");
  }

  function parse(text) {
    var t = normalise(text);
    if (!t) { return null; }
    if (ABSENCE_INPUT[t]) { return { absence: ABSENCE_INPUT[t] }; }
    var compact = t.replace(/[\s,;]+/g, "");
    var marks = compact.match(/зч|нз|[1-5]/g) || [];
    if (marks.join("") !== compact) {
      return { error: "Не понятно, что значит «" + text + "». Отметки: 5, 4, 3, 2, 1, зч, нз; пропуски: н, б, уп, оп." };
    }
    return { marks: marks };
  }

  function currentWorkType() { return workTypeSelect ? workTypeSelect.value : (config.workTypes[0] || {}).id; }
  function currentWeight() { return weightInput && weightInput.value ? weightInput.value : null; }

  function saveTyped(td, parsed) {
    var who = studentName(td);
    if (parsed.absence) {
      var before = cellOf(td).absence;
      post(config.urls.absence, {
        lesson: td.dataset.l, student: td.dataset.s, reason: parsed.absence, expected: before ? before.reason : ""
      }).then(function () {
        show(who + ": пропуск — " + reasonLabel(parsed.absence) + ".");
      }, function (err) { show(who + ": " + err.error, "error"); });
      return;
    }
    if (!currentWorkType()) {
      show("Список видов работ пуст: отметку поставить нельзя.", "error");
      return;
    }
    var chain = Promise.resolve();
    parsed.marks.forEach(function (value) {
      chain = chain.then(function () {
        return post(config.urls.addMark, {
          lesson: td.dataset.l, student: td.dataset.s, value: value, work_type: currentWorkType(), weight: currentWeight()
        });
      });
    });
    chain.then(function () {
      show(who + ": " + parsed.marks.join(", ") + " — сохранено.");
    }, function (err) { show(who + ": " + err.error, "error"); });
  }

  // --- moving around the grid --------------------------------------------------------------

  function rowCells(tr) { return Array.prototype.slice.call(tr.querySelectorAll("td.jc")); }

  function neighbour(td, direction) {
    var tr = td.closest("tr");
    var row = rowCells(tr);
    var index = row.indexOf(td);
    if (direction === "left") { return row[index - 1]; }
    if (direction === "right") { return row[index + 1]; }
    if (direction === "home") { return row[0]; }
    if (direction === "end") { return row[row.length - 1]; }
    var other = direction === "up" ? tr.previousElementSibling : tr.nextElementSibling;
    while (other && !other.querySelector("td.jc")) {
      other = direction === "up" ? other.previousElementSibling : other.nextElementSibling;
    }
    return other ? rowCells(other)[index] : null;
  }

  function move(td, direction) {
    var next = direction ? neighbour(td, direction) : null;
    (next || td).focus();
  }

  var KEYS = { ArrowLeft: "left", ArrowRight: "right", ArrowUp: "up", ArrowDown: "down", Home: "home", End: "end" };

  // --- typing into a cell ------------------------------------------------------------------

  var editor = null;

  function startEdit(td, initial) {
    if (td.dataset.why) {
      show(WHY[td.dataset.why] || WHY.ro, "error");
      return;
    }
    var input = document.createElement("input");
    input.type = "text";
    input.className = "jc-input";
    input.setAttribute("aria-label", "Отметка или пропуск: " + studentName(td));
    input.value = initial;
    td.appendChild(input);
    editor = { td: td, input: input };
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
    input.addEventListener("keydown", function (event) {
      var direction = null;
      if (event.key === "Enter") { direction = event.shiftKey ? "up" : "down"; }
      else if (event.key === "Tab") { direction = event.shiftKey ? "left" : "right"; }
      else if (event.key === "ArrowUp" || event.key === "ArrowDown") { direction = KEYS[event.key]; }
      else if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        stopEdit(false);
        td.focus();
        return;
      } else { return; }
      event.preventDefault();
      event.stopPropagation();
      stopEdit(true, direction);
    });
    input.addEventListener("blur", function () { if (editor && editor.input === input) { stopEdit(true, null, true); } });
  }

  function stopEdit(commit, direction, blurred) {
    if (!editor) { return; }
    var td = editor.td;
    var text = editor.input.value;
    editor = null;
    td.removeChild(td.querySelector(".jc-input"));
    if (!blurred) { move(td, direction); }
    if (!commit) { return; }
    var parsed = parse(text);
    if (!parsed) { return; }
    if (parsed.error) { show(parsed.error, "error"); return; }
    saveTyped(td, parsed);
  }

  document.addEventListener("keydown", function (event) {
    var td = event.target;
    if (!td.classList || !td.classList.contains("jc")) { return; }
    if (KEYS[event.key] && !event.altKey && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      move(td, KEYS[event.key]);
    } else if (event.key === "Enter" || event.key === "F2" || event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      openDialog(td);
    } else if (event.key.length === 1 && event.key !== " " && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      startEdit(td, event.key);
    }
  });

  document.addEventListener("dblclick", function (event) {
    var td = event.target.closest && event.target.closest("td.jc");
    if (td) { openDialog(td); }
  });

  // --- the absence list on the lesson page --------------------------------------------------

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.classList || !select.classList.contains("jabs")) { return; }
    var who = select.closest("tr").dataset.name;
    var reason = select.value;
    post(config.urls.absence, {
      lesson: select.dataset.l, student: select.dataset.s, reason: reason, expected: select.dataset.current || ""
    }).then(function () {
      show(who + ": " + (reason ? "пропуск — " + reasonLabel(reason) : "пропуск снят") + ".");
    }, function (err) {
      select.value = select.dataset.current || "";
      show(who + ": " + err.error, "error");
    });
  });

  // --- the cell dialog: every mark with its work type and weight, the absence ----------------

  var dialogCell = null;
  var dialogNode = document.getElementById("jdialog");

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") { node.textContent = attrs[name]; }
      else if (name === "className") { node.className = attrs[name]; }
      else { node.setAttribute(name, attrs[name]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function options(select, items, selected) {
    items.forEach(function (item) {
      var option = el("option", { value: item[0], text: item[1] });
      if (String(item[0]) === String(selected)) { option.selected = true; }
      select.appendChild(option);
    });
    return select;
  }

  function valueSelect(selected, label) {
    return options(el("select", { className: "form-control form-control-sm mr-2", "aria-label": label }),
      config.markValues.map(function (v) { return [v, v]; }), selected);
  }

  function workTypeOptions(selected, selectedName) {
    var items = config.workTypes.map(function (w) { return [w.id, w.name]; });
    if (selected && !config.workTypes.some(function (w) { return String(w.id) === String(selected); })) {
      items.push([selected, selectedName]);
    }
    return options(el("select", { className: "form-control form-control-sm mr-2", "aria-label": "Вид работы" }), items, selected);
  }

  function weightBox(value) {
    var input = el("input", { type: "number", min: "1", max: "10", className: "form-control form-control-sm mr-2", "aria-label": "Вес", style: "width:4.5em" });
    input.value = value || "";
    return input;
  }

  function caption(text) { return el("span", { className: "small text-muted mr-1", text: text }); }

  function dialogError(message) {
    var box = document.getElementById("jdialog-error");
    box.textContent = message || "";
    box.classList.toggle("d-none", !message);
  }

  function renderDialog() {
    var td = dialogCell;
    var data = cellOf(td);
    var body = document.getElementById("jdialog-body");
    while (body.firstChild) { body.removeChild(body.firstChild); }
    var readOnly = !!td.dataset.why;
    if (readOnly) {
      body.appendChild(el("p", { className: "text-muted", text: WHY[td.dataset.why] || WHY.ro }));
    }

    body.appendChild(el("h6", { text: "Отметки" }));
    if (!data.marks.length) { body.appendChild(el("p", { className: "small text-muted", text: "Отметок нет." })); }
    data.marks.forEach(function (m) {
      var line = el("div", { className: "form-inline mb-2 jmark-line", "data-mark": m.id });
      if (readOnly) {
        line.appendChild(el("span", { text: m.value + " — " + m.work_type_name + ", вес " + m.weight + " (" + m.created + ")" }));
        body.appendChild(line);
        return;
      }
      var value = valueSelect(m.value, "Отметка");
      var type = workTypeOptions(m.work_type, m.work_type_name);
      var weight = weightBox(m.weight);
      var reason = null;
      line.appendChild(value);
      line.appendChild(type);
      line.appendChild(caption("вес"));
      line.appendChild(weight);
      if (m.needs_reason) {
        reason = options(el("select", { className: "form-control form-control-sm mr-2", "aria-label": "Причина исправления" }),
          [["", "— причина исправления —"]].concat(config.changeReasons.map(function (r) { return [r.code, r.label]; })), "");
        line.appendChild(reason);
      }
      var save = el("button", { type: "button", className: "btn btn-sm btn-outline-primary mr-1", text: "Сохранить" });
      var remove = el("button", { type: "button", className: "btn btn-sm btn-outline-danger", text: "Удалить" });
      save.addEventListener("click", function () {
        dialogError("");
        post(withId(config.urls.mark, m.id), {
          lesson: td.dataset.l, student: td.dataset.s, change_no: m.change_no, value: value.value,
          work_type: type.value, weight: weight.value || null, reason: reason ? reason.value : null
        }).then(function () { show(studentName(td) + ": отметка исправлена."); }, function (err) { dialogError(err.error); });
      });
      remove.addEventListener("click", function () {
        if (!window.confirm("Удалить отметку «" + m.value + "»?")) { return; }
        dialogError("");
        post(withId(config.urls.deleteMark, m.id), {
          lesson: td.dataset.l, student: td.dataset.s, change_no: m.change_no, reason: reason ? reason.value : null
        }).then(function () { show(studentName(td) + ": отметка удалена."); }, function (err) { dialogError(err.error); });
      });
      line.appendChild(save);
      line.appendChild(remove);
      if (m.needs_reason) {
        line.appendChild(el("small", { className: "form-text text-muted w-100", text: "Отметка поставлена " + m.created + ": для исправления или удаления нужна причина." }));
      }
      body.appendChild(line);
    });

    if (!readOnly && config.workTypes.length) {
      body.appendChild(el("h6", { className: "mt-3", text: "Новая отметка" }));
      var addLine = el("div", { className: "form-inline mb-2" });
      var newValue = valueSelect("5", "Новая отметка");
      var newType = workTypeOptions(currentWorkType());
      var newWeight = weightBox(currentWeight());
      var add = el("button", { type: "button", className: "btn btn-sm btn-primary", text: "Добавить" });
      add.addEventListener("click", function () {
        dialogError("");
        post(config.urls.addMark, {
          lesson: td.dataset.l, student: td.dataset.s, value: newValue.value, work_type: newType.value, weight: newWeight.value || null
        }).then(function () { show(studentName(td) + ": отметка добавлена."); }, function (err) { dialogError(err.error); });
      });
      [newValue, newType, caption("вес"), newWeight, add].forEach(function (node) { addLine.appendChild(node); });
      body.appendChild(addLine);
    }

    body.appendChild(el("h6", { className: "mt-3", text: "Пропуск" }));
    if (readOnly) {
      body.appendChild(el("p", { text: data.absence ? data.absence.label : "нет" }));
      return;
    }
    var absLine = el("div", { className: "form-inline" });
    var current = data.absence ? data.absence.reason : "";
    var absSelect = options(el("select", { className: "form-control form-control-sm mr-2", "aria-label": "Причина пропуска" }),
      [["", "— не было пропуска —"]].concat(config.absenceReasons.map(function (r) { return [r.code, r.label]; })), current);
    var absSave = el("button", { type: "button", className: "btn btn-sm btn-outline-primary", text: "Сохранить пропуск" });
    absSave.addEventListener("click", function () {
      dialogError("");
      post(config.urls.absence, { lesson: td.dataset.l, student: td.dataset.s, reason: absSelect.value, expected: current })
        .then(function () { show(studentName(td) + ": пропуск сохранён."); }, function (err) { dialogError(err.error); });
    });
    absLine.appendChild(absSelect);
    absLine.appendChild(absSave);
    body.appendChild(absLine);
  }

  function openDialog(td) {
    if (!dialogNode || !window.jQuery) { return; }
    dialogCell = td;
    document.getElementById("jdialog-title").textContent = studentName(td) + " — " + td.dataset.date;
    dialogError("");
    renderDialog();
    window.jQuery(dialogNode).modal("show");
  }

  if (dialogNode && window.jQuery) {
    window.jQuery(dialogNode).on("hidden.bs.modal", function () {
      var td = dialogCell;
      dialogCell = null;
      if (td) { td.focus(); }
    });
  }

  // --- the toolbar: the work type stays chosen between pages --------------------------------

  if (workTypeSelect) {
    var remembered = window.localStorage && window.localStorage.getItem("journal.workType");
    if (remembered && workTypeSelect.querySelector('option[value="' + remembered + '"]')) {
      workTypeSelect.value = remembered;
    }
    var syncWeight = function () {
      var option = workTypeSelect.options[workTypeSelect.selectedIndex];
      if (weightInput && option) {
        weightInput.placeholder = option.dataset.weight;
        weightInput.value = "";
      }
    };
    syncWeight();
    workTypeSelect.addEventListener("change", function () {
      if (window.localStorage) { window.localStorage.setItem("journal.workType", workTypeSelect.value); }
      syncWeight();
    });
  }
})();
