// Every page: a confirm step before a destructive action. A form marked
// class="js-confirm" data-confirm="…" asks first; without script it still posts and the
// server's rules still apply. Loaded as a file: the CSP forbids inline script.
(function () {
  "use strict";
  document.querySelectorAll("form.js-confirm").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
}());
