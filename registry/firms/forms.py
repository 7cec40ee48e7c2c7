"""The firm list's filter form (GET, no CSRF: it changes nothing)."""
from __future__ import annotations

from wtforms import Form, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from registry.vocab import FIRM_STATUSES


def _int_or_none(value):
    return int(value) if value not in (None, "", "None") else None


class FirmFilterForm(Form):
    q = StringField("名称 / 信用代码", validators=[Optional()])
    town = SelectField("镇（街道）", coerce=_int_or_none, validators=[Optional()])
    industry = SelectField("所属产业", coerce=_int_or_none, validators=[Optional()])
    programme = SelectField("认定类别", coerce=_int_or_none, validators=[Optional()])
    year = IntegerField("年度", validators=[Optional(), NumberRange(1950, 2200, "年度无效")])
    status = SelectField("状态", validators=[Optional()], choices=[SelectChoice("", "全部状态")] + [
        SelectChoice(code, label) for code, label in FIRM_STATUSES.items()])

    def fill_choices(self, towns, industries, programmes) -> None:
        self.town.choices = _choices("全部镇街", ((t.id, t.name) for t in towns))
        self.industry.choices = _choices("全部产业", ((i.id, i.name) for i in industries))
        self.programme.choices = _choices("全部类别", ((p.id, p.short_name) for p in programmes))


def _choices(everything: str, pairs) -> list[SelectChoice]:
    return [SelectChoice("", everything)] + [SelectChoice(v, label) for v, label in pairs]
