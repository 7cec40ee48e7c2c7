"""Forms of the voucher pages; the rules (budget, amounts, statuses) are in the services,
so an amount is a text field here and the service says in Chinese what is wrong with it."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Form, HiddenField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, StopValidation

from registry.institutions.forms import Choice, int_or_none, with_all, year_field
from registry.vocab import VOUCHER_PURPOSES, VOUCHER_STATUSES

MONEY_HELP = "单位万元，如 12.5"


def money_field(label: str, required: bool = True) -> StringField:
    first = DataRequired(f"请填写{label}") if required else Optional()
    return StringField(label, validators=[first, Length(max=20, message=f"{label}过长")], description=MONEY_HELP)


class VoucherFilterForm(Form):
    """The list's filters (GET, no CSRF)."""

    year = Choice("年度", coerce=int_or_none, validators=[Optional()])
    q = StringField("企业或服务机构", validators=[Optional()])
    status = Choice("状态", validators=[Optional()], choices=with_all("全部状态", VOUCHER_STATUSES.items()))
    purpose = Choice("券种", validators=[Optional()], choices=with_all("全部券种", VOUCHER_PURPOSES.items()))
    town = Choice("镇（街道）", coerce=int_or_none, validators=[Optional()])

    def fill_choices(self, years, towns) -> None:
        self.year.choices = [SelectChoice(y, f"{y}年") for y in years] or [SelectChoice("", "全部年度")]
        self.town.choices = with_all("全部镇街", ((t.id, t.name) for t in towns))


class BudgetForm(FlaskForm):
    year = year_field("预算年度")
    amount = money_field("预算金额（万元）")
    note = TextAreaField("备注", validators=[Optional(), Length(max=2000, message="备注不能超过2000个字")])
    version = HiddenField()


class ApplicationForm(FlaskForm):
    """Filing (with firm and year) and editing (provider, purpose, amount, note)."""

    firm = StringField("申请企业", validators=[Length(max=200, message="不能超过200个字")],
                       description="统一社会信用代码或企业名称")
    firm_id = HiddenField()
    year = year_field("申请年度", required=False)
    provider = StringField("服务机构", validators=[DataRequired("请填写服务机构"),
                                               Length(max=200, message="服务机构不能超过200个字")],
                           description="提供技术合作、检验检测等服务的高校、院所或机构")
    purpose = Choice("券种（用途）", validators=[DataRequired("请选择券种（用途）")],
                     choices=with_all("请选择", VOUCHER_PURPOSES.items()))
    requested = money_field("申请金额（万元）")
    note = TextAreaField("备注", validators=[Optional(), Length(max=2000, message="备注不能超过2000个字")])
    version = HiddenField()


class NewApplicationForm(ApplicationForm):
    year = year_field("申请年度")

    def validate_firm(self, field):
        if not (field.data or "").strip() and not self.firm_id.data:
            raise StopValidation("请填写申请企业的统一社会信用代码或名称")


class ReviewForm(FlaskForm):
    decision = Choice("审核结果", validators=[DataRequired("请选择审核结果")],
                      choices=[SelectChoice("approve", "核发"), SelectChoice("reject", "不予通过")])
    amount = money_field("核发金额（万元）", required=False)
    issued_on = StringField("核发日期", validators=[Optional()], description="如 2016-06-30；不填为今天")
    comment = TextAreaField("审核意见", validators=[Optional(), Length(max=2000, message="审核意见不能超过2000个字")],
                            description="不予通过时必填")
    version = HiddenField()


class RedeemForm(FlaskForm):
    amount = money_field("兑付金额（万元）")
    redeemed_on = StringField("兑付日期", validators=[DataRequired("请填写兑付日期")], description="如 2016-10-15")
    version = HiddenField()


class VersionForm(FlaskForm):
    """A button that changes one record (delete): CSRF and the version it was shown with."""

    version = HiddenField()
