// Statistics dashboard: draws the charts from the JSON block the page carries
// (<script type="application/json" id="stats-data">), with the ECharts copy the app
// serves itself. Loaded as a file: the CSP forbids inline script. Tooltips render on
// the canvas (renderMode "richText") because HTML tooltips would need inline styles.
(function () {
  "use strict";
  var COLORS = ["#0b5ed7", "#dc3545", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#6c757d", "#d63384"];
  var LEVELS = ["国家级", "省级", "宁波市级", "慈溪市级"];
  var NARROW = 520;  // px: a chart box this narrow is on a phone

  document.querySelectorAll("form.js-autosubmit select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  document.querySelectorAll(".js-copy").forEach(function (button) {
    button.addEventListener("click", function () {
      var area = document.getElementById(button.getAttribute("data-target"));
      var done = function () {
        var label = button.textContent;
        button.textContent = button.getAttribute("data-done");
        window.setTimeout(function () { button.textContent = label; }, 1500);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(area.value).then(done);
      } else {  // plain http on an intranet: the old way still works
        area.select();
        document.execCommand("copy");
        done();
      }
    });
  });

  var block = document.getElementById("stats-data");
  if (!block || typeof window.echarts === "undefined") { return; }
  var data = JSON.parse(block.textContent);
  var stats = data.stats, trend = data.trend;
  var charts = [];

  // ``narrow``: what changes when the chart box is phone-sized (ECharts media query, so a
  // resize between widths re-applies it): wrapped legends need more room above the plot,
  // rotated category labels more room below.
  function chart(id, option, narrow) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var c = window.echarts.init(el, null, { renderer: "canvas" });
    option.color = option.color || COLORS;
    option.tooltip = Object.assign({ renderMode: "richText", confine: true }, option.tooltip || {});
    option.textStyle = { fontFamily: "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif" };
    option.animation = false;
    c.setOption(narrow ? { baseOption: option, media: [{ query: { maxWidth: NARROW }, option: narrow }] } : option);
    charts.push(c);
  }

  function names(obj) { return Object.keys(obj); }

  // 1. Recognised firms over the years (valid at each year's end).
  chart("chart-trend", {
    tooltip: { trigger: "axis" },
    legend: { top: 0, type: "scroll" },
    grid: { left: 40, right: 20, top: 40, bottom: 30 },
    xAxis: { type: "category", data: trend.years.map(String), boundaryGap: false },
    yAxis: { type: "value", name: "家", minInterval: 1 },
    series: names(trend.valid).map(function (name) {
      return { name: name, type: "line", data: trend.valid[name], symbolSize: 6,
               label: { show: true, position: "top", fontSize: 10,
                        formatter: function (p) { return p.dataIndex === trend.years.length - 1 ? p.value : ""; } } };
    })
  });

  // 2. Institutions and teams over the years.
  chart("chart-capacity", {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 40, top: 40, bottom: 30 },
    xAxis: { type: "category", data: trend.years.map(String) },
    yAxis: [{ type: "value", name: "研发机构（家）", minInterval: 1 },
            { type: "value", name: "团队（个）", minInterval: 1, splitLine: { show: false } }],
    series: [
      { name: "企业研发机构", type: "bar", data: trend.institutions, barMaxWidth: 28,
        label: { show: true, position: "top", fontSize: 10 } },
      { name: "科技创新团队（累计）", type: "line", yAxisIndex: 1, data: trend.teams, symbolSize: 7 }
    ]
  }, { grid: { top: 64 } });  // the two axis names would sit on the legend

  // 3. Institution pyramid: 国家级 at the narrow top.
  var rd = stats.rd_institutions;
  chart("chart-pyramid", {
    tooltip: { trigger: "item", formatter: "{b}：{c}家" },
    color: ["#6f42c1", "#0b5ed7", "#20c997", "#adb5bd"],
    series: [{
      type: "funnel", sort: "ascending", left: "12%", width: "76%", top: 10, bottom: 10,
      minSize: "18%", gap: 3,
      label: { show: true, position: "inside", formatter: "{b} {c}家", color: "#fff", fontWeight: "bold" },
      data: LEVELS.map(function (lv) { return { name: lv, value: rd[lv] }; })
    }]
  }, { series: [{ minSize: "40%" }] });  // the top label stays inside its band on a phone

  // 4. Ladder movement: of each rung's firms, how many came up from the rung below.
  var ladder = data.ladder || [];
  chart("chart-ladder", {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { top: 0 },
    grid: { left: 80, right: 30, top: 36, bottom: 20 },
    xAxis: { type: "value", name: "家", minInterval: 1 },
    yAxis: { type: "category", data: ladder.map(function (r) { return r.name; }), inverse: true },
    series: [
      { name: "由下一级晋升", type: "bar", stack: "rung", barMaxWidth: 34,
        label: { show: true, formatter: function (p) { return p.value ? p.value : ""; } },
        data: ladder.map(function (r) { return r.from_below; }) },
      { name: "直接认定", type: "bar", stack: "rung", barMaxWidth: 34,
        label: { show: true, formatter: function (p) { return p.value ? p.value : ""; } },
        data: ladder.map(function (r) { return r.firms - r.from_below; }) }
    ]
  });

  // 5 and 6. Breakdowns by town and by industry: valid firms per programme (the first
  // ``shown`` programmes), and institutions. Grouped, not stacked: a firm can hold several.
  function breakdown(id, parts, horizontal, shown) {
    var cats = names(parts);
    var progs = names(stats.programmes).slice(0, shown);
    var series = progs.map(function (name) {
      return { name: name, type: "bar", barMaxWidth: 14,
               data: cats.map(function (c) { return parts[c].programmes[name].valid; }) };
    });
    series.push({ name: "企业研发机构", type: "bar", barMaxWidth: 14,
                  data: cats.map(function (c) { return parts[c].rd_institutions.total; }) });
    var catAxis = { type: "category", data: cats, inverse: horizontal, axisLabel: { interval: 0 } };
    var valAxis = { type: "value", minInterval: 1 };
    if (!horizontal) { catAxis.axisLabel.rotate = 30; }
    chart(id, {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },  // plain: wraps onto a second line instead of hiding entries
      grid: { left: horizontal ? 90 : 50, right: 20, top: series.length > 4 ? 80 : 40,
              bottom: horizontal ? 20 : 70 },
      xAxis: horizontal ? valAxis : catAxis,
      yAxis: horizontal ? catAxis : valAxis,
      series: series
    }, horizontal ? { grid: { top: series.length > 2 ? 64 : 40 } }
                  : { grid: { top: 100, bottom: 100 }, xAxis: { axisLabel: { rotate: 60 } } });
  }
  breakdown("chart-town", stats.by_town, true, 2);
  breakdown("chart-industry", stats.by_industry, false, 99);

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
}());
