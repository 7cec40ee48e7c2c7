"""Forms of the credit pages; the pool's rules are checked in the services."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Form, HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, StopValidation

from registry.institutions.forms import Choice, int_or_none, with_all, year_field
from registry.vocab import LOAN_EVENT_KINDS, LOAN_STATUSES
from registry.vouchers.forms import money_field


class LoanFilterForm(Form):
    year = Choice("风险池年度", coerce=int_or_none, validators=[Optional()])
    q = StringField("企业或银行", validators=[Optional()])
    status = Choice("状态", validators=[Optional()], choices=with_all("全部状态", LOAN_STATUSES.items()))
    town = Choice("镇（街道）", coerce=int_or_none, validators=[Optional()])

    def fill_choices(self, years, towns) -> None:
        self.year.choices = [SelectChoice(y, f"{y}年") for y in years] or [SelectChoice("", "全部年度")]
        self.town.choices = with_all("全部镇街", ((t.id, t.name) for t in towns))


class PoolForm(FlaskForm):
    year = year_field("风险池年度")
    size = money_field("风险池规模（万元）")
    max_loan = money_field("单户贷款上限（万元）", required=False)
    compensation_rate = StringField("代偿比例（%）", validators=[DataRequired("请填写代偿比例")],
                                    description="风险池对违约贷款未还本金的代偿比例，如 40")
    eligible_programmes = SelectMultipleField("准入认定类别", validate_choice=False,
                                              description="持有其中任一类别在放款日有效认定的企业可以贷款；不选为不限")
    note = TextAreaField("备注", validators=[Optional(), Length(max=2000, message="备注不能超过2000个字")])
    version = HiddenField()


class LoanForm(FlaskForm):
    firm = StringField("借款企业", validators=[Length(max=200, message="不能超过200个字")],
                       description="统一社会信用代码或企业名称")
    firm_id = HiddenField()
    pool_year = year_field("风险池年度", required=False)
    bank = StringField("贷款银行", validators=[DataRequired("请填写贷款银行"),
                                             Length(max=100, message="贷款银行不能超过100个字")])
    credit_line = money_field("授信额度（万元）", required=False)
    amount = money_field("贷款金额（万元）")
    loan_on = StringField("放款日期", validators=[DataRequired("请填写放款日期")], description="如 2016-05-12")
    due_on = StringField("到期日期", validators=[Optional()], description="如 2017-05-11")
    note = TextAreaField("备注", validators=[Optional(), Length(max=2000, message="备注不能超过2000个字")])
    version = HiddenField()


class NewLoanForm(LoanForm):
    pool_year = year_field("风险池年度")

    def validate_firm(self, field):
        if not (field.data or "").strip() and not self.firm_id.data:
            raise StopValidation("请填写借款企业的统一社会信用代码或名称")


class EventForm(FlaskForm):
    kind = Choice("类型", validators=[DataRequired("请选择类型")], choices=with_all("请选择", LOAN_EVENT_KINDS.items()))
    amount = money_field("金额（万元）")
    occurred_on = StringField("日期", validators=[DataRequired("请填写日期")], description="如 2017-03-20")
    note = TextAreaField("说明", validators=[Optional(), Length(max=2000, message="说明不能超过2000个字")])
    version = HiddenField()


class OverdueForm(FlaskForm):
    note = StringField("说明", validators=[Optional(), Length(max=500, message="说明不能超过500个字")])
    version = HiddenField()
