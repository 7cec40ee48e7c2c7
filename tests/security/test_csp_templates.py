"""The Content-Security-Policy allows scripts from the app's own files only: an inline
event handler (onsubmit="…", onclick="…") or a javascript: URL in a template is blocked by
the browser, so the button it belongs to silently does nothing. Confirmations use
``class="js-confirm" data-confirm="…"`` (handled in static/app.js) instead."""
from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
INLINE = re.compile(r"""<[^>]*\son[a-z]+\s*=\s*["']|javascript:""", re.IGNORECASE)


def test_no_template_has_inline_script_the_csp_would_block():
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if INLINE.search(line):
                found.append(f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()[:120]}")
    assert not found, "inline handlers the CSP blocks:\n" + "\n".join(found)


def test_the_check_finds_an_inline_handler():
    assert INLINE.search('<form method="post" onsubmit="return confirm(\'x\');">')
    assert INLINE.search('<a href="javascript:void(0)">')
    assert not INLINE.search('<form class="js-confirm" data-confirm="确定？">')
