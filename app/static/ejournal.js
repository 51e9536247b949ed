/* Behaviour shared by the panel's pages, bound from data attributes: the Content-Security-Policy
   runs no inline script (onclick=, onsubmit=, javascript: links), so the pages carry none. */
(function () {
  "use strict";
  // A page may load this file more than once (from several templates): bind once.
  if (window.ejournalShared) {
    return;
  }
  window.ejournalShared = true;

  // The panel's model forms are checked by the server, which answers every error at once in
  // Russian («Обязательное поле.» next to a select left on «— выберите —»); the browser's own
  // bubble speaks its own language and stops at the first field.
  function serverChecksForms() {
    document.querySelectorAll("form.admin-form").forEach(function (form) {
      form.noValidate = true;
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", serverChecksForms);
  } else {
    serverChecksForms();
  }

  // A form with data-confirm asks first. Runs before other listeners (window, capture phase) and
  // keeps the event to itself, so no second script asks the same question again.
  window.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.dataset || !form.dataset.confirm) {
      return;
    }
    event.stopImmediatePropagation();
    if (!window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) {
      return;
    }
    // «Печать» on the print page.
    if (target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
      return;
    }
    // «назад»: back in history when there is one, else the link's own address.
    var back = target.closest("a[data-back]");
    if (back && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
      return;
    }
    // Flask-Admin's «With selected» actions (admin/actions.html).
    var action = target.closest("[data-model-action]");
    if (action) {
      event.preventDefault();
      if (window.modelActions) {
        window.modelActions.execute(action.getAttribute("data-model-action"));
      }
      return;
    }
    // Flask-Admin's «Добавить …» under an inline list (admin/model/inline_list_base.html).
    var inlineAdd = target.closest("[data-inline-add]");
    if (inlineAdd) {
      event.preventDefault();
      if (window.faForm) {
        window.faForm.addInlineField(inlineAdd, inlineAdd.getAttribute("data-inline-add"));
      }
      return;
    }
  });

  // A select with data-scope-switch shows only the fields of its chosen value (data-scope="…").
  function showScope(select) {
    var fields = select.form ? select.form.querySelectorAll("[data-scope]") : [];
    Array.prototype.forEach.call(fields, function (field) {
      field.hidden = field.getAttribute("data-scope") !== select.value;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target instanceof Element && event.target.matches("[data-scope-switch]")) {
      showScope(event.target);
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-scope-switch]"), showScope);
  });

  // Flask-Admin marks dropdown toggles, tabs and the current page with href="javascript:void(0)",
  // which the CSP refuses to run (and reports): such a link does nothing instead. Capture phase on
  // window, because the dropdown script stops the click before it bubbles to the document.
  window.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest("a[href]") : null;
    if (link && /^\s*javascript:/i.test(link.getAttribute("href"))) {
      event.preventDefault();
    }
  }, true);
})();
