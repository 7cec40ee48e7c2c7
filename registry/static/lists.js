/* Criteria forms: show only the fields the chosen kind uses (all stay in the form). */
(function () {
  "use strict";
  function sync(form) {
    var select = form.querySelector(".criterion-kind");
    if (!select) { return; }
    form.querySelectorAll("[data-kinds]").forEach(function (box) {
      var kinds = box.getAttribute("data-kinds").split(" ");
      box.hidden = kinds.indexOf(select.value) === -1;
    });
  }
  document.querySelectorAll("form.criterion-form").forEach(function (form) {
    sync(form);
    form.querySelector(".criterion-kind").addEventListener("change", function () { sync(form); });
  });
})();
