/* The class journal: the grid's keyboard and touch entry, the entry pad, the cell dialog, saves
   through the JSON endpoints.

   The server renders every cell (journal_marks.cell_html): a save's reply carries the cell's
   new HTML, which is swapped in here; this script never draws a cell. The rules — the marks of
   the scale, the absence codes, the weight range, why a cell is read-only — come from the
   page's JSON config (journal_marks.entry_rules) and are not repeated here. */
(function () {
  "use strict";

  // Forms with data-confirm ask first: ejournal.js, loaded on every page, handles them.

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

  // A teacher on the Latin layout types the same keys: y is н, p is з, "," is б… (the keyboard, not a rule).
  var LATIN = {
    q: "й", w: "ц", e: "у", r: "к", t: "е", y: "н", u: "г", i: "ш", o: "щ", p: "з", "[": "х", "]": "ъ",
    a: "ф", s: "ы", d: "в", f: "а", g: "п", h: "р", j: "о", k: "л", l: "д", ";": "ж", "'": "э",
    z: "я", x: "ч", c: "с", v: "м", b: "и", n: "т", m: "ь", ",": "б", ".": "ю", "`": "ё"
  };

  // --- the rules, as the server sent them ----------------------------------------------------

  var markValues = config.markValues || [];
  var markSynonyms = config.markSynonyms || {};
  var absenceInput = config.absenceInput || {};
  var readOnlyReasons = config.readOnly || {};
  var weightRange = config.weight || {};

  function escapeRegExp(text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

  // The longest values first, so that a two-letter mark is read whole.
  var MARK_PATTERN = new RegExp(markValues.slice().sort(function (a, b) { return b.length - a.length; })
    .map(escapeRegExp).join("|") || "(?!)", "g");

  function reasonLabel(code) {
    for (var i = 0; i < config.absenceReasons.length; i++) {
      if (config.absenceReasons[i].code === code) { return config.absenceReasons[i].label; }
    }
    return code;
  }

  function whyText(why) { return readOnlyReasons[why] || readOnlyReasons.ro || ""; }

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
    statusNode.className = statusNode.className.replace(/\bjs-(ok|error|info)\b/g, "").trim() + " js-" + (kind || "ok");
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

  function applyCell(cell) {
    var data = { marks: cell.marks || [], absence: cell.absence || null };
    cells[key(cell.student, cell.lesson)] = data;
    var selector = '[data-s="' + cell.student + '"][data-l="' + cell.lesson + '"]';
    if (typeof cell.html === "string") {
      // The server's rendering of the cell (journal_marks.cell_html), swapped in as it is.
      document.querySelectorAll("td.jc" + selector).forEach(function (td) {
        if (!(editor && editor.td === td)) { td.innerHTML = cell.html; }
      });
    }
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
    if (padCell && padCell.dataset.s === String(cell.student) && padCell.dataset.l === String(cell.lesson)) {
      markPressed();
    }
  }

  function studentName(td) {
    var row = td.closest("tr");
    return row ? row.dataset.name : "";
  }

  // The lesson's date and number: the lesson page writes it on the cell, the grid in the column header.
  function lessonLabel(td) {
    if (td.dataset.date) { return td.dataset.date; }
    var header = document.getElementById("l" + td.dataset.l);
    var label = header && header.querySelector(".sr-only");
    return label ? label.textContent : "";
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
    if (absenceInput[t]) { return { absence: absenceInput[t] }; }
    if (markSynonyms[t]) { return { marks: [markSynonyms[t]] }; }
    var compact = t.replace(/[\s,;]+/g, "");
    var marks = compact.match(MARK_PATTERN) || [];
    if (marks.join("") !== compact) {
      var codes = config.absenceReasons.map(function (r) { return r.short; });
      return { error: "Не понятно, что значит «" + text + "». Отметки: " + markValues.join(", ") + "; пропуски: " + codes.join(", ") + "." };
    }
    return { marks: marks };
  }

  function currentWorkType() { return workTypeSelect ? workTypeSelect.value : (config.workTypes[0] || {}).id; }
  function currentWeight() { return weightInput && weightInput.value ? weightInput.value : null; }

  function saveAbsence(td, reason) {
    var who = studentName(td);
    var before = cellOf(td).absence;
    return post(config.urls.absence, {
      lesson: td.dataset.l, student: td.dataset.s, reason: reason, expected: before ? before.reason : ""
    }).then(function () {
      show(who + ": " + (reason ? "пропуск — " + reasonLabel(reason) : "пропуск снят") + ".");
    }, function (err) { show(who + ": " + err.error, "error"); });
  }

  // Typed or tapped marks go in one request: «54» is saved whole or not at all. Over a cell that
  // has marks the teacher is asked first whether the new ones replace them or join them.
  function saveTyped(td, parsed, returnTo) {
    if (parsed.absence) {
      saveAbsence(td, parsed.absence);
      return;
    }
    if (!currentWorkType()) {
      show("Список видов работ пуст: отметку поставить нельзя.", "error");
      return;
    }
    var existing = cellOf(td).marks;
    if (existing.length && choiceNode) {
      askReplace(td, parsed.marks, existing, returnTo || td);
      return;
    }
    sendMarks(td, parsed.marks, [], null);
  }

  function sendMarks(td, values, replaced, reason) {
    var who = studentName(td);
    return post(config.urls.addMark, {
      lesson: td.dataset.l, student: td.dataset.s, values: values, work_type: currentWorkType(), weight: currentWeight(),
      replace: replaced.map(function (m) { return { id: m.id, change_no: m.change_no }; }), reason: reason
    }).then(function () {
      var what = values.join(", ");
      show(who + ": " + (replaced.length ? "вместо " + replaced.map(function (m) { return m.value; }).join(", ") + " — " + what : what) + " — сохранено.");
    }, function (err) {
      show(who + ": " + err.error, "error");
      throw err;
    });
  }

  // --- replace or add: the question over a cell that has marks ------------------------------

  var choiceNode = document.getElementById("jchoice");
  var choice = null;

  function quoted(values) { return values.map(function (v) { return "«" + v + "»"; }).join(", "); }

  function askReplace(td, values, existing, returnTo) {
    closePad();
    var reasonNeeded = existing.some(function (m) { return m.needs_reason; });
    var reasonBox = document.getElementById("jchoice-reason");
    var reasonSelect = document.getElementById("jchoice-reason-select");
    choice = { td: td, values: values, existing: existing, returnTo: returnTo };
    document.getElementById("jchoice-title").textContent = studentName(td) + ", " + lessonLabel(td);
    document.getElementById("jchoice-text").textContent =
      (existing.length > 1 ? "В клетке уже есть отметки " : "В клетке уже есть отметка ") + quoted(existing.map(function (m) { return m.value; })) +
      ". Заменить " + (existing.length > 1 ? "их" : "её") + " на " + quoted(values) + " или добавить " + quoted(values) + (existing.length > 1 ? " к ним?" : " к ней?");
    reasonBox.hidden = !reasonNeeded;
    reasonSelect.value = "";
    choiceError("");
    choiceNode.hidden = false;
    placeNear(choiceNode, td);
    choiceNode.querySelector('[data-choice="replace"]').focus();
  }

  function choiceError(message) {
    var box = document.getElementById("jchoice-error");
    box.textContent = message || "";
    box.hidden = !message;
    // The panel grew or shrank: keep it clear of the cell it asks about.
    if (choice) { placeNear(choiceNode, choice.td); }
  }

  function closeChoice(refocus) {
    if (!choice) { return; }
    var back = choice.returnTo;
    choice = null;
    choiceNode.hidden = true;
    if (refocus && back) { focusItem(back); }
  }

  function decide(kind) {
    if (!choice) { return; }
    var current = choice;
    if (kind === "cancel") { closeChoice(true); return; }
    var replaced = kind === "replace" ? current.existing : [];
    var reason = kind === "replace" && !document.getElementById("jchoice-reason").hidden
      ? document.getElementById("jchoice-reason-select").value : null;
    if (kind === "replace" && reason === "") {
      choiceError("Отметка поставлена давно: чтобы заменить её, выберите причину исправления.");
      document.getElementById("jchoice-reason-select").focus();
      return;
    }
    closeChoice(true);
    sendMarks(current.td, current.values, replaced, reason).catch(function () {});
  }

  if (choiceNode) {
    // Focus that leaves the question (a click elsewhere) answers «cancel»: nothing is saved.
    document.addEventListener("focusin", function (event) {
      if (choice && !choiceNode.contains(event.target)) { closeChoice(false); }
    });
    choiceNode.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-choice]");
      if (button) { decide(button.dataset.choice); }
    });
    choiceNode.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); decide("cancel"); return; }
      if (event.target.tagName === "SELECT") { return; }
      var letter = normalise(event.key.length === 1 ? event.key : "");
      if (letter === "з") { event.preventDefault(); decide("replace"); return; }
      if (letter === "д") { event.preventDefault(); decide("add"); return; }
      var buttons = Array.prototype.slice.call(choiceNode.querySelectorAll("button[data-choice]"));
      var index = buttons.indexOf(document.activeElement);
      var step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
      if (step && index >= 0) {
        event.preventDefault();
        buttons[(index + step + buttons.length) % buttons.length].focus();
      }
    });
  }

  // --- moving around: the grid's roving tabindex -------------------------------------------
  // In the journal grid (table[role=grid]) one cell has tabindex 0, every other -1: Tab enters
  // the grid at that cell and leaves it with the next Tab; arrows, Home and End move the one.
  // The date headers (links to the lessons) are the row above the first student.

  var NAV = "td.jc, a.jdl";
  var navCache = [];

  function navRows(table) {
    for (var i = 0; i < navCache.length; i++) {
      if (navCache[i].table === table) { return navCache[i].rows; }
    }
    var rows = [];
    Array.prototype.forEach.call(table.rows, function (tr) {
      var items = Array.prototype.slice.call(tr.querySelectorAll(NAV));
      if (items.length) { rows.push(items); }
    });
    navCache.push({ table: table, rows: rows });
    return rows;
  }

  function gridOf(el) {
    var table = el.closest("table");
    return table && table.getAttribute("role") === "grid" ? table : null;
  }

  function neighbour(el, direction, ctrl) {
    var rows = navRows(el.closest("table"));
    var r = -1, c = -1;
    for (var i = 0; i < rows.length && r < 0; i++) {
      c = rows[i].indexOf(el);
      if (c >= 0) { r = i; }
    }
    if (r < 0) { return null; }
    var row = rows[r];
    var body = rows.filter(function (items) { return items[0].matches("td.jc"); });
    if (ctrl && direction === "home") { return body.length ? body[0][0] : null; }
    if (ctrl && direction === "end") { return body.length ? body[body.length - 1][body[body.length - 1].length - 1] : null; }
    if (direction === "left") { return row[c - 1]; }
    if (direction === "right") { return row[c + 1]; }
    if (direction === "home") { return row[0]; }
    if (direction === "end") { return row[row.length - 1]; }
    var other = rows[direction === "up" ? r - 1 : r + 1];
    return other ? other[Math.min(c, other.length - 1)] : null;
  }

  function stickyEdges(wrap) {
    var table = wrap.querySelector("table");
    var head = table.tHead;
    var num = table.querySelector("thead th.jnum");
    var name = table.querySelector("thead th.jname");
    var averages = table.querySelectorAll("thead th.javg");
    var right = 0;
    averages.forEach(function (th) { right += th.offsetWidth; });
    return {
      top: head ? head.offsetHeight : 0,
      left: (num ? num.offsetWidth : 0) + (name ? name.offsetWidth : 0),
      right: right
    };
  }

  // Bring an item out from under the sticky header and columns (focus alone would leave it there).
  function ensureVisible(el) {
    var wrap = el.closest(".jgrid-wrap");
    if (!wrap) { return; }
    var edges = stickyEdges(wrap);
    var box = wrap.getBoundingClientRect();
    var left = box.left + wrap.clientLeft + edges.left;
    var right = box.left + wrap.clientLeft + wrap.clientWidth - edges.right;
    var top = box.top + wrap.clientTop + edges.top;
    var bottom = box.top + wrap.clientTop + wrap.clientHeight;
    var r = el.getBoundingClientRect();
    if (r.left < left) { wrap.scrollLeft -= left - r.left; }
    else if (r.right > right) { wrap.scrollLeft += r.right - right; }
    if (!el.closest("thead")) {
      if (r.top < top) { wrap.scrollTop -= top - r.top; }
      else if (r.bottom > bottom) { wrap.scrollTop += r.bottom - bottom; }
    }
    r = el.getBoundingClientRect();
    if (r.top < 0) { window.scrollBy(0, r.top - 8); }
    else if (r.bottom > window.innerHeight) { window.scrollBy(0, r.bottom - window.innerHeight + 8); }
  }

  function makeCurrent(el) {
    var table = gridOf(el);
    if (!table) { return; }
    table.querySelectorAll('[tabindex="0"]').forEach(function (other) {
      if (other !== el && other.matches(NAV)) { other.setAttribute("tabindex", "-1"); }
    });
    el.setAttribute("tabindex", "0");
  }

  function focusItem(el) {
    if (gridOf(el)) {
      makeCurrent(el);
      el.focus({ preventScroll: true });
      ensureVisible(el);
    } else {
      el.focus();
    }
  }

  function move(td, direction, ctrl) {
    var next = direction ? neighbour(td, direction, ctrl) : null;
    focusItem(next || td);
  }

  // A click or a tap that focuses a cell makes it the grid's current one.
  document.addEventListener("focusin", function (event) {
    var el = event.target;
    if (el.matches && el.matches(NAV) && gridOf(el)) { makeCurrent(el); }
  });

  var KEYS = { ArrowLeft: "left", ArrowRight: "right", ArrowUp: "up", ArrowDown: "down", Home: "home", End: "end" };

  // --- typing into a cell ------------------------------------------------------------------

  var editor = null;

  function startEdit(td, initial) {
    closePad();
    if (td.dataset.why) {
      show(whyText(td.dataset.why), "error");
      return;
    }
    var input = document.createElement("input");
    input.type = "text";
    input.className = "jc-input";
    input.setAttribute("aria-label", "Отметка или пропуск: " + studentName(td) + ", " + lessonLabel(td));
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
        focusItem(td);
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
    var target = null;
    if (!blurred) {
      // A header is no place to type into: Enter on the first student goes nowhere up.
      var next = direction ? neighbour(td, direction) : null;
      target = next && next.matches("td.jc") ? next : td;
      focusItem(target);
    }
    if (!commit) { return; }
    var parsed = parse(text);
    if (!parsed) { return; }
    if (parsed.error) { show(parsed.error, "error"); return; }
    saveTyped(td, parsed, target);
  }

  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (event.key === "Escape" && padCell) {
      var back = padCell;
      closePad();
      focusItem(back);
      return;
    }
    if (!el.matches || !el.matches(NAV)) { return; }
    var plain = !event.altKey && !event.ctrlKey && !event.metaKey;
    var ctrlHomeEnd = (event.ctrlKey || event.metaKey) && (event.key === "Home" || event.key === "End");
    if (KEYS[event.key] && (plain || ctrlHomeEnd) && !event.altKey) {
      event.preventDefault();
      closePad();
      move(el, KEYS[event.key], ctrlHomeEnd);
      return;
    }
    if (!el.matches("td.jc")) { return; }  // a date header: Enter follows its link
    if (event.key === "Enter" || event.key === "F2" || event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      openDialog(el);
    } else if (event.key === " " && plain && padNode) {
      event.preventDefault();
      if (el.dataset.why) { show(whyText(el.dataset.why), "info"); }
      else { openPad(el, true); }
    } else if (event.key.length === 1 && event.key !== " " && plain) {
      event.preventDefault();
      startEdit(el, event.key);
    }
  });

  // --- the entry pad: a tap on a cell, then a tap on «5» --------------------------------------

  var padNode = document.getElementById("jpad");
  var padCell = null;
  var padFrame = null;

  function markPressed() {
    var data = cellOf(padCell);
    var current = data.absence ? data.absence.reason : "";
    padNode.querySelectorAll(".jpad-abs").forEach(function (button) {
      button.setAttribute("aria-pressed", button.dataset.absence === current ? "true" : "false");
    });
  }

  function placePad() {
    padFrame = null;
    if (!padCell) { return; }
    var r = padCell.getBoundingClientRect();
    var wrap = padCell.closest(".jgrid-wrap");
    if (wrap) {
      // The cell scrolled away under the sticky columns or out of the grid: the pad goes with it.
      var box = wrap.getBoundingClientRect();
      var edges = stickyEdges(wrap);
      if (r.right <= box.left + edges.left || r.left >= box.right - edges.right ||
          r.bottom <= box.top + edges.top || r.top >= box.bottom) {
        closePad();
        return;
      }
    }
    placeNear(padNode, padCell);
  }

  // Put a floating panel under a cell (above it when there is no room below), inside the screen.
  function placeNear(node, td) {
    var r = td.getBoundingClientRect();
    // The visible area, without the page's scrollbars (innerWidth counts them).
    var screenWidth = document.documentElement.clientWidth, screenHeight = document.documentElement.clientHeight;
    var width = node.offsetWidth, height = node.offsetHeight;
    var top = r.bottom + 4;
    if (top + height > screenHeight - 4 && r.top - height - 4 >= 4) { top = r.top - height - 4; }
    var left = Math.max(4, Math.min(r.left, screenWidth - width - 4));
    node.style.top = Math.round(top) + "px";
    node.style.left = Math.round(left) + "px";
  }

  function schedulePlacePad() {
    if (padCell && padFrame === null) { padFrame = window.requestAnimationFrame(placePad); }
  }

  function openPad(td, fromKeyboard) {
    if (!padNode) { return; }
    padCell = td;
    document.getElementById("jpad-title").textContent = studentName(td) + ", " + lessonLabel(td);
    var caption = document.getElementById("jpad-wt");
    if (caption) {
      var option = workTypeSelect && workTypeSelect.options[workTypeSelect.selectedIndex];
      caption.textContent = option ? option.text + ", вес " + (currentWeight() || option.dataset.weight) : "";
    }
    markPressed();
    padNode.querySelectorAll("button").forEach(function (button) { button.disabled = false; });
    padNode.hidden = false;
    placePad();
    if (fromKeyboard) {
      var first = padNode.querySelector(".jpad-btn");
      if (first) { first.focus(); }
    }
  }

  function closePad() {
    if (!padNode || !padCell) { return; }
    padNode.hidden = true;
    padCell = null;
  }

  if (padNode) {
    padNode.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button || !padCell) { return; }
      var td = padCell;
      if (button.classList.contains("jpad-close")) {
        closePad();
        focusItem(td);
      } else if (button.classList.contains("jpad-more")) {
        closePad();
        openDialog(td);
      } else if (button.dataset.mark) {
        // One tap is one mark: the pad closes at once, so a second tap cannot add another.
        closePad();
        focusItem(td);
        saveTyped(td, { marks: [button.dataset.mark] }, td);
      } else if (button.dataset.absence) {
        var current = cellOf(td).absence;
        closePad();
        focusItem(td);
        saveAbsence(td, current && current.reason === button.dataset.absence ? "" : button.dataset.absence);
      }
    });
    padNode.addEventListener("keydown", function (event) {
      var buttons = Array.prototype.slice.call(padNode.querySelectorAll("button"));
      var index = buttons.indexOf(document.activeElement);
      var step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
      if (step && index >= 0) {
        event.preventDefault();
        buttons[(index + step + buttons.length) % buttons.length].focus();
      }
    });
    // Focus that goes anywhere but the pad and its cell (Tab onwards) closes it. (Focus that is
    // merely lost — Safari does not focus a tapped button — does not.)
    document.addEventListener("focusin", function (event) {
      if (padCell && !padNode.contains(event.target) && event.target !== padCell) { closePad(); }
    });
    window.addEventListener("resize", schedulePlacePad);
    window.addEventListener("scroll", schedulePlacePad, true);
  }

  document.addEventListener("click", function (event) {
    if (padNode && padNode.contains(event.target)) { return; }
    var td = event.target.closest && event.target.closest("td.jc");
    if (!td || !gridOf(td) || (editor && editor.td === td)) {
      if (!td) { closePad(); }
      return;
    }
    if (padCell === td) {
      closePad();
    } else if (td.dataset.why) {
      // A tap on a cell that cannot be filled says why (a read-only journal has no pad at all).
      closePad();
      show(whyText(td.dataset.why), "info");
    } else if (padNode) {
      openPad(td, false);
    }
  });

  document.addEventListener("dblclick", function (event) {
    var td = event.target.closest && event.target.closest("td.jc");
    if (td && !(editor && editor.td === td)) {
      closePad();
      openDialog(td);
    }
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
      markValues.map(function (v) { return [v, v]; }), selected);
  }

  function workTypeOptions(selected, selectedName) {
    var items = config.workTypes.map(function (w) { return [w.id, w.name]; });
    if (selected && !config.workTypes.some(function (w) { return String(w.id) === String(selected); })) {
      items.push([selected, selectedName]);
    }
    return options(el("select", { className: "form-control form-control-sm mr-2", "aria-label": "Вид работы" }), items, selected);
  }

  function weightBox(value) {
    var input = el("input", {
      type: "text", inputmode: "decimal", title: "Вес: от " + weightRange.min + " до " + weightRange.max,
      className: "form-control form-control-sm mr-2", "aria-label": "Вес", style: "width:4.5em"
    });
    input.value = value || "";
    return input;
  }

  function commentBox(value) {
    var input = el("input", {
      type: "text", maxlength: String(config.commentMax || 500), placeholder: "комментарий",
      className: "form-control form-control-sm mr-2 jcomment", "aria-label": "Комментарий к отметке"
    });
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
      body.appendChild(el("p", { className: "text-muted", text: whyText(td.dataset.why) }));
    }

    body.appendChild(el("h6", { text: "Отметки" }));
    if (!data.marks.length) { body.appendChild(el("p", { className: "small text-muted", text: "Отметок нет." })); }
    data.marks.forEach(function (m) {
      var line = el("div", { className: "form-inline mb-2 jmark-line", "data-mark": m.id });
      if (readOnly) {
        line.appendChild(el("span", { text: m.value + " — " + m.work_type_name + ", вес " + m.weight + " (" + m.created + ")" +
          (m.comment ? ". Комментарий: " + m.comment : "") }));
        body.appendChild(line);
        return;
      }
      var value = valueSelect(m.value, "Отметка");
      var type = workTypeOptions(m.work_type, m.work_type_name);
      var weight = weightBox(m.weight);
      var comment = commentBox(m.comment);
      var reason = null;
      line.appendChild(value);
      line.appendChild(type);
      line.appendChild(caption("вес"));
      line.appendChild(weight);
      line.appendChild(comment);
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
          work_type: type.value, weight: weight.value || null, reason: reason ? reason.value : null, comment: comment.value
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
      var newValue = valueSelect(markValues[0], "Новая отметка");
      var newType = workTypeOptions(currentWorkType());
      var newWeight = weightBox(currentWeight());
      var newComment = commentBox("");
      var add = el("button", { type: "button", className: "btn btn-sm btn-primary", text: "Добавить" });
      add.addEventListener("click", function () {
        dialogError("");
        post(config.urls.addMark, {
          lesson: td.dataset.l, student: td.dataset.s, values: [newValue.value], work_type: newType.value,
          weight: newWeight.value || null, comment: newComment.value
        }).then(function () { show(studentName(td) + ": отметка добавлена."); }, function (err) { dialogError(err.error); });
      });
      [newValue, newType, caption("вес"), newWeight, newComment, add].forEach(function (node) { addLine.appendChild(node); });
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
    closePad();
    dialogCell = td;
    document.getElementById("jdialog-title").textContent = studentName(td) + " — " + lessonLabel(td);
    dialogError("");
    renderDialog();
    window.jQuery(dialogNode).modal("show");
  }

  if (dialogNode && window.jQuery) {
    window.jQuery(dialogNode).on("hidden.bs.modal", function () {
      var td = dialogCell;
      dialogCell = null;
      if (td) { focusItem(td); }
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

  // --- the grid's frame: sticky header and columns, the height that fits the screen ----------

  var gridWrap = document.getElementById("jgrid-wrap");

  function layoutGrid() {
    var table = gridWrap.querySelector("table");
    var months = table.querySelector("tr.jhead-months");
    var num = table.querySelector("thead th.jnum");
    var first = table.querySelector("thead th.javg2");
    // The second header row sticks under the first, the name column beside the number, the
    // first average beside the second: each offset is what the browser actually drew.
    if (months) { table.style.setProperty("--jmonth-h", months.offsetHeight + "px"); }
    if (num) { table.style.setProperty("--jnum-w", num.offsetWidth + "px"); }
    if (first) { table.style.setProperty("--javg-w", first.offsetWidth + "px"); }
    // The grid takes the rest of the screen, so its header and columns stay in view as it scrolls.
    var top = gridWrap.getBoundingClientRect().top + window.pageYOffset;
    var room = window.innerHeight - Math.min(top, window.innerHeight * 0.4) - 12;
    gridWrap.style.maxHeight = Math.max(240, Math.round(room)) + "px";
  }

  if (gridWrap) {
    layoutGrid();
    window.addEventListener("resize", layoutGrid);
    // A message in the toolbar or the opened help moves the grid down: it gives up that much height.
    if (window.ResizeObserver) {
      var above = new window.ResizeObserver(function () { layoutGrid(); });
      document.querySelectorAll(".jtoolbar, .jhelp").forEach(function (node) { above.observe(node); });
    }
    // The cell that takes the keyboard first (the latest lesson one may fill) is shown, not focused.
    var start = gridWrap.querySelector('td.jc[tabindex="0"]');
    if (start) {
      var saved = { x: window.pageXOffset, y: window.pageYOffset };
      ensureVisible(start);
      window.scrollTo(saved.x, saved.y);
    }
  }
})();
