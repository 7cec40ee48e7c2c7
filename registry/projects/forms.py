"""Forms of the project pages; field messages in Chinese, the rules in ``projects.rules``."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, Form, HiddenField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, StopValidation

from registry.institutions.forms import Choice, int_or_none, with_all, year_field
from registry.vocab import ACCEPTANCE_RESULTS, LEVELS, MILESTONE_KINDS, PROJECT_ROLES, PROJECT_STATUSES

#: Plans the bureau's files name most often (a datalist: other names are fine).
PLANS = ("国家重点研发计划", "国家高技术研究发展计划（863计划）", "国家科技支撑计划", "国家火炬计划",
         "国家创新基金", "浙江省重点研发计划", "浙江省重大科技专项", "宁波市重大科技专项",
         "宁波市科技创新2025重大专项", "宁波市自然科学基金", "慈溪市科技计划项目")


class ProjectFilterForm(Form):
    """The list's filters (GET, no CSRF: it changes nothing)."""

    q = StringField("项目、计划或企业名称", validators=[Optional()])
    year = Choice("在研年度", coerce=int_or_none, validators=[Optional()])
    level = Choice("级别", validators=[Optional()], choices=with_all("全部级别", LEVELS.items()))
    status = Choice("状态", validators=[Optional()], choices=with_all("全部状态", PROJECT_STATUSES.items()))
    role = Choice("承担方式", validators=[Optional()], choices=with_all("全部", PROJECT_ROLES.items()))
    town = Choice("镇（街道）", coerce=int_or_none, validators=[Optional()])

    def fill_choices(self, towns, years) -> None:
        self.town.choices = with_all("全部镇街", ((t.id, t.name) for t in towns))
        self.year.choices = with_all("全部年度", ((y, str(y)) for y in years))


class ProjectForm(FlaskForm):
    firm = StringField("承担企业", validators=[Length(max=200, message="不能超过200个字")],
                       description="统一社会信用代码或企业名称（曾用名、唯一的名称片段也可以）")
    firm_id = HiddenField()
    name = StringField("项目名称", validators=[DataRequired("请填写项目名称"),
                                           Length(max=200, message="项目名称不能超过200个字")])
    project_no = StringField("项目编号", validators=[Optional(), Length(max=64, message="项目编号不能超过64个字")])
    plan = StringField("计划类别", validators=[DataRequired("请填写计划类别"),
                                           Length(max=100, message="计划类别不能超过100个字")],
                       description="如 国家重点研发计划、宁波市重大科技专项")
    level = Choice("级别", validators=[DataRequired("请选择级别")], choices=with_all("请选择", LEVELS.items()))
    role = Choice("承担方式", choices=[SelectChoice(k, v) for k, v in PROJECT_ROLES.items()])
    start_year = year_field("开始年份")
    end_year = year_field("结束年份", required=False)
    funding = StringField("资助经费（万元）", validators=[Optional(), Length(max=20, message="请填写数字")])
    status = Choice("项目状态", choices=[SelectChoice(k, v) for k, v in PROJECT_STATUSES.items()])
    acceptance_year = year_field("验收年份", required=False)
    acceptance_result = Choice("验收结果", choices=with_all("（未验收）", ACCEPTANCE_RESULTS.items()))
    note = TextAreaField("备注", validators=[Optional(), Length(max=2000, message="备注不能超过2000个字")])
    version = HiddenField()

    def validate_firm(self, field):
        if not (field.data or "").strip() and not self.firm_id.data:
            raise StopValidation("请填写承担企业的统一社会信用代码或名称")

    def values(self) -> dict:
        """The fields the service takes, as typed."""
        return {k: getattr(self, k).data for k in (
            "name", "project_no", "plan", "level", "role", "start_year", "end_year", "funding", "status",
            "acceptance_year", "acceptance_result", "note")}


class EditProjectForm(ProjectForm):
    def validate_firm(self, field):  # the firm of a saved project does not change
        pass


class MilestoneForm(FlaskForm):
    kind = Choice("类型", choices=[SelectChoice(k, v) for k, v in MILESTONE_KINDS.items()])
    title = StringField("事项", validators=[Optional(), Length(max=200, message="不能超过200个字")],
                        description="如 样机试制完成；中期检查、验收可不填")
    due_on = DateField("计划日期", validators=[Optional()])
    done_on = DateField("完成日期", validators=[Optional()])
    result = Choice("结果", choices=with_all("（无）", ACCEPTANCE_RESULTS.items()))
    note = TextAreaField("说明", validators=[Optional(), Length(max=2000, message="说明不能超过2000个字")])

    def values(self) -> dict:
        return {k: getattr(self, k).data for k in ("kind", "title", "due_on", "done_on", "result", "note")}


class DeleteForm(FlaskForm):
    version = HiddenField()
