/* The final-marks page (journal/finals.html): one keyboard pass down the column being set.

   Enter goes on to the next student's input; on an empty input it first puts the recommended mark
   in it (the teacher confirms the recommendation), so a column is passed with Enter alone and saved
   with one button. Shift+Enter goes back; Tab moves on without filling anything in. «Подставить
   рекомендованные» fills every empty input at once. The server checks every value again: this
   script only saves keystrokes. */
(function () {
  "use strict";
  var form = document.getElementById("finals-form");
  if (!form) {
    return;
  }
  var save = document.getElementById("finals-save");
  var status = document.getElementById("finals-status");
  var fill = document.getElementById("finals-fill");

  function inputs() {
    return Array.prototype.slice.call(form.querySelectorAll("input.fin-input:not([disabled])"));
  }

  // An input whose value differs from the saved one is marked, so the teacher sees what «Сохранить» will change.
  function markChanged(input) {
    input.classList.toggle("fin-changed", input.value.trim() !== (input.getAttribute("data-saved") || ""));
  }

  // Put the recommended mark into an empty input; answer whether it did.
  function confirmRecommended(input) {
    var recommended = input.getAttribute("data-recommended");
    if (input.value.trim() !== "" || !recommended) {
      return false;
    }
    input.value = recommended;
    markChanged(input);
    return true;
  }

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function focusInput(input) {
    input.focus();
    input.select();
  }

  form.addEventListener("keydown", function (event) {
    var input = event.target;
    if (event.key !== "Enter" || event.isComposing || !input.classList || !input.classList.contains("fin-input")) {
      return;
    }
    // Enter in a text input would submit the form: here it moves down the column instead.
    event.preventDefault();
    var list = inputs();
    var at = list.indexOf(input);
    if (event.shiftKey) {
      if (at > 0) {
        focusInput(list[at - 1]);
      }
      return;
    }
    if (confirmRecommended(input)) {
      say("Подставлена рекомендованная отметка: " + input.value + ".");
    }
    if (at + 1 < list.length) {
      focusInput(list[at + 1]);
    } else if (save) {
      save.focus();
      say("Столбец пройден: нажмите «Сохранить».");
    }
  });

  form.addEventListener("input", function (event) {
    if (event.target.classList && event.target.classList.contains("fin-input")) {
      markChanged(event.target);
    }
  });

  if (fill) {
    fill.hidden = false;
    fill.addEventListener("click", function () {
      var count = 0;
      inputs().forEach(function (input) {
        if (confirmRecommended(input)) {
          count += 1;
        }
      });
      say(count ? "Подставлено рекомендованных отметок: " + count + ". Проверьте и сохраните."
        : "Пустых клеток с рекомендованной отметкой нет.");
    });
  }

  // After a refused save the page shows what was typed: mark it as not yet saved, and go to the wrong value.
  inputs().forEach(markChanged);
  var wrong = form.querySelector(".is-invalid");
  if (wrong) {
    wrong.focus();
  }
})();
