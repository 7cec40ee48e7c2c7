"""Forms of the R&D institution pages (and the field helpers the team forms share);
field messages in Chinese, the rules themselves in the services."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Form, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, StopValidation

from registry.vocab import INSTITUTION_STATUSES, LEVELS, RD_TYPES

YEAR_MESSAGE = "年份应为四位数字，如 2016"


class Choice(SelectField):
    """A select whose value the service checks (with a Chinese message naming the rule),
    instead of WTForms' English "Not a valid choice"."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(label, validators, **kwargs)


class Int(IntegerField):
    """An integer field that refuses text in Chinese."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("请填写整数（如年份 2016）")


def int_or_none(value):
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None


def year_field(label: str, required: bool = True) -> IntegerField:
    first = InputRequired(f"请填写{label}") if required else Optional()
    return Int(label, validators=[first, NumberRange(1980, 2200, YEAR_MESSAGE)])


def with_all(everything: str, pairs) -> list[SelectChoice]:
    return [SelectChoice("", everything)] + [SelectChoice(v, label) for v, label in pairs]


class InstitutionFilterForm(Form):
    """The list's filters (GET, no CSRF: it changes nothing)."""

    q = StringField("机构或企业名称", validators=[Optional()])
    level = Choice("级别", validators=[Optional()], choices=with_all("全部级别", LEVELS.items()))
    type = Choice("类型", validators=[Optional()],
                       choices=with_all("全部类型", ((t, t) for t in RD_TYPES)))
    town = Choice("镇（街道）", coerce=int_or_none, validators=[Optional()])
    status = Choice("状态", validators=[Optional()],
                         choices=with_all("全部状态", INSTITUTION_STATUSES.items()))

    def fill_choices(self, towns) -> None:
        self.town.choices = with_all("全部镇街", ((t.id, t.name) for t in towns))


class InstitutionForm(FlaskForm):
    """Create (with host firm, level, year, 文号) and edit (name, type, note)."""

    firm = StringField("依托企业", validators=[Length(max=200, message="不能超过200个字")],
                       description="统一社会信用代码或企业名称（曾用名、唯一的名称片段也可以）")
    firm_id = HiddenField()
    name = StringField("机构名称", validators=[DataRequired("请填写机构名称"),
                                           Length(max=200, message="机构名称不能超过200个字")])
    type = Choice("机构类型", validators=[DataRequired("请选择机构类型")],
                       choices=with_all("请选择", ((t, t) for t in RD_TYPES)))
    level = Choice("级别", validators=[Optional()],
                        choices=with_all("请选择", LEVELS.items()))
    year = year_field("认定年份", required=False)
    document_no = StringField("认定文号", validators=[Optional(), Length(max=100, message="文号不能超过100个字")],
                              description="如 慈科〔2016〕12号")
    note = TextAreaField("备注", validators=[Optional(), Length(max=2000, message="备注不能超过2000个字")])
    version = HiddenField()


class NewInstitutionForm(InstitutionForm):
    """Creation also needs the host firm, the level, the year and (optionally) the 文号."""

    level = Choice("级别", validators=[DataRequired("请选择级别")], choices=with_all("请选择", LEVELS.items()))
    year = year_field("认定年份")

    def validate_firm(self, field):
        if not (field.data or "").strip() and not self.firm_id.data:
            raise StopValidation("请填写依托企业的统一社会信用代码或名称")


class LevelChangeForm(FlaskForm):
    to_level = Choice("新级别", validators=[DataRequired("请选择新级别")])
    year = year_field("年份")
    document_no = StringField("文号", validators=[DataRequired("请填写文号"),
                                                Length(max=100, message="文号不能超过100个字")],
                              description="如 浙科发高〔2016〕88号")
    note = TextAreaField("说明", validators=[Optional(), Length(max=2000, message="说明不能超过2000个字")])
    version = HiddenField()


class EndForm(FlaskForm):
    status = Choice("操作", validators=[DataRequired("请选择撤销认定或注销")], choices=[
        SelectChoice("revoked", "撤销认定（如绩效评价不合格）"), SelectChoice("closed", "注销（机构撤并、企业注销等）")])
    year = year_field("年份")
    reason = TextAreaField("原因", validators=[DataRequired("请填写原因"),
                                             Length(max=500, message="原因不能超过500个字")])
    version = HiddenField()
