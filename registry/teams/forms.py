"""Forms of the team pages; field messages in Chinese, the rules themselves in the services."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Form, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from registry.vocab import EVALUATION_RESULTS, TEAM_LEVELS, TEAM_ROLES, TEAM_STATUSES

YEAR_MESSAGE = "年份应为四位数字，如 2016"


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None


def _year(label: str, required: bool = True) -> IntegerField:
    first = InputRequired(f"请填写{label}") if required else Optional()
    return IntegerField(label, validators=[first, NumberRange(1980, 2200, YEAR_MESSAGE)])


def _length(label: str, n: int) -> Length:
    return Length(max=n, message=f"{label}不能超过{n}个字")


def _with_all(everything: str, pairs) -> list[SelectChoice]:
    return [SelectChoice("", everything)] + [SelectChoice(v, label) for v, label in pairs]


class TeamFilterForm(Form):
    """The list's filters (GET, no CSRF: it changes nothing)."""

    q = StringField("团队、企业或带头人", validators=[Optional()])
    status = SelectField("状态", validators=[Optional()], choices=_with_all("全部状态", TEAM_STATUSES.items()))
    level = SelectField("级别", validators=[Optional()], choices=_with_all("全部级别", TEAM_LEVELS.items()))
    town = SelectField("镇（街道）", coerce=_int_or_none, validators=[Optional()])
    year = IntegerField("认定年份", validators=[Optional(), NumberRange(1980, 2200, "年份无效")])

    def fill_choices(self, towns) -> None:
        self.town.choices = _with_all("全部镇街", ((t.id, t.name) for t in towns))


class TeamForm(FlaskForm):
    firm = StringField("依托企业", validators=[Optional(), _length("依托企业", 200)],
                       description="统一社会信用代码或企业名称（曾用名、唯一的名称片段也可以）")
    firm_id = HiddenField()
    name = StringField("团队名称", validators=[DataRequired("请填写团队名称"), _length("团队名称", 200)])
    leader_name = StringField("带头人", validators=[DataRequired("请填写带头人"), _length("带头人", 50)],
                              description="团队已有成员时，带头人须为现有成员之一")
    field = StringField("研究方向", validators=[Optional(), _length("研究方向", 100)])
    recognised_year = _year("认定年份")
    projects_in_progress = IntegerField("在研项目数", default=0, validators=[
        Optional(), NumberRange(0, 10_000, "在研项目数应在 0–10000 之间")])
    note = TextAreaField("备注", validators=[Optional(), _length("备注", 2000)])
    version = HiddenField()


class MemberForm(FlaskForm):
    name = StringField("姓名", validators=[DataRequired("请填写姓名"), _length("姓名", 50)])
    title = StringField("职称", validators=[Optional(), _length("职称", 50)],
                        description="按证书填写，如 高级工程师、教授级高级工程师；职称等级自动判定")
    role = SelectField("角色", validators=[DataRequired("请选择角色")],
                       choices=[SelectChoice(code, label) for code, label in TEAM_ROLES.items()], default="member")
    education = StringField("学历", validators=[Optional(), _length("学历", 30)])
    joined_year = _year("加入年份", required=False)
    left_year = _year("离开年份", required=False)
    version = HiddenField()


class EvaluationForm(FlaskForm):
    year = _year("考核年度")
    result = SelectField("考核结果", validators=[DataRequired("请选择考核结果")],
                         choices=_with_all("请选择", EVALUATION_RESULTS.items()))
    comment = TextAreaField("考核意见", validators=[Optional(), _length("考核意见", 1000)])
    version = HiddenField()


class YearForm(FlaskForm):
    """宁波市级 selection: just the year."""

    year = _year("入选年份")
    version = HiddenField()


class ExitForm(FlaskForm):
    year = _year("退出年份")
    reason = TextAreaField("退出原因", validators=[DataRequired("请填写退出原因"), _length("退出原因", 500)])
    version = HiddenField()


class ActionForm(FlaskForm):
    """A bare POST (remove a member or an evaluation) carrying the team's version."""

    version = HiddenField()
