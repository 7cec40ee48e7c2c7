"""The audit log's filter form (GET, no CSRF: it changes nothing)."""
from __future__ import annotations

from wtforms import DateField, Form, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from registry.audit.labels import ACTIONS, ENTITIES


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None


class DayField(DateField):
    """A YYYY-MM-DD date whose parse error is in Chinese."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError("日期格式应为 YYYY-MM-DD")


class AuditFilterForm(Form):
    date_from = DayField("起始日期", validators=[Optional()], render_kw={"type": "date"})
    date_to = DayField("截止日期", validators=[Optional()], render_kw={"type": "date"})
    # An unknown value filters to nothing rather than failing the form.
    user = SelectField("操作人", coerce=_int_or_none, validators=[Optional()], validate_choice=False)
    action = SelectField("操作", validators=[Optional()], validate_choice=False)
    entity = SelectField("对象类型", validators=[Optional()], validate_choice=False)
    firm = StringField("企业", validators=[Optional(), Length(max=200)])
    q = StringField("关键词", validators=[Optional(), Length(max=200)])

    def fill_choices(self, users, actions, entities) -> None:
        """``actions``/``entities``: the codes present in the log, so every choice finds something."""
        self.user.choices = [SelectChoice("", "全部操作人")] + [
            SelectChoice(u.id, f"{u.display_name}（{u.username}）") for u in users]
        self.action.choices = [SelectChoice("", "全部操作")] + [
            SelectChoice(code, ACTIONS.get(code, code)) for code in actions]
        self.entity.choices = [SelectChoice("", "全部类型")] + [
            SelectChoice(code, ENTITIES.get(code, code)) for code in entities]

    def validate_date_to(self, field):
        from wtforms.validators import ValidationError

        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("截止日期不能早于起始日期")
