"""Forms of the team pages; field messages in Chinese, the rules themselves in the services."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Form, HiddenField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, StopValidation

from registry.institutions.forms import Choice, Int, int_or_none, with_all, year_field
from registry.vocab import EVALUATION_RESULTS, TEAM_LEVELS, TEAM_ROLES, TEAM_STATUSES


def _length(label: str, n: int) -> Length:
    return Length(max=n, message=f"{label}不能超过{n}个字")


class TeamFilterForm(Form):
    """The list's filters (GET, no CSRF: it changes nothing)."""

    q = StringField("团队、企业或带头人", validators=[Optional()])
    status = Choice("状态", validators=[Optional()], choices=with_all("全部状态", TEAM_STATUSES.items()))
    level = Choice("级别", validators=[Optional()], choices=with_all("全部级别", TEAM_LEVELS.items()))
    town = Choice("镇（街道）", coerce=int_or_none, validators=[Optional()])
    year = Int("认定年份", validators=[Optional(), NumberRange(1980, 2200, "年份无效")])

    def fill_choices(self, towns) -> None:
        self.town.choices = with_all("全部镇街", ((t.id, t.name) for t in towns))


class TeamForm(FlaskForm):
    firm = StringField("依托企业", validators=[_length("依托企业", 200)],
                       description="统一社会信用代码或企业名称（曾用名、唯一的名称片段也可以）")
    firm_id = HiddenField()
    name = StringField("团队名称", validators=[DataRequired("请填写团队名称"), _length("团队名称", 200)])
    leader_name = StringField("带头人", validators=[DataRequired("请填写带头人"), _length("带头人", 50)],
                              description="团队已有成员时，带头人须为现有成员之一")
    field = StringField("研究方向", validators=[Optional(), _length("研究方向", 100)])
    recognised_year = year_field("认定年份")
    projects_in_progress = Int("在研项目数", default=0, validators=[
        Optional(), NumberRange(0, 10_000, "在研项目数应在 0–10000 之间")])
    note = TextAreaField("备注", validators=[Optional(), _length("备注", 2000)])
    version = HiddenField()

    def validate_firm(self, field):
        if not (field.data or "").strip() and not self.firm_id.data:
            raise StopValidation("请填写依托企业的统一社会信用代码或名称")


class MemberForm(FlaskForm):
    name = StringField("姓名", validators=[DataRequired("请填写姓名"), _length("姓名", 50)])
    title = StringField("职称", validators=[Optional(), _length("职称", 50)],
                        description="按证书填写，如 高级工程师、教授级高级工程师；职称等级自动判定")
    role = Choice("角色", validators=[DataRequired("请选择角色")],
                       choices=[SelectChoice(code, label) for code, label in TEAM_ROLES.items()], default="member")
    education = StringField("学历", validators=[Optional(), _length("学历", 30)])
    joined_year = year_field("加入年份", required=False)
    left_year = year_field("离开年份", required=False)
    version = HiddenField()


class EvaluationForm(FlaskForm):
    year = year_field("考核年度")
    result = Choice("考核结果", validators=[DataRequired("请选择考核结果")],
                         choices=with_all("请选择", EVALUATION_RESULTS.items()))
    comment = TextAreaField("考核意见", validators=[Optional(), _length("考核意见", 1000)])
    version = HiddenField()


class YearForm(FlaskForm):
    """宁波市级 selection: just the year."""

    year = year_field("入选年份")
    version = HiddenField()


class ExitForm(FlaskForm):
    year = year_field("退出年份")
    reason = TextAreaField("退出原因", validators=[DataRequired("请填写退出原因"), _length("退出原因", 500)])
    version = HiddenField()


class ActionForm(FlaskForm):
    """A bare POST (remove a member or an evaluation) carrying the team's version."""

    version = HiddenField()
