"""Firm forms: the list's filters (GET, no CSRF: it changes nothing) and the edit forms.

Every message a clerk can see is Chinese: the field-level ones are written here, and
WTForms' own (a date it cannot read, an unknown choice) come from its zh catalogue.
The rules themselves (USCC, uniqueness, dates, town scope) live in the services; these
forms only turn text into values.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, Form, HiddenField, IntegerField, SelectField, StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.meta import DefaultMeta
from wtforms.widgets import TextInput
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, StopValidation

from registry.firms.services import SORTS
from registry.firms.uscc import InvalidUSCC, validate_uscc
from registry.vocab import FIRM_STATUSES


def _int_or_none(value):
    return int(value) if value not in (None, "", "None") else None


def _bool_or_none(value):
    return {"1": True, "0": False, True: True, False: False}.get(value)


YES_NO = [SelectChoice("", "不限"), SelectChoice("1", "是"), SelectChoice("0", "否")]
ZONE_CHOICES = [SelectChoice("", "全部区域"), SelectChoice("exclude_new", "不含新区"),
                SelectChoice("only_new", "仅杭州湾新区")]


class FirmFilterForm(Form):
    q = StringField("名称 / 信用代码", validators=[Optional()])
    town = SelectField("镇（街道）", coerce=_int_or_none, validators=[Optional()])
    zone = SelectField("区域", choices=ZONE_CHOICES, validators=[Optional()])
    industry = SelectField("所属产业", coerce=_int_or_none, validators=[Optional()])
    programme = SelectField("认定类别", coerce=_int_or_none, validators=[Optional()])
    year = IntegerField("年度", validators=[Optional(), NumberRange(1950, 2200, "年度无效")])
    status = SelectField("状态", validators=[Optional()], choices=[SelectChoice("", "全部状态")] + [
        SelectChoice(code, label) for code, label in FIRM_STATUSES.items()])
    has_institution = SelectField("有研发机构", choices=YES_NO, validators=[Optional()])
    above_scale = SelectField("规上企业", choices=YES_NO, validators=[Optional()])
    sort = SelectField("排序", choices=[SelectChoice(k, k) for k in SORTS], validators=[Optional()])
    dir = SelectField("顺序", choices=[SelectChoice("asc", "升序"), SelectChoice("desc", "降序")],
                      validators=[Optional()])

    def fill_choices(self, towns, industries, programmes) -> None:
        self.town.choices = _choices("全部镇街", ((t.id, t.name) for t in towns))
        self.industry.choices = _choices("全部产业", ((i.id, i.name) for i in industries))
        self.programme.choices = _choices("全部类别", ((p.id, p.short_name) for p in programmes))

    def conditions(self) -> list[str]:
        """The filters in force, as words for the exported workbook's title."""
        said = []
        if (self.q.data or "").strip():
            said.append(f"关键词“{self.q.data.strip()}”")
        for fld in (self.town, self.zone, self.industry, self.status, self.has_institution,
                    self.above_scale):
            if fld.data not in (None, "") and not fld.errors:
                shown = {str(v): text for v, text in _pairs(fld)}
                said.append(f"{fld.label.text}：{shown.get(str(fld.data), fld.data)}")
        if self.programme.data and not self.programme.errors:
            shown = {str(v): text for v, text in _pairs(self.programme)}
            year = f"{self.year.data}年" if self.year.data and not self.year.errors else ""
            said.append(f"{year}{shown.get(str(self.programme.data), '')}")
        return said


def _pairs(field):
    return [(c.value if isinstance(c, SelectChoice) else c[0],
             c.label if isinstance(c, SelectChoice) else c[1]) for c in field.choices]


def _choices(everything: str, pairs) -> list[SelectChoice]:
    return [SelectChoice("", everything)] + [SelectChoice(v, label) for v, label in pairs]


# --- edit forms ----------------------------------------------------------------------------

class ZhForm(FlaskForm):
    """A FlaskForm whose built-in messages come from WTForms' Chinese catalogue."""

    class Meta:
        locales = ("zh",)

        def get_translations(self, form):
            return DefaultMeta.get_translations(self, form)


class DayField(DateField):
    """A date typed as YYYY-MM-DD (also 2016/11/30, 2016.11.30 or 20161130).

    A plain text box, not the browser's date picker: the picker shows the browser's own
    locale (mm/dd/yyyy on an English system), and the registry writes dates YYYY-MM-DD."""

    widget = TextInput()

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(f"{self.label.text}格式应为 YYYY-MM-DD，如 2016-11-30")


def date_field(label: str, *, required: bool = False, message: str = "") -> DayField:
    checks = [DataRequired(message or f"请填写{label}")] if required else [Optional()]
    return DayField(label, validators=checks, format=["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"],
                    render_kw={"placeholder": "YYYY-MM-DD", "autocomplete": "off"})


class FirmForm(ZhForm):
    """Create (with the name) or edit (name through 更名) a firm's profile."""

    uscc = StringField("统一社会信用代码", validators=[
        DataRequired("请填写统一社会信用代码"), Length(max=40, message="统一社会信用代码应为18位")],
        render_kw={"autocomplete": "off", "spellcheck": "false"})
    name = StringField("企业名称", validators=[
        DataRequired("请填写企业名称"), Length(max=200, message="企业名称不能超过200个字符")])
    town_id = SelectField("所在镇（街道）", coerce=_int_or_none, validate_choice=True)
    industry_id = SelectField("所属产业", coerce=_int_or_none)
    founded_on = date_field("成立日期")
    registered_capital = StringField("注册资本（万元）", validators=[
        Optional(), Regexp(r"^\s*[0-9][0-9,，]*(\.[0-9]{0,6})?\s*$", message="请填写数字，单位万元，如 500 或 1200.50")],
        render_kw={"inputmode": "decimal"})
    legal_representative = StringField("法定代表人", validators=[Optional(), Length(max=50, message="不能超过50个字符")])
    contact_person = StringField("联系人", validators=[Optional(), Length(max=50, message="不能超过50个字符")])
    phone = StringField("联系电话", validators=[
        Optional(), Length(max=40, message="不能超过40个字符"),
        Regexp(r"^[0-9０-９+\-－()（）\s/、,，转]*$", message="联系电话只能包含数字、空格、括号和“-”")])
    email = StringField("电子邮箱", validators=[
        Optional(), Length(max=120, message="不能超过120个字符"),
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="电子邮箱格式不正确")])
    address = StringField("地址", validators=[Optional(), Length(max=255, message="不能超过255个字符")])
    above_scale = BooleanField("规上企业")
    note = TextAreaField("备注", validators=[Optional(), Length(max=2000, message="不能超过2000个字符")],
                         render_kw={"rows": 2})
    version = HiddenField()
    original = HiddenField()

    def validate_uscc(self, field) -> None:
        """The one USCC rule (``registry.firms.uscc``), shown beside the field at once."""
        try:
            validate_uscc(field.data)
        except InvalidUSCC as exc:
            raise StopValidation(exc.message)

    def fill_choices(self, towns, industries, *, town_required: bool) -> None:
        self.town_id.choices = ([] if town_required else [SelectChoice("", "（未填写）")]) + [
            SelectChoice(t.id, t.name) for t in towns]
        self.industry_id.choices = [SelectChoice("", "（未填写）")] + [
            SelectChoice(i.id, i.name) for i in industries]
        if town_required:
            self.town_id.validators = [DataRequired("请选择所在镇（街道）")]

    def values(self) -> dict:
        """The profile values for ``create_firm`` / ``update_firm`` (name excluded)."""
        return {f: getattr(self, f).data for f in (
            "uscc", "town_id", "industry_id", "founded_on", "registered_capital",
            "legal_representative", "contact_person", "phone", "email", "address",
            "above_scale", "note")}


class RenameForm(ZhForm):
    name = StringField("新名称", validators=[
        DataRequired("请填写新名称"), Length(max=200, message="企业名称不能超过200个字符")])
    on = date_field("更名日期", required=True)
    version = HiddenField()


class StatusForm(ZhForm):
    status = SelectField("状态", choices=[SelectChoice(k, v) for k, v in FIRM_STATUSES.items()],
                         validators=[DataRequired("请选择状态")])
    on = date_field("变更日期", required=True)
    reason = StringField("说明", validators=[Optional(), Length(max=200, message="不能超过200个字符")],
                         render_kw={"placeholder": "如：迁往余姚市；工商注销"})
    version = HiddenField()
