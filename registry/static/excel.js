// Import pages: no double submits while a workbook is read or imported, and a confirm
// step before discarding. Loaded as a file (the CSP forbids inline script).
(function () {
  "use strict";
  document.querySelectorAll("form.js-busy").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit][data-busy-text]");
      if (!button) { return; }
      window.setTimeout(function () {
        button.disabled = true;
        button.textContent = button.getAttribute("data-busy-text");
      }, 0);
    });
  });
  document.querySelectorAll("form.js-confirm").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
}());
