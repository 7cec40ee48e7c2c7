"""Forms of the import pages: the upload, the valid-only confirmation and the column map."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from registry.vocab import IMPORT_KINDS

#: The value of a mapping select that means "this column is not imported".
IGNORE = "__ignore__"


class UploadForm(FlaskForm):
    file = FileField("Excel 文件", validators=[FileRequired("请选择要上传的文件")])
    kind = SelectField("数据类别", validators=[Optional()], choices=[SelectChoice("", "自动识别")] + [
        SelectChoice(code, label) for code, label in IMPORT_KINDS.items()])
    programme = SelectField("认定类别", validators=[Optional()])
    year = IntegerField("年度", validators=[Optional(), NumberRange(1950, 2200, "年度应为四位年份，如 2016")])

    def fill_choices(self, programmes) -> None:
        self.programme.choices = [SelectChoice("", "自动识别")] + [
            SelectChoice(p.code, p.name) for p in programmes]


class ConfirmForm(FlaskForm):
    valid_only = BooleanField("仅导入无误的行（有错误的行不导入）")


class ActionForm(FlaskForm):
    """A bare POST (discard, mapping): the CSRF token is all it carries."""


def mapping_from(form_data, sheets) -> dict[str, dict[str, str]]:
    """Read the mapping selects back: ``map-<sheet index>-<header index>`` → field name,
    IGNORE → "" (ignored). Returns {sheet name: {header as written: field name or ""}};
    headers left on "请选择" are not in it. Indexes, not header text, name the inputs, so
    any header survives the round trip; field names the sheet does not have are dropped."""
    out: dict[str, dict[str, str]] = {}
    for si, sheet in enumerate(sheets):
        allowed = {f.name for f in sheet["fields"]}
        for hi, header in enumerate(sheet["unmapped"]):
            value = form_data.get(f"map-{si}-{hi}", "")
            if value == IGNORE:
                out.setdefault(sheet["name"], {})[header] = ""
            elif value in allowed:
                out.setdefault(sheet["name"], {})[header] = value
    return out
