"""Award rules (科技奖励): scoped access, the list query, creation, editing and deletion.

An award row is one firm's share in an award for a project: the award's name as written
(国家科学技术进步奖, 浙江省科学技术奖 …), its level (taken from the name when the clerk
leaves it open), the grade, the year and the firm's rank among the completers. A firm
cannot have won an award before it was registered. Every function takes the acting user,
flushes and never commits; audit entries carry ``firm_id`` and the ``version``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import selectinload

from registry.audit.services import record, snapshot
from registry.awards.models import Award
from registry.errors import ValidationError
from registry.extensions import db
from registry.firms.models import Firm
from registry.firms.services import firm_scope
from registry.records import check_version, clean_text, get_owned, owned_scope, resolve_host_firm
from registry.projects import rules
from registry.vocab import AWARD_GRADES, LEVEL_RANK, LEVELS

ENTITY = "award"
FIELDS = ("firm_id", "project_name", "award", "level", "grade", "year", "firm_rank", "note", "version")
LABELS = {"firm_id": "获奖企业", "project_name": "获奖项目", "award": "奖项", "level": "级别",
          "grade": "等级", "year": "获奖年份", "firm_rank": "完成单位排名", "note": "备注"}
NOT_FOUND = "科技奖励不存在或您无权查看。"
GRADE_RANK = {"special": 0, "first": 1, "second": 2, "third": 3}


def shown(key, value):
    table = {"level": LEVELS, "grade": AWARD_GRADES}.get(key)
    return table.get(value, value) if table else value


def _audit(actor, action, award, summary, before=None):
    db.session.flush()
    return record(actor, action, ENTITY, award.id, firm_id=award.firm_id, summary=summary,
                  before=before, after=snapshot(award, FIELDS))


def award_scope(user):
    """SQL condition: awards of the firms ``user`` may see."""
    return owned_scope(Award, user)


def get_award_for(user, award_id) -> Award:
    """The award if its firm is in ``user``'s scope; NotFound otherwise."""
    return get_owned(user, Award, award_id, NOT_FOUND, selectinload(Award.firm).selectinload(Firm.town))


@dataclass
class AwardFilter:
    q: str = ""
    year: int | None = None
    level: str | None = None
    grade: str | None = None
    town_id: int | None = None


def award_query(user, f: AwardFilter):
    """Matching awards in the user's scope: newest first, then highest level and grade."""
    stmt = select(Award).join(Firm, Award.firm_id == Firm.id).where(firm_scope(user))
    q = " ".join((f.q or "").split())
    if q:
        stmt = stmt.where(or_(Award.project_name.contains(q, autoescape=True),
                              Award.award.contains(q, autoescape=True),
                              Firm.name.contains(q, autoescape=True)))
    if f.year:
        stmt = stmt.where(Award.year == f.year)
    if f.level in LEVELS:
        stmt = stmt.where(Award.level == f.level)
    if f.grade in AWARD_GRADES:
        stmt = stmt.where(Award.grade == f.grade)
    if f.town_id:
        stmt = stmt.where(Firm.town_id == f.town_id)
    return stmt.options(selectinload(Award.firm).selectinload(Firm.town)).order_by(
        Award.year.desc(), case(LEVEL_RANK, value=Award.level, else_=9),
        case(GRADE_RANK, value=Award.grade, else_=9), Award.project_name, Award.id)


def level_counts(user, f: AwardFilter) -> dict[str, int]:
    sub = award_query(user, AwardFilter(q=f.q, year=f.year, grade=f.grade, town_id=f.town_id)) \
        .order_by(None).subquery()
    return {lv: n for lv, n in db.session.execute(select(sub.c.level, func.count()).group_by(sub.c.level))}


def clean_values(firm, values: dict, *, today: date | None = None) -> dict:
    """Every field checked; the level follows from the award's name when not given."""
    name = clean_text(values.get("award"), "奖项名称", field="award", max_length=100, required=True)
    level = rules.pick_level(values.get("level"), required=False) or rules.award_level(name)
    if level is None:
        raise ValidationError(f"无法从奖项名称“{name}”判断级别，请选择级别", field="level")
    out = {
        "project_name": clean_text(values.get("project_name"), "获奖项目名称", field="project_name",
                                   max_length=200, required=True),
        "award": name, "level": level,
        "grade": rules.pick_grade(values.get("grade")),
        "year": rules.check_year(values.get("year"), "获奖年份", field="year", today=today),
        "firm_rank": rules.check_rank(values.get("firm_rank")),
        "note": clean_text(values.get("note"), "备注", field="note", max_length=2000),
    }
    rules.check_after_founding(firm, out["year"], "获奖年份", field="year")
    return out


def _check_unique(firm, clean, exclude_id=None) -> None:
    stmt = select(Award.id).where(Award.firm_id == firm.id, Award.project_name == clean["project_name"],
                                  Award.award == clean["award"], Award.year == clean["year"])
    if exclude_id is not None:
        stmt = stmt.where(Award.id != exclude_id)
    if db.session.scalar(stmt) is not None:
        raise ValidationError(f"企业“{firm.name}”已登记{clean['year']}年“{clean['project_name']}”"
                              f"获{clean['award']}", field="project_name")


def _what(award) -> str:
    return f"{award.year}年{award.award}{AWARD_GRADES[award.grade]}"


def create_award(actor, *, firm_text=None, firm_id=None, today: date | None = None, **values) -> Award:
    firm = resolve_host_firm(actor, firm_text, firm_id=firm_id)
    clean = clean_values(firm, values, today=today)
    _check_unique(firm, clean)
    award = Award(firm=firm, **clean)
    db.session.add(award)
    _audit(actor, "create", award, f"新增科技奖励 {award.project_name}（{_what(award)}）")
    return award


def update_award(actor, item: Award, *, version, today: date | None = None, **values) -> Award:
    """Edit every field under the optimistic lock (``item``: ``award`` is one of the values)."""
    check_version(item, version, entity_type=ENTITY, what="该奖励", labels={ENTITY: LABELS}, shown=shown)
    clean = clean_values(item.firm, values, today=today)
    _check_unique(item.firm, clean, exclude_id=item.id)
    changed = {k: v for k, v in clean.items() if getattr(item, k) != v}
    if not changed:
        return item
    before = snapshot(item, FIELDS)
    for key, value in changed.items():
        setattr(item, key, value)
    _audit(actor, "update", item, f"修改科技奖励 {item.project_name}（{'、'.join(LABELS[k] for k in changed)}）",
           before=before)
    return item


def delete_award(actor, item: Award, *, version) -> None:
    check_version(item, version, entity_type=ENTITY, what="该奖励", labels={ENTITY: LABELS}, shown=shown)
    record(actor, "delete", ENTITY, item.id, firm_id=item.firm_id,
           summary=f"删除科技奖励 {item.project_name}（{_what(item)}）", before=snapshot(item, FIELDS))
    db.session.delete(item)
    db.session.flush()
