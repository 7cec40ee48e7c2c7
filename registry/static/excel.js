// Import pages: no double submits while a workbook is read or imported, and the progress
// bar of a background job. Loaded as a file (the CSP forbids inline script).
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
  // A background job's progress bar: poll the batch's status, reload when the job ends
  // (the page then shows the preview, the result or the error).
  var job = document.querySelector(".import-job[data-status-url]");
  if (job) {
    var wrap = job.querySelector(".progress");
    var bar = job.querySelector(".progress-bar");
    var text = job.querySelector(".job-text");
    var paint = function (percent) {
      bar.style.width = percent + "%";
      wrap.setAttribute("aria-valuenow", String(percent));
    };
    paint(+job.getAttribute("data-percent") || 0);
    var poll = function () {
      fetch(job.getAttribute("data-status-url"), {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (resp) { if (!resp.ok) { throw new Error(resp.status); } return resp.json(); })
        .then(function (state) {
          paint(state.percent);
          text.textContent = state.text;
          if (state.active) { window.setTimeout(poll, 1000); } else { window.location.reload(); }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    };
    if (job.getAttribute("data-active") === "1") { window.setTimeout(poll, 500); }
  }
}());
