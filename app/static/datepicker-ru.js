/* The date picker in Russian: months and weekdays, Monday first, dates as ДД.ММ.ГГГГ.
   Flask-Admin's pickers (bootstrap-daterangepicker over moment.js) are built when the page is
   ready; this file runs before that, after the page's scripts, and has no inline part (CSP). */
(function () {
  "use strict";
  if (!window.moment) {
    return;
  }
  var ru = {
    months: ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь",
      "октябрь", "ноябрь", "декабрь"],
    monthsShort: ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"],
    weekdays: ["воскресенье", "понедельник", "вторник", "среда", "четверг", "пятница", "суббота"],
    weekdaysShort: ["вс", "пн", "вт", "ср", "чт", "пт", "сб"],
    weekdaysMin: ["вс", "пн", "вт", "ср", "чт", "пт", "сб"],
    longDateFormat: {
      LT: "HH:mm",
      LTS: "HH:mm:ss",
      L: "DD.MM.YYYY",
      LL: "D MMMM YYYY г.",
      LLL: "D MMMM YYYY г., HH:mm",
      LLLL: "dddd, D MMMM YYYY г., HH:mm"
    },
    // Monday is the first day of the week; the week with 4 January is the first of the year.
    week: { dow: 1, doy: 4 }
  };
  if (window.moment.defineLocale) {
    window.moment.defineLocale("ru", ru);
  } else {
    window.moment.locale("ru", ru);
  }
  window.moment.locale("ru");

  var $ = window.jQuery;
  if (!$ || !$.fn || !$.fn.daterangepicker || $.fn.daterangepicker.ejournalRussian) {
    return;
  }
  var original = $.fn.daterangepicker;
  var labels = {
    applyLabel: "Выбрать",
    cancelLabel: "Отмена",
    fromLabel: "С",
    toLabel: "По",
    weekLabel: "Н",
    customRangeLabel: "Другой период"
  };
  // Filters ask for ISO dates (Flask-Admin's filters.js); the panel's filters read ДД.ММ.ГГГГ too
  // (admin_views/base.py), so every picker writes the way the school writes dates.
  var formats = { "YYYY-MM-DD": "DD.MM.YYYY", "YYYY-MM-DD HH:mm:ss": "DD.MM.YYYY HH:mm:ss" };
  $.fn.daterangepicker = function (options, callback) {
    options = $.extend({}, options || {});
    options.locale = $.extend({}, labels, options.locale || {});
    if (formats[options.format]) {
      options.format = formats[options.format];
    }
    if (options.separator === " to ") {
      options.separator = " по ";
    }
    return original.call(this, options, callback);
  };
  $.fn.daterangepicker.ejournalRussian = true;
}());
