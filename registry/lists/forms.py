"""Forms of the lists area: shapes and lengths here, the rules in the services.

Dates, years and numbers get Chinese messages beside their field; what a value means
(an impossible criterion range, a duplicate firm, an unfinished 公示) is decided by the
services, whose message the view shows beside the field they name.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField, Form, HiddenField, IntegerField, SelectField, SelectMultipleField, StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from registry.lists.criteria import HOLD_MODES
from registry.lists.models import (
    AMENDMENT_KINDS, CRITERION_KINDS, CRITERION_ROLES, OBJECTION_KINDS,
)
from registry.vocab import LEVELS, ZONES

YEAR = [NumberRange(1950, 2200, "年度应在1950–2200之间")]


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None


class CnDateField(DateField):
    """A date whose parse error is in Chinese."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError("日期格式应为 YYYY-MM-DD")

    def pre_validate(self, form):
        if self.raw_data and self.raw_data[0] and self.data is None:
            raise ValueError("日期格式应为 YYYY-MM-DD")


class PickForm(Form):
    """GET filters: programme and year (and town for screening)."""

    programme = SelectField("认定类别", coerce=_int_or_none, validators=[Optional()])
    year = IntegerField("年度", validators=[Optional(), *YEAR])
    town = SelectField("镇（街道）", coerce=_int_or_none, validators=[Optional()])
    result = SelectField("筛选结论", validators=[Optional()], choices=[
        SelectChoice("", "全部"), SelectChoice("qualified", "符合（含直通车）"),
        SelectChoice("missing", "数据缺失"), SelectChoice("fail", "不符合")])

    def fill(self, programmes, towns) -> None:
        self.programme.choices = [SelectChoice(p.id, p.short_name) for p in programmes]
        self.town.choices = [SelectChoice("", "全部镇街")] + [SelectChoice(t.id, t.name) for t in towns]


class ListForm(FlaskForm):
    programme = SelectField("认定类别", coerce=_int_or_none, validate_choice=False,
                            validators=[DataRequired("请选择认定类别")])
    year = IntegerField("年度", validators=[DataRequired("请填写年度"), *YEAR])
    batch = StringField("批次", validators=[Optional(), Length(max=50, message="批次不能超过50个字符")],
                        description="如“第一批”；每年只有一批可留空")
    title = StringField("名单标题", validators=[Optional(), Length(max=200, message="标题不能超过200个字符")],
                        description="留空则按“2016年度慈溪市创新型“雏鹰”企业名单”的格式生成")
    document_no = StringField("文号", validators=[Optional(), Length(max=100, message="文号不能超过100个字符")],
                              description="如 慈科〔2016〕58号")
    note = TextAreaField("备注", validators=[Optional(), Length(max=2000)])

    def fill(self, programmes) -> None:
        self.programme.choices = [SelectChoice("", "请选择")] + [
            SelectChoice(p.id, p.short_name) for p in programmes]


class ListEditForm(FlaskForm):
    title = StringField("名单标题", validators=[DataRequired("名单标题不能为空"), Length(max=200)])
    batch = StringField("批次", validators=[Optional(), Length(max=50)])
    document_no = StringField("文号", validators=[Optional(), Length(max=100)])
    note = TextAreaField("备注", validators=[Optional(), Length(max=2000)])
    version = HiddenField()


class VersionForm(FlaskForm):
    """Publish / delete: just the version the clerk saw."""

    version = HiddenField()


class NoticeForm(FlaskForm):
    notice_from = CnDateField("公示开始", validators=[DataRequired("请填写公示开始日期")])
    notice_until = CnDateField("公示结束", validators=[DataRequired("请填写公示结束日期")])
    version = HiddenField()


class AddFirmForm(FlaskForm):
    firm_id = HiddenField(validators=[DataRequired("请选择企业")])
    note = StringField("备注", validators=[Optional(), Length(max=255)])


class EntryForm(FlaskForm):
    entry_id = HiddenField(validators=[DataRequired()])
    note = StringField("备注", validators=[Optional(), Length(max=255)])


class PickFirmsForm(FlaskForm):
    """Firms ticked on the screening page (the ids come from request.form.getlist)."""

    list_id = HiddenField(validators=[DataRequired("请选择名单")])


class ObjectionForm(FlaskForm):
    firm_id = SelectField("企业", validate_choice=False, coerce=_int_or_none, validators=[DataRequired("请选择企业")])
    kind = SelectField("类型", validate_choice=False, choices=[SelectChoice(k, v) for k, v in OBJECTION_KINDS.items()])
    received_on = CnDateField("收到日期", validators=[Optional()])
    content = TextAreaField("内容", validators=[DataRequired("请填写异议或撤回的内容"), Length(max=4000)])


class ResolveForm(FlaskForm):
    objection_id = HiddenField(validators=[DataRequired()])
    outcome = SelectField("处理结果", validate_choice=False, choices=[SelectChoice("dismissed", "异议不成立，保留"),
                                           SelectChoice("upheld", "异议成立，移出名单")])
    resolution = StringField("处理意见", validators=[DataRequired("请填写处理意见"), Length(max=2000)])


class AmendForm(FlaskForm):
    kind = SelectField("更正方式", validate_choice=False, choices=[SelectChoice(k, v) for k, v in AMENDMENT_KINDS.items()])
    firm = StringField("企业（统一社会信用代码或全称）",
                       validators=[DataRequired("请填写企业的统一社会信用代码或全称"), Length(max=200)])
    firm_name = StringField("更正后企业名称", validators=[Optional(), Length(max=200)])
    uscc = StringField("更正后统一社会信用代码", validators=[Optional(), Length(max=18)])
    town_name = StringField("更正后所在镇（街道）", validators=[Optional(), Length(max=50)])
    note = StringField("备注", validators=[Optional(), Length(max=255)])
    reason = TextAreaField("更正原因", validators=[DataRequired("请填写更正原因"), Length(max=2000)])
    document_no = StringField("更正文号", validators=[Optional(), Length(max=100)])


class SetForm(FlaskForm):
    data_year = IntegerField("数据年度", validators=[DataRequired("请填写数据年度"), *YEAR])
    note = TextAreaField("说明", validators=[Optional(), Length(max=2000)])
    version = HiddenField()


class CopyForm(FlaskForm):
    source_year = IntegerField("复制自年度", validators=[DataRequired("请填写年度"), *YEAR])


class CriterionForm(FlaskForm):
    criterion_id = HiddenField()
    version = HiddenField()
    kind = SelectField("条件类型", validate_choice=False, choices=[SelectChoice(k, v) for k, v in CRITERION_KINDS.items()])
    role = SelectField("性质", validate_choice=False, choices=[SelectChoice(k, v) for k, v in CRITERION_ROLES.items()])
    label = StringField("名称", validators=[DataRequired("请填写条件名称"), Length(max=100)])
    min = StringField("下限", validators=[Optional(), Length(max=20)])
    max = StringField("上限", validators=[Optional(), Length(max=20)])
    years = StringField("计算年数", validators=[Optional(), Length(max=3)])
    programme = SelectField("认定类别", validate_choice=False, validators=[Optional()])
    mode = SelectField("方式", validate_choice=False, choices=[SelectChoice(k, v) for k, v in HOLD_MODES.items()])
    level = SelectField("研发机构最低级别", validate_choice=False, choices=[SelectChoice(k, v) for k, v in LEVELS.items()])
    zone = SelectField("区域", validate_choice=False, choices=[SelectChoice("", "按镇（街道）")] + [
        SelectChoice(k, v) for k, v in ZONES.items()], validators=[Optional()])
    towns = SelectMultipleField("镇（街道）", validate_choice=False, validators=[Optional()])
    value = SelectField("规上", validate_choice=False, choices=[SelectChoice("1", "须为规上企业"), SelectChoice("0", "须为非规上企业")])
    bands = StringField("按营业收入分档", validators=[Optional(), Length(max=200)],
                        description="如“5000:5, 20000:4, :3”：收入<5000万元须≥5%，<2亿元须≥4%，其余≥3%")
    rubric = TextAreaField("评分表（JSON）", validators=[Optional(), Length(max=8000)])

    def fill(self, programmes, towns) -> None:
        self.programme.choices = [SelectChoice("", "—")] + [SelectChoice(p.code, p.short_name) for p in programmes]
        self.towns.choices = [SelectChoice(t.name, t.name) for t in towns]


class ReportForm(FlaskForm):
    firm = StringField("企业（统一社会信用代码或全称）", validators=[DataRequired("请填写企业"), Length(max=200)])
    year = IntegerField("所报年度", validators=[DataRequired("请填写年度"), *YEAR])
    submitted_on = CnDateField("报送日期", validators=[Optional()])
    note = StringField("备注", validators=[Optional(), Length(max=255)])
