"""Promise 8: property-based tests (Hypothesis) of the import's parsers.

* Every cell parser, fed any value a worksheet can hold (text of any kind — controls,
  direction overrides, full-width digits, 100-digit numbers —, floats including NaN and
  infinities, huge ints, bools, dates, times, durations), returns a value of its kind or
  raises ``CellProblem`` (the reader's documented cell error); never anything else.
* The USCC rule (``registry.firms.uscc``) raises only its ``InvalidUSCC`` (a
  ``ValidationError``), accepts every code ``make_uscc`` builds in any spelling people
  type, and catches every single-character change of a valid code.
* ``title_grade`` never raises and does not care about spacing or full-width letters.
* Header detection never raises on arbitrary grids and merges, returns a header inside
  the scanned rows whose columns name each field once, and finds a real header under noise.
* The reader never lets anything but ``FileRefused`` out, whatever is written in the
  worksheet XML.
* Valid values survive export (``exporter.write_workbook``) and import (``read_workbook``)
  unchanged.

Example counts stay small (two cores in CI); FUZZ_EXAMPLES raises them for a long local
run. In CI (CI=true) the examples are derandomised, so a run is repeatable.
"""
from __future__ import annotations

import os
import string
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, example, given, settings, strategies as st

from registry.errors import ValidationError
from registry.excel import exporter
from registry.excel.cells import BIDI_CONTROLS, CellProblem, parse_text
from registry.excel.codes import LegacyCode, parse_level, parse_role, parse_uscc
from registry.excel.layout import find_header, kind_fields
from registry.excel.reader import read_workbook
from registry.excel.specs import FIRMS, SHEET_KINDS
from registry.excel.types import FileRefused
from registry.excel.values import MAX_INT, MAX_MONEY, build_parsers
from registry.firms.uscc import CHARSET, InvalidUSCC, is_valid_uscc, make_uscc, normalise_uscc, validate_uscc
from registry.teams.titles import ASSOCIATE, INTERMEDIATE, JUNIOR, SENIOR, title_grade
from registry.vocab import LEVEL_SYNONYMS
from tests.security import hostile

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "120"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
fuzz = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=IN_CI,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
few = settings(fuzz, max_examples=max(10, EXAMPLES // 6))

TODAY = date(2024, 6, 30)
TOWNS = ["浒山街道", "白沙路街道", "古塘街道", "宗汉街道", "坎墩街道", "周巷镇", "观海卫镇", "逍林镇",
         "新浦镇", "龙山镇", "杭州湾新区"]
INDUSTRIES = ["智能家电", "高端机械基础件", "汽车及关键零部件", "智能装备", "新材料", "生命健康", "其他"]
PARSERS = build_parsers(towns=TOWNS, industries=INDUSTRIES, today=TODAY)

# --- what a cell can hold -----------------------------------------------------------------
WORDS = ["万元", "万", "元", "年", "年度", "月", "日", "是", "否", "√", "×", "人", "项", "国家级", "省级",
         "市级", "宁波", "带头人", "成员", "高新技术企业", "雏鹰", "浒山", "街道", "镇", "慈溪市", "E+17",
         "e", ".", ",", "-", "/", "－", "—", "（", "）", "(", ")", ":", "：", " ", "\u3000", "\t", "\n",
         "\u202e", "\u200b", "\x07", "\x00", "\ufeff", "0", "9", "２０２４", "１２", "1e5", "nan", "inf"]
token_text = st.lists(st.one_of(st.sampled_from(WORDS), st.text(string.digits, min_size=1, max_size=20)),
                      max_size=8).map("".join)
any_text = st.one_of(st.text(max_size=40), token_text,
                     st.from_regex(r"\s*[+-]?\d{1,20}([.,]\d{0,6})?\s*(万元|万|人|项)?\s*", fullmatch=True),
                     st.from_regex(r"\d{2,4}[.\-/年]\d{1,2}[.\-/月]\d{1,2}日?( \d{1,2}:\d{2})?", fullmatch=True),
                     st.from_regex(r"[0-9A-Za-z０-９ \-]{0,24}", fullmatch=True))
cell_value = st.one_of(
    any_text,
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-10**30, max_value=10**30),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
)


@fuzz
@given(parser=st.sampled_from(sorted(PARSERS)), value=cell_value)
@example(parser="decimal", value="9" * 100)
@example(parser="int", value=2**40)
@example(parser="date", value=float("nan"))
@example(parser="uscc", value=1e300)
@example(parser="text", value="慈溪市\u202egnp.exe")
@example(parser="text", value="慈溪\xad市\U000e0041")  # soft hyphen, a tag character: dropped
def test_cell_parsers_return_their_kind_or_a_cell_problem(parser, value):
    try:
        result = PARSERS[parser](value)
    except CellProblem as problem:
        assert problem.reason("列").strip()  # a message to show
        return
    if result is None:
        return
    if parser in ("decimal",):
        assert isinstance(result, Decimal) and result.is_finite() and 0 <= result < MAX_MONEY
    elif parser in ("int", "count"):
        assert type(result) is int and 0 <= result <= MAX_INT
    elif parser == "date":
        assert type(result) is date and date(1900, 1, 1) <= result <= TODAY
    elif parser == "year":
        assert type(result) is int and 1950 <= result <= 2100
    elif parser == "bool":
        assert type(result) is bool
    elif parser == "uscc":
        assert isinstance(result, LegacyCode) or is_valid_uscc(result)
    elif parser == "town":
        assert result in TOWNS
    elif parser == "industry":
        assert result in INDUSTRIES
    elif parser == "level":
        assert result in set(LEVEL_SYNONYMS.values())
    elif parser == "role":
        assert result in {"leader", "core", "member"}
    elif parser in ("text", "phone"):
        assert isinstance(result, str) and result == result.strip()
        assert not any(ch in BIDI_CONTROLS for ch in result)
        assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in result), repr(result)


@fuzz
@given(value=st.text(max_size=60))
@example(value="A\xb4")  # NFKC gives "A \u0301"; once the space goes, it composes to "Á"
def test_parse_text_is_idempotent(value):
    try:
        once = parse_text(value)
    except CellProblem:
        return
    assert once is None or parse_text(once) == once


# --- USCC -----------------------------------------------------------------------------
code_body = st.text(CHARSET, min_size=8, max_size=8)
valid_uscc = st.builds(make_uscc, st.text(CHARSET, min_size=8, max_size=8), code_body)


@fuzz
@given(raw=st.one_of(st.text(max_size=30), st.from_regex(r"[0-9A-Za-z０-９ａ-ｚＡ-Ｚ \-]{0,22}", fullmatch=True),
                     st.integers(), st.floats(), st.none()))
def test_validate_uscc_raises_only_its_own_error(raw):
    try:
        code = validate_uscc(raw)
    except InvalidUSCC as exc:
        assert isinstance(exc, ValidationError) and exc.message and exc.field == "uscc"
        return
    assert len(code) == 18 and set(code) <= set(CHARSET) and is_valid_uscc(code)


@fuzz
@given(code=valid_uscc, spacing=st.lists(st.sampled_from(["", " ", "\u3000", "\t"]), min_size=18, max_size=18),
       fullwidth=st.booleans(), lower=st.booleans())
def test_every_spelling_of_a_valid_uscc_is_that_uscc(code, spacing, fullwidth, lower):
    typed = "".join(ch + gap for ch, gap in zip(code, spacing))
    if lower:
        typed = typed.lower()
    if fullwidth:
        typed = "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in typed)
    assert validate_uscc(typed) == code
    assert normalise_uscc(typed) == code
    assert parse_uscc(typed) == code and parse_uscc(code) == code


@fuzz
@given(code=valid_uscc, position=st.integers(0, 17), replacement=st.sampled_from(CHARSET))
def test_any_single_changed_character_is_caught(code, position, replacement):
    assume(code[position] != replacement)
    changed = code[:position] + replacement + code[position + 1:]
    with pytest.raises(InvalidUSCC):
        validate_uscc(changed)
    with pytest.raises(CellProblem):
        parse_uscc(changed)


# --- titles and levels ---------------------------------------------------------------------
KNOWN_TITLES = {"教授级高级工程师": SENIOR, "正高级工程师": SENIOR, "研究员": SENIOR, "高级工程师": ASSOCIATE,
                "副教授": ASSOCIATE, "高级经济师": ASSOCIATE, "工程师": INTERMEDIATE, "助理研究员": INTERMEDIATE,
                "助理工程师": JUNIOR, "技术员": JUNIOR, "高级工程师（教授级）": SENIOR}


@fuzz
@given(title=st.one_of(st.none(), st.text(max_size=30), token_text,
                       st.lists(st.sampled_from(["高级", "副", "正高级", "助理", "工程师", "教授", "(", ")", "（",
                                                 "）", "级", "研究员", " "]), max_size=6).map("".join)))
def test_title_grade_never_raises(title):
    assert title_grade(title) in (None, SENIOR, ASSOCIATE, INTERMEDIATE, JUNIOR)


@fuzz
@given(title=st.sampled_from(sorted(KNOWN_TITLES)), data=st.data())
def test_title_grade_ignores_spacing_and_width(title, data):
    gaps = data.draw(st.lists(st.sampled_from(["", " ", "\u3000"]), min_size=len(title), max_size=len(title)))
    spaced = "".join(ch + gap for ch, gap in zip(title, gaps))
    wide = spaced.replace("(", "（").replace(")", "）")
    assert title_grade(spaced) == title_grade(wide) == KNOWN_TITLES[title]


@fuzz
@given(word=st.sampled_from(sorted(LEVEL_SYNONYMS)), data=st.data())
def test_levels_read_however_they_are_spaced(word, data):
    gaps = data.draw(st.lists(st.sampled_from(["", " ", "\u3000", "\n"]), min_size=len(word), max_size=len(word)))
    spaced = "".join(ch + gap for ch, gap in zip(word, gaps))
    assert parse_level(spaced) == LEVEL_SYNONYMS[word]
    assert parse_role("带头人") == "leader"


# --- header detection -------------------------------------------------------------------
ALL_LABELS = sorted({spelling for kind in SHEET_KINDS.values() for f in kind.fields
                     for spelling in (f.label, *f.synonyms)})
header_cell = st.one_of(st.sampled_from(ALL_LABELS), st.just(""), st.none(), any_text,
                        st.integers(-5, 10**6), st.floats(allow_nan=True), st.dates())


@st.composite
def grids(draw):
    width = draw(st.integers(1, 12))
    height = draw(st.integers(0, 25))
    rows = [draw(st.lists(header_cell, min_size=width, max_size=width)) for _ in range(height)]
    merges = []
    for _ in range(draw(st.integers(0, 4))):
        r0 = draw(st.integers(0, max(0, height - 1)))
        c0 = draw(st.integers(0, width - 1))
        merges.append(((r0, c0), (draw(st.integers(r0, r0 + 3)), draw(st.integers(c0, width + 2)))))
    return rows, merges


@few
@given(grid=grids(), forced=st.booleans(), words=st.sampled_from(["", "名录", "名单 高新技术企业", "团队", "年度数据"]),
       kinds=st.lists(st.sampled_from(sorted(SHEET_KINDS)), min_size=1, max_size=6, unique=True),
       mapping=st.dictionaries(st.sampled_from(ALL_LABELS + ["某列"]),
                               st.sampled_from(["", "name", "uscc", "town", "nonsense"]), max_size=3))
def test_header_detection_never_raises_and_stays_in_bounds(grid, forced, words, kinds, mapping):
    rows, merges = grid
    header = find_header(rows, merges, kinds=[SHEET_KINDS[k] for k in kinds], mapping=mapping,
                         context_words=words, forced=forced, scan_rows=20)
    if header is None:
        return
    assert 0 <= header.first_row <= header.row < min(20, len(rows))
    assert header.kind.code in kinds
    fields = [c.field for c in header.columns if c.field]
    assert len(fields) == len(set(fields))  # each field named by one column
    width = len(rows[header.row])
    for column in header.columns:
        assert 0 <= column.index < width
        assert column.field in (None, "") or column.field in kind_fields(header.kind.code)


@fuzz
@given(noise=st.lists(st.lists(st.one_of(st.none(), st.just(""), st.text("（共家）单位万元附件0123456789 ", max_size=12)),
                               min_size=1, max_size=1), max_size=8),
       order=st.permutations([f.label for f in FIRMS.fields]))
def test_a_real_header_is_found_under_title_noise(noise, order):
    """Title rows (one cell each), then the roster's labels in any order."""
    rows = [row + [None] * (len(order) - 1) for row in noise] + [list(order)]
    header = find_header(rows, [], kinds=list(SHEET_KINDS.values()), mapping={}, context_words="",
                         forced=False, scan_rows=20)
    assert header is not None and header.kind.code == "firms" and header.row == len(noise)
    assert {c.field for c in header.columns} == {f.name for f in FIRMS.fields}


# --- the reader as a whole --------------------------------------------------------------
xml_junk = st.one_of(
    st.sampled_from(['<c r="A9"><v>x</v></c>', '<c r="ZZZZ9"><v>1</v></c>', '<c r="A0"><v>1</v></c>',
                     '<c t="s"><v>999</v></c>', '<c t="e"><v>#N/A</v></c>', '<c t="d"><v>2024-13-45</v></c>',
                     '<c t="b"><v>2</v></c>', '<row r="0">', '<row r="-1"></row>', "</sheetData>", "<![CDATA[",
                     "&#0;", "&#xD800;", "&amp", '<c r="B2"><f>1/0</f></c>', "<is><t>", "\x00"]),
    st.text(max_size=20))


@few
@given(inserts=st.lists(st.tuples(st.integers(0, 10_000), xml_junk), min_size=1, max_size=4))
def test_reader_lets_out_nothing_but_file_refused(inserts):
    base = hostile.sheet_xml(hostile.rows_xml(hostile.roster(4))).decode()
    for at, junk in inserts:
        at %= len(base) + 1
        base = base[:at] + junk + base[at:]
    data = hostile.with_sheet(base.encode("utf-8", "replace"))
    try:
        book = read_workbook(data, "名录.xlsx", towns=TOWNS, industries=INDUSTRIES, today=TODAY)
    except FileRefused as refused:
        assert refused.message
        return
    for row in book.all_rows():
        for error in row.errors:
            assert error.reason


# --- valid values survive export and import ----------------------------------------------
name_text = st.text(st.characters(categories=["Lo", "Lu", "Ll", "Nd"], max_codepoint=0x9FFF),
                    min_size=2, max_size=30).map(parse_text).filter(bool)
person = st.text(st.characters(categories=["Lo"], min_codepoint=0x4E00, max_codepoint=0x9FA5),
                 min_size=2, max_size=4)
money = st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2, allow_nan=False,
                    allow_infinity=False)
firm_row = st.fixed_dictionaries({
    "name": name_text,
    "uscc": valid_uscc,
    "town": st.sampled_from(TOWNS),
    "industry": st.sampled_from(INDUSTRIES),
    "founded_on": st.dates(date(1900, 1, 1), TODAY),
    "registered_capital": money,
    "legal_representative": person,
    "phone": st.from_regex(r"1[3-9][0-9]{9}|0574-6[0-9]{7}", fullmatch=True),
    "above_scale": st.booleans(),
})
FIELDS = ["name", "uscc", "town", "industry", "founded_on", "registered_capital", "legal_representative",
          "phone", "above_scale"]


@few
@given(rows=st.lists(firm_row, min_size=1, max_size=12, unique_by=lambda r: r["uscc"]))
def test_valid_values_round_trip_through_export_and_import(rows):
    fields = [FIRMS.field(name) for name in FIELDS]
    columns = [exporter.Column("序号")] + [
        exporter.Column(f.label, number_format=exporter.TEXT if f.parser in ("uscc", "phone") else None)
        for f in fields]
    table = [[i + 1] + [row[f.name] for f in fields] for i, row in enumerate(rows)]
    data = exporter.write_workbook([exporter.Sheet("企业名录", columns, table)])
    book = read_workbook(data, "企业名录.xlsx", towns=TOWNS, industries=INDUSTRIES, today=TODAY)
    parsed = book.sheets[0].rows
    assert len(parsed) == len(rows)
    for original, row in zip(rows, parsed):
        assert not row.errors, [e.as_dict() for e in row.errors]
        for name in FIELDS:
            assert row.values[name] == original[name], (name, row.values[name], original[name])


@few
@given(values=st.lists(st.one_of(
    st.dates(date(1900, 1, 1), TODAY), st.datetimes(datetime(1900, 1, 1), datetime(2024, 6, 30)),
    money, st.integers(0, MAX_INT)), min_size=1, max_size=20))
def test_dates_and_numbers_round_trip_as_cells(values):
    """Dates and numbers as Excel stores them (serials, doubles) come back as written."""
    columns = [exporter.Column("值")]
    data = exporter.write_workbook([exporter.Sheet("值", columns, [[v] for v in values])])
    from python_calamine import CalamineWorkbook
    import io

    cells = [r[0] for r in CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()[1:]]
    parse_date, parse_decimal = PARSERS["date"], PARSERS["decimal"]
    for value, cell in zip(values, cells):
        if isinstance(value, datetime):
            assert parse_date(cell) == value.date()
        elif isinstance(value, date):
            assert parse_date(cell) == value
        else:
            assert parse_decimal(cell) == value


def test_times_and_durations_are_not_dates():
    with pytest.raises(CellProblem):
        PARSERS["date"](time(12, 0))
    with pytest.raises(CellProblem):
        PARSERS["decimal"](timedelta(days=1))
