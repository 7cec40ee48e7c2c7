"""The text side of cells: what a cell says as text, headers, and the text parser.

Shared by every parser module (values, codes) and by the reader's layout code.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any

_NFKC = "NFKC"
_normalize = unicodedata.normalize
_is_normalized = unicodedata.is_normalized
_category = unicodedata.category


class CellProblem(ValueError):
    """A cell that cannot be read as its column's kind of value."""

    def __init__(self, template: str):
        super().__init__(template)
        self.template = template

    def reason(self, label: str = "") -> str:
        """The message with its subject filled in (``label`` of the column, or nothing)."""
        return self.template.replace("{label}", label)

    def __str__(self) -> str:
        return self.reason("")



# --- invisible characters -------------------------------------------------------------
#: Bidirectional controls: U+202E turns "gnp.exe" into "exe.png" on screen. Never in a name.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
#: Zero-width characters copy-paste leaves behind: dropped from text, never meaningful here.
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
#: C0 and C1 control characters other than tab, line feed and carriage return (and the
#: vertical tab / form feed Word line breaks leave, which count as spaces).
_CONTROLS = "".join(map(chr, [*range(0x00, 0x09), *range(0x0e, 0x20), *range(0x7f, 0xa0)]))
_SUSPECT = re.compile(f"[{re.escape(BIDI_CONTROLS + _CONTROLS)}]")
_DROP_ZERO_WIDTH = str.maketrans("", "", ZERO_WIDTH)
_INVISIBLE = re.compile(f"[{re.escape(BIDI_CONTROLS + _CONTROLS + ZERO_WIDTH)}]")


def visible_name(text: str) -> str:
    """A name as it may be shown (sheet names, file names, values quoted in messages):
    every control, direction-override and zero-width character written out by its code
    point, e.g. [U+202E],
    so nothing can reorder or hide what the reader sees."""
    if text.isprintable():
        return text
    return _INVISIBLE.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


def _check_invisible(value: str) -> str:
    """Drop zero-width and other invisible format characters (Unicode category Cf);
    refuse control and direction-override characters."""
    bad = _SUSPECT.search(value)
    if bad:
        ch = bad.group()
        if ch in BIDI_CONTROLS:
            raise CellProblem(f"{{label}}含有文字方向控制符（U+{ord(ch):04X}），会使文字显示的顺序与实际不符，"
                              "请删除后重新填写")
        raise CellProblem(f"{{label}}含有不可见的控制字符（U+{ord(ch):04X}），请删除后重新填写")
    value = value.translate(_DROP_ZERO_WIDTH)
    if not value.isprintable():  # other invisible format characters (soft hyphen, tag characters …)
        value = "".join(ch for ch in value if _category(ch) != "Cf")
    return value


# --- headers ------------------------------------------------------------------------
_HEADER_DROP = str.maketrans("", "", " \t\r\n*＊\u3000\xa0" + ZERO_WIDTH + BIDI_CONTROLS)
_UNIT_SUFFIX = re.compile(r"\((?:万?元|万元人民币|人|个|项|件|家|%|年|亿元)\)$")


def normalise_header(text: Any) -> str:
    """Half-width, no spaces, line breaks or required-marks ("*企业 名称" → "企业名称")."""
    if text is None:
        return ""
    if not isinstance(text, str):
        text = cell_text(text)
    return _normalize(_NFKC, text).translate(_HEADER_DROP).strip()


def strip_unit(header: str) -> str:
    """A normalised header without a trailing unit: "注册资本(万元)" → "注册资本"."""
    return _UNIT_SUFFIX.sub("", header)


def cell_text(value: Any) -> str:
    """A cell as the sender sees it: 200.0 → "200", dates as yyyy-mm-dd, None → ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".15G") if abs(value) >= 1e15 else repr(value)  # 9.13302827538474E+17
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def is_blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, str) and not value.strip())


# --- text ---------------------------------------------------------------------------
BRACKETS = str.maketrans({"(": "（", ")": "）"})
_SPACES_NEAR_WIDE = re.compile(r"\s+(?=[^\x00-\x7f])|(?<=[^\x00-\x7f])\s+")
_SPACES = re.compile(r"\s+")


def parse_text(value: Any) -> str | None:
    """NFKC, brackets as full-width （）, no spaces next to Chinese, inner runs collapsed;
    zero-width characters dropped, control and direction-override characters refused
    (CellProblem)."""
    if type(value) is not str:
        value = cell_text(value)
    if not value.isprintable():  # C speed; false for tabs, line breaks and anything invisible
        value = _check_invisible(value)
    if not _is_normalized(_NFKC, value):
        value = _normalize(_NFKC, value)
    if "(" in value or ")" in value:
        value = value.translate(BRACKETS)
    if not value.isprintable() or " " in value:
        value = _SPACES.sub(" ", _SPACES_NEAR_WIDE.sub("", value.strip()))
        if not _is_normalized(_NFKC, value.replace("（", "(").replace("）", ")")):
            # "A´" is "A ́" after NFKC: without the space it composes to "Á"
            value = _normalize(_NFKC, value).translate(BRACKETS)
    return value or None


def compact(value: Any) -> str:
    """NFKC text without any whitespace, for vocabulary look-ups."""
    if type(value) is not str:
        value = cell_text(value)
    return "".join(_normalize(_NFKC, value).split())


