"""Recognition and programme forms: text to values, with Chinese field messages.

The rules (overlap, validity defaults, unique codes, programmes in use) are in the
services; a form only checks what a value must look like.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from registry.firms.forms import ZhForm, date_field
from registry.vocab import LEVELS


def _int_or_none(value):
    return int(value) if value not in (None, "", "None") else None


class RecognitionForm(ZhForm):
    programme_id = SelectField("认定类别", coerce=_int_or_none,
                               validators=[DataRequired("请选择认定类别")])
    year = IntegerField("认定年度", validators=[InputRequired("请填写认定年度"),
                                              NumberRange(1950, 2200, "认定年度应在1950–2200之间")],
                        render_kw={"inputmode": "numeric", "placeholder": "如 2016"})
    batch = StringField("批次", validators=[Optional(), Length(max=50, message="不能超过50个字符")],
                        render_kw={"placeholder": "如 第一批"})
    certificate_no = StringField("证书编号", validators=[Optional(), Length(max=50, message="不能超过50个字符")],
                                 render_kw={"autocomplete": "off"})
    issued_on = date_field("发证日期")
    valid_from = date_field("有效期起")
    valid_until = date_field("有效期止")
    document_no = StringField("文号", validators=[Optional(), Length(max=100, message="不能超过100个字符")],
                              render_kw={"placeholder": "如 慈科〔2016〕12号"})
    note = TextAreaField("备注", validators=[Optional(), Length(max=2000, message="不能超过2000个字符")],
                         render_kw={"rows": 2})
    version = HiddenField()
    original = HiddenField()

    def fill_choices(self, programmes) -> None:
        self.programme_id.choices = [SelectChoice("", "请选择…")] + [
            SelectChoice(p.id, f"{p.name}（{p.level_label}，有效期{p.validity_years}年）")
            for p in programmes]

    def values(self, programmes) -> dict:
        by_id = {p.id: p for p in programmes}
        return {"programme": by_id.get(self.programme_id.data), "year": self.year.data,
                **{f: getattr(self, f).data for f in ("batch", "certificate_no", "issued_on",
                                                      "valid_from", "valid_until", "document_no",
                                                      "note")}}


class RevokeForm(ZhForm):
    reason = TextAreaField("撤销原因", validators=[DataRequired("请填写撤销原因"),
                                                Length(max=500, message="不能超过500个字符")],
                           render_kw={"rows": 3, "placeholder": "如：经复核不符合认定条件；弄虚作假；企业注销"})
    on = date_field("撤销日期", required=True)
    version = HiddenField()


class ProgrammeForm(ZhForm):
    code = StringField("代码", validators=[DataRequired("请填写代码"), Length(max=32, message="不能超过32个字符")],
                       render_kw={"placeholder": "如 zjtx", "autocomplete": "off", "spellcheck": "false"},
                       description="英文小写字母、数字或下划线，保存后不可修改（导入和统计按代码识别类别）。")
    name = StringField("名称", validators=[DataRequired("请填写名称"), Length(max=100, message="不能超过100个字符")],
                       render_kw={"placeholder": "如 浙江省专精特新中小企业"})
    short_name = StringField("简称", validators=[DataRequired("请填写简称"), Length(max=30, message="不能超过30个字符")],
                             render_kw={"placeholder": "如 专精特新"})
    level = SelectField("级别", choices=[SelectChoice(k, v) for k, v in LEVELS.items()],
                        validators=[DataRequired("请选择级别")])
    validity_years = IntegerField("有效期（年）", default=3, validators=[
        InputRequired("请填写有效期"), NumberRange(1, 20, "有效期应为1–20年")])
    has_certificate = BooleanField("发放证书（有证书编号）")
    is_ladder_rung = BooleanField("属于梯度培育（雏鹰 → 瞪羚 → 头雁）")
    ladder_rank = IntegerField("梯度序位", validators=[Optional(), NumberRange(1, 20, "梯度序位应为1–20")],
                               description="雏鹰 1、瞪羚 2、头雁 3；不属于梯度培育则留空。")
    sort_order = IntegerField("排序", default=0, validators=[Optional(), NumberRange(0, 100000, "排序应为0–100000")],
                              description="数字小的排在前面。")
    description = TextAreaField("说明", validators=[Optional(), Length(max=2000, message="不能超过2000个字符")],
                                render_kw={"rows": 3})

    def values(self) -> dict:
        return {f: getattr(self, f).data for f in (
            "name", "short_name", "level", "validity_years", "has_certificate", "is_ladder_rung",
            "ladder_rank", "sort_order", "description")}


class ConfirmForm(FlaskForm):
    """A POST with nothing but its CSRF token (delete buttons)."""
