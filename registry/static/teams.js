// Team pages: ask before deleting a member or an evaluation. Loaded as a file (the CSP
// forbids inline script); without script the forms still post, guarded on the server.
(function () {
  "use strict";
  document.querySelectorAll("form.js-confirm").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
}());
