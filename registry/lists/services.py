"""The list workflow: draft → 公示 → published, and the amendments that follow publication
(publishing and amendments are in ``publishing``, re-exported here).

A list is built while it is a draft (entries from screening, by search or by import), put
up for 公示 with its dates, receives objections and withdrawals, and is published once the
notice period has ended and every objection has an answer. Publishing copies each firm's
name, code and town into its entry (later edits to the firm never change the list) and
creates the recognitions. Two clerks pressing 发布 together: the list row is claimed by one
conditional UPDATE on its version column, so exactly one of them publishes.

After publication the list changes only through ``amend`` — an addition, a removal or a
correction, each with its reason and 文号 recorded beside the list.
"""
from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import attributes, selectinload
from sqlalchemy.orm.exc import StaleDataError

from registry.audit.services import record, snapshot
from registry.errors import ConflictError, NotFound, ValidationError
from registry.extensions import db
from registry.firms.models import Firm, Town
from registry.firms.services import MAX_ID
from registry.lists.models import ListObjection, TierList, TierListEntry
from registry.recognitions.models import Programme
from registry.timeutil import to_local, utcnow
from registry.vocab import FIRM_STATUSES

LIST_FIELDS = ("programme_id", "year", "batch", "title", "document_no", "status", "notice_from",
               "notice_until", "note")
ENTRY_FIELDS = ("firm_id", "seq", "firm_name", "uscc", "town_name", "note", "source")
SOURCES = {"screening": "资格筛选", "search": "查询添加", "import": "导入", "amendment": "更正增补"}


def today_local() -> date:
    """Today in Beijing: a 公示 period ends at midnight there, not in UTC."""
    return to_local(utcnow()).date()


# --- fetching -----------------------------------------------------------------------------

def _id(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise NotFound("名单不存在。")
    if not 0 < number <= MAX_ID:
        raise NotFound("名单不存在。")
    return number


def town_ids(user) -> set[int] | None:
    """The towns a town officer answers for; None for those who see every firm."""
    if user is not None and user.role == "town":
        return {t.id for t in user.towns}
    return None


def _scoped_entries():
    """Ids of lists with an entry whose firm is in given towns (add the town condition)."""
    return select(TierListEntry.tier_list_id).join(Firm, Firm.id == TierListEntry.firm_id)


def get_list_for(user, list_id, *, for_page: bool = False) -> TierList:
    """The list for a bureau user; a town officer only when it names a firm of their towns
    (and then sees that part of it). NotFound otherwise — no existence leak.

    ``for_page``: without its entries loaded (the list page reads them as ``page_rows``;
    a list of hundreds of firms is not turned into objects)."""
    if user is None or user.role == "firm":
        raise NotFound("名单不存在。")
    options = [selectinload(TierList.programme)]
    if not for_page:
        options.append(selectinload(TierList.entries).selectinload(TierListEntry.firm)
                       .selectinload(Firm.town))
    tier_list = db.session.get(TierList, _id(list_id), options=options)
    if tier_list is None:
        raise NotFound("名单不存在。")
    towns = town_ids(user)
    if towns is not None and not db.session.scalar(
            select(_scoped_entries().where(TierListEntry.tier_list_id == tier_list.id,
                                           Firm.town_id.in_(towns)).exists())):
        raise NotFound("名单不存在。")
    return tier_list


class PageRow(NamedTuple):
    """One firm of the list page: 序号, the firm as listed (frozen on publication, else as
    it is now) and what the page's links and buttons need."""

    n: int
    name: str
    uscc: str
    town: str | None
    note: str | None
    entry_id: int
    firm_id: int
    listed_name: str | None
    source: str | None
    firm_status: str

    @property
    def firm_status_label(self) -> str:
        return FIRM_STATUSES[self.firm_status]


def page_rows(user, tier_list: TierList) -> list[PageRow]:
    """The list's firms in list order as plain rows (a town officer: their towns' part), in
    one query: the names, codes and towns as published once the list is, else as now. The
    official workbooks take their rows from here too (``exports.entry_rows``)."""
    E = TierListEntry
    stmt = (select(E.id, E.firm_id, E.firm_name, E.uscc, E.town_name, E.note, E.source,
                   Firm.name, Firm.uscc, Firm.status, Town.name)
            .join(Firm, Firm.id == E.firm_id).outerjoin(Town, Town.id == Firm.town_id)
            .where(E.tier_list_id == tier_list.id).order_by(E.seq, E.id))
    towns = town_ids(user)
    if towns is not None:
        stmt = stmt.where(Firm.town_id.in_(towns))
    frozen = tier_list.status == "published"
    rows = []
    for n, (entry_id, firm_id, listed, uscc, town, note, source, name_now, uscc_now, status,
            town_now) in enumerate(db.session.execute(stmt), start=1):
        shown = (listed, uscc, town) if frozen else (name_now, uscc_now, town_now)
        rows.append(PageRow(n, *shown, note, entry_id, firm_id, listed, source, status))
    return rows


def visible_records(user, records) -> list:
    """Objections or amendments the user may read (their towns' firms for a town officer)."""
    towns = town_ids(user)
    if towns is None:
        return list(records)
    firms = dict(db.session.execute(select(Firm.id, Firm.town_id).where(
        Firm.id.in_([r.firm_id for r in records] or [-1]))).all())
    return [r for r in records if firms.get(r.firm_id) in towns]


def lists_for_year(user, year: int | None):
    """(list, entries the user sees) for the index, newest year first."""
    stmt = (select(TierList).options(selectinload(TierList.programme))
            .order_by(TierList.year.desc(), TierList.programme_id, TierList.batch))
    if year:
        stmt = stmt.where(TierList.year == year)
    counted = select(TierListEntry.tier_list_id, func.count()).join(Firm, Firm.id == TierListEntry.firm_id)
    towns = town_ids(user)
    if towns is not None:
        counted = counted.where(Firm.town_id.in_(towns or [-1]))
        stmt = stmt.where(TierList.id.in_(_scoped_entries().where(Firm.town_id.in_(towns or [-1]))))
    rows = list(db.session.scalars(stmt))
    counts = dict(db.session.execute(
        counted.where(TierListEntry.tier_list_id.in_([t.id for t in rows] or [-1]))
        .group_by(TierListEntry.tier_list_id)).all())
    return [(t, counts.get(t.id, 0)) for t in rows]


def list_years() -> list[int]:
    return list(db.session.scalars(select(TierList.year).distinct().order_by(TierList.year.desc())))


def _entry(tier_list: TierList, entry_id) -> TierListEntry:
    entry = next((e for e in tier_list.entries if str(e.id) == str(entry_id)), None)
    if entry is None:
        raise NotFound("名单中没有这条记录。")
    return entry


def _touch(tier_list: TierList) -> None:
    """Bump the list's version: an entry change is a change of the list (optimistic lock)."""
    attributes.flag_modified(tier_list, "note")


def _flush() -> None:
    """Flush a change of a list; a save that raced another clerk's (the list was published or
    changed since it was loaded: its version no longer matches) is refused, not a crash."""
    try:
        db.session.flush()
    except StaleDataError:
        raise ConflictError("名单已被他人修改或发布，您的修改没有保存，请刷新页面后重试。") from None


def _check_version(tier_list: TierList, version) -> None:
    if version not in (None, "") and int(version) != tier_list.version:
        raise ConflictError("名单已被他人修改，请刷新页面后重试。")


def _editable(tier_list: TierList, action: str) -> None:
    if tier_list.status == "published":
        raise ConflictError(f"名单已发布，不能{action}；如需更正，请使用“更正记录”。")


# --- the list itself ------------------------------------------------------------------------

def create_list(actor, *, programme: Programme, year: int, batch: str = "", title: str = "",
                document_no: str | None = None, note: str | None = None) -> TierList:
    if not 1950 <= int(year) <= 2200:
        raise ValidationError("年度无效", field="year")
    batch = (batch or "").strip()
    title = (title or "").strip() or f"{year}年度{programme.name}名单" + (f"（{batch}）" if batch else "")
    taken = db.session.scalar(select(TierList.id).where(
        TierList.programme_id == programme.id, TierList.year == year, TierList.batch == batch))
    if taken:
        raise ConflictError(f"{year}年度{programme.short_name}{batch or ''}名单已存在。", field="batch")
    tier_list = TierList(programme=programme, year=year, batch=batch, title=title,
                         document_no=(document_no or "").strip() or None, note=note or None,
                         status="draft", created_by_id=getattr(actor, "id", None))
    db.session.add(tier_list)
    db.session.flush()
    record(actor, "create", "tier_list", tier_list.id, summary=f"新建名单：{title}",
           after=snapshot(tier_list, LIST_FIELDS))
    return tier_list


def update_list(actor, tier_list: TierList, *, version=None, **fields) -> TierList:
    """Title, 文号, batch and note of a list not yet published."""
    _check_version(tier_list, version)
    _editable(tier_list, "修改")
    before = snapshot(tier_list, LIST_FIELDS)
    for key in ("title", "document_no", "note", "batch"):
        if key in fields:
            value = (fields[key] or "").strip()
            if key == "title" and not value:
                raise ValidationError("名单标题不能为空", field="title")
            setattr(tier_list, key, value if key in ("title", "batch") else (value or None))
    _flush()
    record(actor, "update", "tier_list", tier_list.id, summary=f"修改名单：{tier_list.title}",
           before=before, after=snapshot(tier_list, LIST_FIELDS))
    return tier_list


def delete_list(actor, tier_list: TierList) -> None:
    if tier_list.status != "draft":
        raise ConflictError("只能删除草稿状态的名单。")
    before, list_id = snapshot(tier_list, LIST_FIELDS), tier_list.id
    db.session.delete(tier_list)
    _flush()
    record(actor, "delete", "tier_list", list_id, summary=f"删除名单：{before['title']}", before=before)


# --- entries --------------------------------------------------------------------------------

def add_entry(actor, tier_list: TierList, firm: Firm, *, source: str = "search",
              screening: dict | None = None, note: str | None = None) -> TierListEntry:
    """Put ``firm`` on a list that is not yet published; refuse twice or a closed firm."""
    _editable(tier_list, "添加企业")
    if firm.status != "active":
        raise ValidationError(f"{firm.name}已{firm.status_label}，不能列入名单。")
    if any(e.firm_id == firm.id for e in tier_list.entries):
        raise ConflictError(f"{firm.name}已在名单中，不能重复添加。")
    elsewhere = db.session.scalar(
        select(TierList.title).join(TierListEntry, TierListEntry.tier_list_id == TierList.id)
        .where(TierListEntry.firm_id == firm.id, TierList.programme_id == tier_list.programme_id,
               TierList.year == tier_list.year, TierList.id != tier_list.id).limit(1))
    if elsewhere:
        raise ConflictError(f"{firm.name}已列入《{elsewhere}》，同一年度不能重复列入。")
    seq = max((e.seq for e in tier_list.entries), default=0) + 1
    entry = TierListEntry(firm=firm, seq=seq, firm_name=firm.name, uscc=firm.uscc,
                          town_name=firm.town.name if firm.town else None,
                          industry_name=firm.industry.name if firm.industry else None,
                          screening=screening, note=(note or "").strip() or None, source=source)
    tier_list.entries.append(entry)
    _touch(tier_list)
    _flush()
    record(actor, "add_entry", "tier_list", tier_list.id, firm_id=firm.id,
           summary=f"{tier_list.title}：添加 {firm.name}（{SOURCES.get(source, source)}）",
           after=snapshot(entry, ENTRY_FIELDS))
    return entry


def add_entries(actor, tier_list: TierList, firms: list[Firm], *, source: str = "screening",
                screening: dict | None = None) -> tuple[int, list[str]]:
    """Add several firms; those refused are reported by name with the reason, not fatal."""
    added, refused = 0, []
    for firm in firms:
        try:
            add_entry(actor, tier_list, firm, source=source,
                      screening=(screening or {}).get(firm.id))
            added += 1
        except (ConflictError, ValidationError) as exc:
            if tier_list.status == "published":
                raise
            refused.append(exc.message)
    return added, refused


def imported_firms(tier_list: TierList) -> list[Firm]:
    """Firms holding this programme's recognition for the list's year that no list claims —
    typically rows of a recognition workbook imported at 数据导入 — not yet on this list."""
    from registry.recognitions.models import Recognition

    on_list = {e.firm_id for e in tier_list.entries}
    firms = db.session.scalars(
        select(Firm).join(Recognition, Recognition.firm_id == Firm.id)
        .where(Recognition.programme_id == tier_list.programme_id, Recognition.year == tier_list.year,
               Recognition.tier_list_id.is_(None), Recognition.status == "valid")
        .options(selectinload(Firm.town), selectinload(Firm.industry)).order_by(Firm.name))
    return [f for f in firms if f.id not in on_list]


def imported_count(tier_list: TierList) -> int:
    """How many firms ``imported_firms`` would give, counted in the database (the list page
    shows the number only; a list of hundreds need not load them)."""
    from registry.recognitions.models import Recognition

    on_list = select(TierListEntry.firm_id).where(TierListEntry.tier_list_id == tier_list.id)
    return db.session.scalar(
        select(func.count()).select_from(Recognition)
        .where(Recognition.programme_id == tier_list.programme_id, Recognition.year == tier_list.year,
               Recognition.tier_list_id.is_(None), Recognition.status == "valid",
               Recognition.firm_id.not_in(on_list)))


def add_imported(actor, tier_list: TierList) -> tuple[int, list[str]]:
    """Put every imported, unclaimed recognition of the list's programme and year on it."""
    firms = imported_firms(tier_list)
    if not firms:
        raise ValidationError("没有可加入的导入认定记录（本类别本年度的认定均已在名单中）。")
    return add_entries(actor, tier_list, firms, source="import")


def remove_entry(actor, tier_list: TierList, entry_id) -> None:
    """Drop an entry from a draft (during 公示 use an objection or a withdrawal)."""
    _editable(tier_list, "移除企业")
    if tier_list.status == "notice":
        raise ConflictError("名单正在公示，移出企业请登记异议或撤回申请。")
    entry = _entry(tier_list, entry_id)
    before = snapshot(entry, ENTRY_FIELDS)
    tier_list.entries.remove(entry)
    _touch(tier_list)
    _flush()
    record(actor, "remove_entry", "tier_list", tier_list.id, firm_id=entry.firm_id,
           summary=f"{tier_list.title}：移除 {entry.firm_name}", before=before)


def update_entry_note(actor, tier_list: TierList, entry_id, note: str) -> None:
    _editable(tier_list, "修改备注")
    entry = _entry(tier_list, entry_id)
    before = {"note": entry.note}
    entry.note = (note or "").strip()[:255] or None
    _touch(tier_list)
    _flush()
    record(actor, "update_entry", "tier_list", tier_list.id, firm_id=entry.firm_id,
           summary=f"{tier_list.title}：{entry.firm_name} 备注", before=before, after={"note": entry.note})


# --- 公示, objections, withdrawals ----------------------------------------------------------

def start_notice(actor, tier_list: TierList, *, notice_from: date | None, notice_until: date | None,
                 version=None) -> TierList:
    _check_version(tier_list, version)
    if tier_list.status != "draft":
        raise ConflictError(f"名单{tier_list.status_label}，不能再次公示。")
    if not tier_list.entries:
        raise ValidationError("名单中还没有企业，不能公示。")
    if not notice_from or not notice_until:
        raise ValidationError("请填写公示起止日期。", field="notice_from")
    if notice_until < notice_from:
        raise ValidationError("公示结束日期早于开始日期。", field="notice_until")
    before = snapshot(tier_list, LIST_FIELDS)
    tier_list.status, tier_list.notice_from, tier_list.notice_until = "notice", notice_from, notice_until
    _flush()
    record(actor, "notice", "tier_list", tier_list.id,
           summary=f"{tier_list.title}：公示 {notice_from:%Y-%m-%d} 至 {notice_until:%Y-%m-%d}",
           before=before, after=snapshot(tier_list, LIST_FIELDS))
    return tier_list


def record_objection(actor, tier_list: TierList, *, firm_id, kind: str, received_on: date | None,
                     content: str) -> ListObjection:
    """An objection (during 公示) or a withdrawal (draft or 公示); a withdrawal takes the firm
    off the list at once, an objection waits for ``resolve_objection``."""
    if tier_list.status == "published":
        raise ConflictError("名单已发布，异议和撤回请通过“更正记录”处理。")
    if kind == "objection" and tier_list.status != "notice":
        raise ConflictError("只有公示期间的名单可以登记异议。")
    if kind not in ("objection", "withdrawal"):
        raise ValidationError("请选择异议或撤回申请。", field="kind")
    content = (content or "").strip()
    if not content:
        raise ValidationError("请填写异议或撤回的内容。", field="content")
    entry = next((e for e in tier_list.entries if str(e.firm_id) == str(firm_id)), None)
    if entry is None:
        raise ValidationError("该企业不在名单中。", field="firm_id")
    objection = ListObjection(tier_list=tier_list, firm_id=entry.firm_id, firm_name=entry.firm_name,
                              kind=kind, received_on=received_on or today_local(), content=content,
                              recorded_by_id=getattr(actor, "id", None), outcome="pending")
    db.session.add(objection)
    if kind == "withdrawal":
        objection.outcome, objection.resolution = "upheld", "企业申请撤回，已移出名单。"
        objection.resolved_at = utcnow()
        tier_list.entries.remove(entry)
    _touch(tier_list)
    _flush()
    record(actor, kind, "tier_list", tier_list.id, firm_id=entry.firm_id,
           summary=f"{tier_list.title}：{objection.kind_label} {entry.firm_name}",
           after={"content": content, "received_on": objection.received_on, "outcome": objection.outcome})
    return objection


def resolve_objection(actor, tier_list: TierList, objection_id, *, outcome: str,
                      resolution: str) -> ListObjection:
    objection = next((o for o in tier_list.objections if str(o.id) == str(objection_id)), None)
    if objection is None:
        raise NotFound("异议记录不存在。")
    if objection.outcome != "pending":
        raise ConflictError("该异议已处理。")
    if tier_list.status == "published":
        raise ConflictError("名单已发布。")
    if outcome not in ("upheld", "dismissed"):
        raise ValidationError("请选择处理结果。", field="outcome")
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError("请填写处理意见。", field="resolution")
    objection.outcome, objection.resolution, objection.resolved_at = outcome, resolution, utcnow()
    if outcome == "upheld":
        entry = next((e for e in tier_list.entries if e.firm_id == objection.firm_id), None)
        if entry is not None:
            tier_list.entries.remove(entry)
    _touch(tier_list)
    _flush()
    record(actor, "resolve_objection", "tier_list", tier_list.id, firm_id=objection.firm_id,
           summary=f"{tier_list.title}：异议 {objection.firm_name} {objection.outcome_label}",
           before={"outcome": "pending"}, after={"outcome": outcome, "resolution": resolution})
    return objection


def find_firm(user, text: str) -> Firm:
    """A firm in ``user``'s scope by its USCC or its exact (current) name."""
    from registry.firms.services import firm_scope
    from registry.firms.uscc import normalise_uscc

    text = (text or "").strip()
    if not text:
        raise ValidationError("请填写企业的统一社会信用代码或全称。", field="firm")
    firm = db.session.scalar(select(Firm).where(firm_scope(user), Firm.uscc == normalise_uscc(text)))
    if firm is None:
        matches = list(db.session.scalars(select(Firm).where(firm_scope(user), Firm.name == text).limit(2)))
        firm = matches[0] if len(matches) == 1 else None
    if firm is None:
        raise ValidationError(f"找不到企业“{text}”，请填写统一社会信用代码或企业全称。", field="firm")
    return firm


# Publishing and amendments live in ``publishing``; callers keep using ``services.*``.
from registry.lists.publishing import amend, publish  # noqa: E402,F401
