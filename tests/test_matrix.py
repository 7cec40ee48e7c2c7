"""The test matrix runs the browser tests once: they check pages, not the database, and
Chromium runs are the slowest part of the suite."""
from tests.matrix import leg_args


def test_browser_tests_run_in_the_sqlite_leg_only():
    assert leg_args("sqlite", ["tests/browser"]) == ["tests/browser"]
    assert leg_args("sqlite", []) == []
    # Whole suite elsewhere: everything but tests/browser.
    assert leg_args("postgresql", ["-x"]) == ["-x", "--ignore=tests/browser"]
    # Only browser tests named: nothing to run on that database.
    assert leg_args("mysql", ["tests/browser"]) is None
    assert leg_args("mysql", ["tests/browser/test_firms_journey.py::test_x", "-q"]) is None
    # Mixed: the other paths run, the browser ones are dropped.
    assert leg_args("postgresql", ["tests/web", "tests/browser"]) == ["tests/web", "--ignore=tests/browser"]
