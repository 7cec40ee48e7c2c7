"""Yearly evaluations (年度考核) and the 动态管理 rule.

A team gets one result a year: 优秀 / 良好 / 合格 / 不合格. A 不合格 takes the team out of
cultivation — status 退出, ``exit_year`` that year, the standard reason below — and the
exit is audited. A later correction of that same result (不合格 → 合格, or the entry
removed) restores the team only when its exit came from that evaluation: same year and
the standard reason. An exit for another reason (企业申请, an earlier failure) stays.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from registry.audit.services import snapshot
from registry.errors import NotFound, ValidationError
from registry.extensions import db
from registry.records import check_year, clean_text, parse_id
from registry.teams.models import Team, TeamEvaluation
from registry.teams.services import FIELDS as TEAM_FIELDS
from registry.teams.services import audit, child_audit, lock, team_scope, touch
from registry.vocab import EVALUATION_RESULTS

ENTITY = "team_evaluation"
FIELDS = ("year", "result", "comment")
#: The exit reason the rule writes; the demo data writes the same words.
EXIT_REASON = "年度考核不合格，按动态管理规定退出培育。"
NOT_FOUND = "考核记录不存在或您无权查看。"


def get_evaluation_for(user, evaluation_id) -> TeamEvaluation:
    eid = parse_id(evaluation_id, NOT_FOUND)
    evaluation = db.session.scalar(
        select(TeamEvaluation).join(Team, TeamEvaluation.team_id == Team.id)
        .where(TeamEvaluation.id == eid, team_scope(user))
        .options(selectinload(TeamEvaluation.team).selectinload(Team.evaluations)))
    if evaluation is None:
        raise NotFound(NOT_FOUND)
    return evaluation


def exited_by(team: Team, year: int) -> bool:
    """Did the team's exit come from the 不合格 of ``year``?"""
    return team.status == "exit" and team.exit_year == year and (team.exit_reason or "") == EXIT_REASON


def _check(team: Team, year, result, comment, today, exclude=None) -> dict:
    year = check_year(year, "考核年度", today=today)
    if team.recognised_year and year < team.recognised_year:
        raise ValidationError(f"考核年度不能早于团队认定年份（{team.recognised_year}年）", field="year")
    for other in team.evaluations:
        if other is not exclude and other.year == year:
            raise ValidationError(f"{year}年度已有考核结果（{other.result_label}），每年只能有一条："
                                  "如需更正，请修改该条记录", field="year")
    if team.status == "exit" and team.exit_year and year > team.exit_year:
        raise ValidationError(f"团队已于{team.exit_year}年退出，不能录入此后年度的考核", field="year")
    if result not in EVALUATION_RESULTS:
        raise ValidationError("请选择考核结果", field="result")
    return {"year": year, "result": result,
            "comment": clean_text(comment, "考核意见", field="comment", max_length=1000)}


def _exit(actor, team: Team, year: int) -> None:
    before = snapshot(team, TEAM_FIELDS)
    team.status, team.exit_year, team.exit_reason = "exit", year, EXIT_REASON
    audit(actor, "exit", team, f"科技创新团队 {team.name} {year}年度考核不合格，退出培育（动态管理）",
          before=before)


def _restore(actor, team: Team, year: int, why: str) -> None:
    before = snapshot(team, TEAM_FIELDS)
    team.status, team.exit_year, team.exit_reason = "active", None, None
    audit(actor, "restore", team, f"科技创新团队 {team.name} {why}，恢复在培", before=before)


def add_evaluation(actor, team: Team, *, version, year, result, comment=None,
                   today: date | None = None) -> TeamEvaluation:
    """Record a year's result; a 不合格 marks an active team for exit that year."""
    lock(team, version)
    values = _check(team, year, result, comment, today)
    evaluation = TeamEvaluation(**values)
    team.evaluations.append(evaluation)
    touch(team)
    child_audit(actor, "create", ENTITY, evaluation.id, team,
                f"团队 {team.name} {evaluation.year}年度考核：{evaluation.result_label}",
                after=snapshot(evaluation, FIELDS))
    if evaluation.result == "fail" and team.status == "active":
        _exit(actor, team, evaluation.year)
    return evaluation


def update_evaluation(actor, evaluation: TeamEvaluation, *, version, year, result, comment=None,
                      today: date | None = None) -> TeamEvaluation:
    """Correct a result; a 不合格 corrected away restores the team if that exit came from it."""
    team = evaluation.team
    lock(team, version)
    values = _check(team, year, result, comment, today, exclude=evaluation)
    before = snapshot(evaluation, FIELDS)
    changed = {k: v for k, v in values.items() if getattr(evaluation, k) != v}
    if not changed:
        return evaluation
    was_exit = before["result"] == "fail" and exited_by(team, before["year"])
    for key, value in changed.items():
        setattr(evaluation, key, value)
    touch(team)
    child_audit(actor, "update", ENTITY, evaluation.id, team,
                f"团队 {team.name} 更正{before['year']}年度考核：{EVALUATION_RESULTS[before['result']]} → "
                f"{evaluation.result_label}" + (f"（年度改为{evaluation.year}）" if "year" in changed else ""),
                before={k: before[k] for k in changed}, after=changed)
    if was_exit and (evaluation.result != "fail" or evaluation.year != before["year"]):
        _restore(actor, team, before["year"], f"{before['year']}年度考核结果更正为{evaluation.result_label}")
    if evaluation.result == "fail" and team.status == "active":
        _exit(actor, team, evaluation.year)
    return evaluation


def remove_evaluation(actor, evaluation: TeamEvaluation, *, version) -> Team:
    """Delete a result entered by mistake; its exit, if it caused one, is undone."""
    team = evaluation.team
    lock(team, version)
    before = snapshot(evaluation, FIELDS)
    was_exit = before["result"] == "fail" and exited_by(team, before["year"])
    eid = evaluation.id
    team.evaluations.remove(evaluation)
    touch(team)
    child_audit(actor, "delete", ENTITY, eid, team,
                f"团队 {team.name} 删除{before['year']}年度考核（{EVALUATION_RESULTS[before['result']]}）",
                before=before)
    if was_exit:
        _restore(actor, team, before["year"], f"{before['year']}年度不合格考核记录已删除")
    return team
