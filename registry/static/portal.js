// Annual data form (portal): live checks while typing, and the R&D intensity.
// The server repeats every check (registry/portal/annual.py); the cross-field rules come
// from the form's data-rules attribute, so both sides use the same list.
(function () {
  "use strict";
  var form = document.getElementById("annual-form");
  if (!form) { return; }
  var rules = JSON.parse(form.getAttribute("data-rules") || "[]");
  var maxMoney = parseFloat(form.getAttribute("data-max-money") || "10000000");
  var LIMITS = { employees: 200000, rd_staff: 200000, tech_staff: 200000 };

  function input(name) { return form.querySelector('[name="' + name + '"]'); }

  function parse(el) {
    var text = (el.value || "").replace(/,/g, "").trim();
    if (text === "") { return { value: null }; }
    if (!/^-?\d+(\.\d+)?$/.test(text)) { return { error: "请输入数字" }; }
    var value = parseFloat(text);
    if (value < 0) { return { error: "不能为负数" }; }
    if (el.getAttribute("data-kind") === "money") {
      if (value > maxMoney) { return { error: "超出合理范围，请确认单位为万元" }; }
    } else {
      if (Math.floor(value) !== value) { return { error: "请输入整数" }; }
      if (value > (LIMITS[el.name] || 100000)) { return { error: "超出合理范围" }; }
    }
    return { value: value };
  }

  function show(el, message) {
    var box = document.getElementById("err-" + el.name);
    el.classList.toggle("is-invalid", Boolean(message));
    if (box) { box.textContent = message || ""; }
  }

  function check() {
    var values = {};
    var errors = {};
    form.querySelectorAll("[data-kind]").forEach(function (el) {
      var parsed = parse(el);
      if (parsed.error) { errors[el.name] = parsed.error; } else { values[el.name] = parsed.value; }
    });
    rules.forEach(function (rule) {
      var small = rule[0], large = rule[1], message = rule[2];
      if (errors[small] || values[small] == null || values[large] == null) { return; }
      if (values[small] > values[large]) { errors[small] = message; }
    });
    form.querySelectorAll("[data-kind]").forEach(function (el) { show(el, errors[el.name]); });
    var out = document.getElementById("rd-intensity");
    if (out) {
      var revenue = values.revenue, rd = values.rd_expense;
      out.textContent = (revenue && rd != null) ? (rd * 100 / revenue).toFixed(2) + "%" : "—";
    }
  }

  form.addEventListener("input", function (event) {
    if (event.target.hasAttribute("data-kind")) { check(); }
  });
})();
