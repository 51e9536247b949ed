/* «Замены»: the page carries one list of teachers and one of subjects (<template id="sub-…">);
   a row's select holds only its current choice until it is opened, then gets the whole list.
   This keeps the page small however many lessons and teachers the school has. */
(function () {
  "use strict";

  function fill(select) {
    if (select.dataset.filled) { return; }
    var template = document.getElementById(select.dataset.list);
    if (!template) { return; }
    select.dataset.filled = "1";
    var current = select.value;
    var skip = select.dataset.skip || "";
    var have = {};
    Array.prototype.forEach.call(select.options, function (option) { have[option.value] = true; });
    var options = template.content.querySelectorAll("option");
    var fragment = document.createDocumentFragment();
    Array.prototype.forEach.call(options, function (option) {
      if (have[option.value] || option.value === skip) { return; }
      fragment.appendChild(option.cloneNode(true));
    });
    select.appendChild(fragment);
    select.value = current;
  }

  function onOpen(event) {
    var target = event.target;
    if (target && target.classList && target.classList.contains("jsub-pick")) { fill(target); }
  }

  // Mouse, touch and keyboard all pass through one of these before the list shows.
  ["mousedown", "touchstart", "focusin", "keydown"].forEach(function (name) {
    document.addEventListener(name, onOpen, true);
  });
}());
