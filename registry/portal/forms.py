"""Forms of the portal (firm side) and of the bureau's review pages.

Shapes and lengths only: the rules (what needs review, plausible annual figures, who may
approve) are the services'; their messages are put beside the field they name. Annual
figures are text fields so a wrong entry comes back with the service's Chinese message
instead of a generic "not a number".
"""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField, HiddenField, SelectField, StringField, TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from registry.portal.annual import FIELDS, LABELS, MONEY_FIELDS
from registry.vocab import TEAM_ROLES


def _int_or_none(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ContactForm(FlaskForm):
    version = HiddenField()
    contact_person = StringField("联系人", validators=[Optional(), Length(max=50, message="不能超过50个字符")])
    phone = StringField("联系电话", validators=[Optional(), Length(max=40, message="不能超过40个字符")])
    email = StringField("电子邮箱", validators=[Optional(), Length(max=120, message="不能超过120个字符")])
    address = StringField("地址", validators=[Optional(), Length(max=255, message="不能超过255个字符")])


class ChangeRequestForm(FlaskForm):
    version = HiddenField()
    name = StringField("企业名称", validators=[DataRequired("请填写企业名称"), Length(max=200, message="不能超过200个字符")])
    uscc = StringField("统一社会信用代码", validators=[DataRequired("请填写统一社会信用代码"), Length(max=40)])
    legal_representative = StringField("法定代表人", validators=[Optional(), Length(max=50, message="不能超过50个字符")])
    town_id = SelectField("所在镇（街道）", coerce=_int_or_none, validate_choice=False)
    industry_id = SelectField("所属产业", coerce=_int_or_none, validate_choice=False)
    founded_on = DateField("成立日期", validators=[Optional()], format="%Y-%m-%d")
    registered_capital = StringField("注册资本（万元）", validators=[Optional(), Length(max=30)])
    reason = TextAreaField("变更说明（如：已完成工商变更登记）", validators=[Optional(), Length(max=500, message="不能超过500个字符")])

    def fill_choices(self, towns, industries):
        self.town_id.choices = [SelectChoice("", "（未填写）")] + [SelectChoice(t.id, t.name) for t in towns]
        self.industry_id.choices = [SelectChoice("", "（未填写）")] + [SelectChoice(i.id, i.name)
                                                                   for i in industries]


class AnnualForm(FlaskForm):
    version = HiddenField()
    year = HiddenField()


for _field in FIELDS:
    _unit = "万元" if _field in MONEY_FIELDS else ("人" if _field in ("employees", "rd_staff", "tech_staff") else "件")
    setattr(AnnualForm, _field, StringField(f"{LABELS[_field]}（{_unit}）",
                                            validators=[Optional(), Length(max=30, message="过长")]))


class UploadForm(FlaskForm):
    year = SelectField("年度", coerce=int)
    file = FileField("年度数据文件（.xlsx）")


class ReviewForm(FlaskForm):
    version = HiddenField()
    firm_version = HiddenField()
    decision = HiddenField()
    comment = TextAreaField("审核意见（退回时必填）", validators=[Optional(), Length(max=1000, message="不能超过1000个字符")])


class VersionForm(FlaskForm):
    version = HiddenField()


class MemberForm(FlaskForm):
    name = StringField("姓名", validators=[DataRequired("请填写姓名"), Length(max=50)])
    title = StringField("职称", validators=[Optional(), Length(max=50)])
    role = SelectField("角色", choices=[SelectChoice(k, v) for k, v in TEAM_ROLES.items() if k != "leader"])
    education = StringField("学历", validators=[Optional(), Length(max=30)])
    joined_year = StringField("加入年份", validators=[Optional(), Length(max=4)])
    left_year = StringField("离开年份", validators=[Optional(), Length(max=4)])
    reason = TextAreaField("说明", validators=[Optional(), Length(max=500, message="不能超过500个字符")])


class RemoveMemberForm(FlaskForm):
    reason = TextAreaField("移除原因", validators=[DataRequired("请填写移除原因"), Length(max=500)])


class AccountForm(FlaskForm):
    uscc = StringField("企业统一社会信用代码", validators=[DataRequired("请输入统一社会信用代码"), Length(max=40)])
    display_name = StringField("使用人姓名（可选）", validators=[Optional(), Length(max=64)])
