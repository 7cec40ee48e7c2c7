"""``flask import`` shows rows read / total on standard error; ``--json`` on standard output
stays one parseable object."""
from __future__ import annotations

import json

from registry.excel import reader
from tests.jobs.helpers import SAMPLES


def test_progress_goes_to_stderr_and_json_stays_clean(app, ctx, monkeypatch):
    monkeypatch.setattr(reader, "PROGRESS_EVERY", 5)
    runner = app.test_cli_runner(mix_stderr=False) if _mixes() else app.test_cli_runner()
    result = runner.invoke(args=["import", "--progress", "--json", str(SAMPLES / "firms_roster_2016.xlsx")],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "committed" and report["counts"]["new"] > 0
    assert "读取" in result.stderr and "100%" in result.stderr and "正在写入" in result.stderr


def test_no_progress_unless_asked_off_a_terminal(app, ctx):
    result = app.test_cli_runner().invoke(
        args=["import", "--dry-run", "--json", str(SAMPLES / "firms_roster_2016.xlsx")])
    assert result.exit_code == 0
    assert "读取" not in result.stderr
    json.loads(result.stdout)


def _mixes() -> bool:
    """Click 8.1 mixed stderr into output unless told not to; 8.2+ keeps them apart."""
    import inspect

    from click.testing import CliRunner

    return "mix_stderr" in inspect.signature(CliRunner.__init__).parameters
