"""Forms of the award pages; field messages in Chinese, the rules in ``projects.rules``."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Form, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, StopValidation

from registry.institutions.forms import Choice, Int, int_or_none, with_all, year_field
from registry.vocab import AWARD_GRADES, LEVELS

#: Awards the bureau's files name most often (a datalist: other names are fine).
AWARD_NAMES = ("国家科学技术进步奖", "国家技术发明奖", "浙江省科学技术奖", "浙江省科学技术进步奖",
               "宁波市科学技术奖", "宁波市科技进步奖", "慈溪市科学技术奖")


class AwardFilterForm(Form):
    q = StringField("项目、奖项或企业名称", validators=[Optional()])
    year = Choice("获奖年份", coerce=int_or_none, validators=[Optional()])
    level = Choice("级别", validators=[Optional()], choices=with_all("全部级别", LEVELS.items()))
    grade = Choice("等级", validators=[Optional()], choices=with_all("全部等级", AWARD_GRADES.items()))
    town = Choice("镇（街道）", coerce=int_or_none, validators=[Optional()])

    def fill_choices(self, towns, years) -> None:
        self.town.choices = with_all("全部镇街", ((t.id, t.name) for t in towns))
        self.year.choices = with_all("全部年份", ((y, str(y)) for y in years))


class AwardForm(FlaskForm):
    firm = StringField("获奖企业", validators=[Length(max=200, message="不能超过200个字")],
                       description="统一社会信用代码或企业名称")
    firm_id = HiddenField()
    project_name = StringField("获奖项目", validators=[DataRequired("请填写获奖项目名称"),
                                                   Length(max=200, message="不能超过200个字")])
    award = StringField("奖项", validators=[DataRequired("请填写奖项名称"), Length(max=100, message="不能超过100个字")],
                        description="如 浙江省科学技术奖；级别不选时按奖项名称判断")
    level = Choice("级别", choices=with_all("按奖项名称判断", LEVELS.items()))
    grade = Choice("等级", validators=[DataRequired("请选择等级")], choices=with_all("请选择", AWARD_GRADES.items()))
    year = year_field("获奖年份")
    firm_rank = Int("完成单位排名", validators=[Optional(), NumberRange(1, 1000, "排名应为正整数")],
                    description="1 表示第一完成单位")
    note = TextAreaField("备注", validators=[Optional(), Length(max=2000, message="备注不能超过2000个字")])
    version = HiddenField()

    def validate_firm(self, field):
        if not (field.data or "").strip() and not self.firm_id.data:
            raise StopValidation("请填写获奖企业的统一社会信用代码或名称")

    def values(self) -> dict:
        return {k: getattr(self, k).data for k in
                ("project_name", "award", "level", "grade", "year", "firm_rank", "note")}


class EditAwardForm(AwardForm):
    def validate_firm(self, field):
        pass


class DeleteForm(FlaskForm):
    version = HiddenField()
