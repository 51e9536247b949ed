/* «Заявления» create and edit forms: offer only the guardians linked to the chosen student and
   suggest the relation from the link. Data: {student id: [[guardian id, relation], …]} in the
   JSON block #guardian-links. */
(function () {
  "use strict";
  var data = document.getElementById("guardian-links");
  var student = document.getElementById("student");
  var guardian = document.getElementById("guardian");
  var relation = document.getElementById("relation");
  if (!data || !student || !guardian) { return; }
  var links = JSON.parse(data.textContent);
  var all = Array.prototype.map.call(guardian.options, function (o) { return [o.value, o.text]; });

  function linkOf(guardianId) {
    var found = null;
    (links[student.value] || []).forEach(function (l) { if (l[0] === guardianId) { found = l; } });
    return found;
  }

  function suggestRelation() {
    var link = linkOf(guardian.value);
    if (link && relation) { relation.value = link[1]; }
  }

  function refresh() {
    var linked = (links[student.value] || []).map(function (l) { return l[0]; });
    var keep = guardian.value;
    guardian.options.length = 0;
    all.forEach(function (pair) {
      if (pair[0] === "__None" || !student.value || student.value === "__None" || linked.indexOf(pair[0]) >= 0) {
        guardian.options.add(new Option(pair[1], pair[0]));
      }
    });
    if (linked.indexOf(keep) >= 0) { guardian.value = keep; }
    else if (linked.length === 1) { guardian.value = linked[0]; }
    else { guardian.value = "__None"; }
    suggestRelation();
    if (window.jQuery) { window.jQuery(guardian).trigger("change"); }
  }

  // Select2 reports its changes through jQuery events; without jQuery, plain ones.
  if (window.jQuery) {
    window.jQuery(student).on("change", refresh);
    window.jQuery(guardian).on("change", suggestRelation);
  } else {
    student.addEventListener("change", refresh);
    guardian.addEventListener("change", suggestRelation);
  }
  if (student.value && student.value !== "__None") { refresh(); }
})();
