"""A leader (viewer role) opens the statistics dashboard: every chart draws, the figures read
sensibly, another year redraws, and nothing on the page errors."""
from __future__ import annotations

import re

from tests.browser.conftest import make_user, shoot, sign_in

CHARTS = ["chart-trend", "chart-capacity", "chart-pyramid", "chart-ladder", "chart-town", "chart-industry"]

#: For each chart: its ECharts instance's series and data count, and how many pixels of
#: its canvas are painted in a colour other than the background — read back from the
#: canvas itself, so a chart that "initialised" but drew nothing fails.
CHART_STATE_JS = """(ids) => ids.map(id => {
  const el = document.getElementById(id);
  if (!el) return { id, missing: true };
  const chart = window.echarts && window.echarts.getInstanceByDom(el);
  const canvas = el.querySelector('canvas');
  let painted = 0, colours = 0;
  if (canvas && canvas.width && canvas.height) {
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const seen = new Set();
    for (let i = 0; i < pixels.length; i += 4 * 7) {  // every 7th pixel is plenty
      if (pixels[i + 3] > 0 && !(pixels[i] > 245 && pixels[i + 1] > 245 && pixels[i + 2] > 245)) {
        painted++; seen.add((pixels[i] >> 4) + ',' + (pixels[i + 1] >> 4) + ',' + (pixels[i + 2] >> 4));
      }
    }
    colours = seen.size;
  }
  const option = chart ? chart.getOption() : null;
  const points = option ? option.series.reduce((n, s) => n + (s.data ? s.data.length : 0), 0) : 0;
  return { id, instance: !!chart, series: option ? option.series.length : 0, points,
           width: canvas ? canvas.width : 0, height: canvas ? canvas.height : 0, painted, colours,
           url: canvas ? canvas.toDataURL('image/png').length : 0 };
})"""


def _check_charts(page) -> list[dict]:
    states = page.evaluate(CHART_STATE_JS, CHARTS)
    for s in states:
        assert not s.get("missing"), f"{s['id']} is not on the page"
        assert s["instance"] and s["series"] >= 1 and s["points"] >= 1, s
        assert s["width"] > 100 and s["height"] > 100, s
        # axes, labels and bars/lines in several colours, not a blank or one-colour box
        assert s["painted"] > 200 and s["colours"] >= 3, s
        assert s["url"] > 5_000, s  # a blank canvas's PNG is a few hundred bytes
    return states


def test_leader_opens_the_dashboard_and_every_chart_draws(new_page, live_server):
    from playwright.sync_api import expect

    username = make_user(live_server, "viewer", display_name="局领导")
    page = new_page()
    sign_in(page, username, "Keji-ju-2016")
    page.goto("/stats/")
    expect(page.get_by_role("heading", name="统计分析")).to_be_visible()
    expect(page.get_by_role("navigation").first).to_contain_text("统计分析")
    expect(page.get_by_role("link", name="数据导入")).to_have_count(0)  # a viewer imports nothing

    # Figures a leader reads: tiles with numbers, the summary paragraph, the town table.
    tiles = page.locator(".kpi")
    assert tiles.count() >= 6
    for label in ["高新技术企业", "企业研发机构", "科技创新团队", "副高以上人才"]:
        tile = tiles.filter(has_text=label).first
        expect(tile.locator(".kpi-value")).to_have_text(re.compile(r"^\d+\s*(家|个|人)$"))
    summary = page.get_by_label("文字摘要")
    expect(summary).to_have_value(re.compile(r"全市共有高新技术企业\d+家"))
    expect(page.locator("table.stats-table").first.locator("tbody tr")).not_to_have_count(0)

    page.wait_for_function("() => window.echarts && document.querySelectorAll('.chart canvas').length >= 6")
    first = _check_charts(page)
    shoot(page, "dashboard-01-2016")
    # The phone width redraws the charts at their new size, still non-empty.
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function("(w) => document.querySelector('#chart-industry canvas').width < w",
                           arg=first[-1]["width"])  # the resize handler has redrawn them
    narrow = _check_charts(page)
    assert all(n["width"] < f["width"] for n, f in zip(narrow, first))
    page.set_viewport_size({"width": 1366, "height": 768})

    # Another year: the select submits itself and the charts draw again.
    page.get_by_label("年份").select_option("2014")
    expect(page.get_by_text("截至2014年底")).to_be_visible()
    page.wait_for_function("() => window.echarts && document.querySelectorAll('.chart canvas').length >= 6")
    _check_charts(page)
    shoot(page, "dashboard-02-2014")
