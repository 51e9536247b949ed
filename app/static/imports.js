/* The import page refreshes itself while its file is checked or applied (#import-progress[data-refresh]). */
(function () {
  "use strict";
  var progress = document.getElementById("import-progress");
  if (!progress) {
    return;
  }
  var seconds = parseInt(progress.getAttribute("data-refresh"), 10) || 2;
  window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
})();
