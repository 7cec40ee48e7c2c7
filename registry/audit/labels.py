"""Chinese words for what the audit log stores as codes: actions, record kinds, field names
and coded values, so a clerk reads "所在镇（街道）：浒山街道 → 周巷镇" instead of
"town_id: 3 → 7".

Entries are written by every area (and in bulk by the importer) with attribute names as
keys; one table here covers them all. An unknown key is shown as it is, never dropped.
"""
from __future__ import annotations

import re

from registry.vocab import (  # noqa: I001
    ACCEPTANCE_RESULTS, AWARD_GRADES, MILESTONE_KINDS, PROJECT_ROLES, PROJECT_STATUSES,
    ANNUAL_DATA_STATUSES, EVALUATION_RESULTS, FIRM_STATUSES, IMPORT_KINDS, IMPORT_STATUSES,
    INSTITUTION_STATUSES, LEVEL_CHANGE_KINDS, LEVELS, RECOGNITION_STATUSES, ROLES, TEAM_LEVELS,
    TEAM_ROLES, TEAM_STATUSES, TIER_LIST_STATUSES, TITLE_GRADES, ZONES,
    LOAN_EVENT_KINDS, LOAN_STATUSES, VOUCHER_PURPOSES, VOUCHER_STATUSES,
)

ACTIONS = {
    "create": "新增",
    "update": "修改",
    "delete": "删除",
    "rename": "更名",
    "status": "状态变更",
    "revoke": "撤销",
    "restore": "恢复",
    "promote": "晋级",
    "demote": "降级",
    "evaluate": "考核",
    "exit": "退出",
    "import": "导入",
    "publish": "发布",
    "notice": "公示",
    "submit": "提交",
    "review": "审核",
    "accept": "确认",
    "return": "退回",
    "add_member": "添加成员",
    "remove_member": "移除成员",
    "deactivate": "停用",
    "reactivate": "启用",
    "reset_password": "重置密码",
    "login": "登录",
    "close": "注销",
    "ningbo": "入选宁波市级",
    "add_entry": "名单增加企业",
    "remove_entry": "名单移出企业",
    "update_entry": "修改名单条目",
    "resolve_objection": "处理异议",
    "amend": "更正",
    "copy": "复制",
    "move": "变更依托企业",
    "withdraw": "撤回",
    "activate": "激活账号",
    "approve": "批准",
}

ENTITIES = {
    "firm": "企业",
    "firm_name": "曾用名",
    "annual_data": "年度数据",
    "recognition": "认定",
    "programme": "认定类别",
    "rd_institution": "研发机构",
    "institution": "研发机构",
    "rd_level_change": "研发机构级别变更",
    "team": "科技创新团队",
    "team_member": "团队成员",
    "team_evaluation": "团队考核",
    "tier_list": "培育名单",
    "tier_list_entry": "名单条目",
    "user": "用户",
    "import_batch": "导入批次",
    "town": "镇（街道）",
    "industry": "产业",
    "criteria_set": "认定标准",
    "criterion": "认定标准条目",
    "high_tech_report": "高企年报",
    "change_request": "信息变更申请",
    "member_proposal": "团队成员变更申请",
    "notice": "通知",
    "project": "科技计划项目",
    "project_milestone": "项目过程跟踪",
    "award": "科技奖励",
    "voucher_budget": "创新券年度预算",
    "voucher_application": "创新券申请",
    "credit_pool": "科技信贷风险池",
    "credit_loan": "科技信贷",
    "credit_event": "还款/代偿/追偿",
}

FIELDS = {
    # firms
    "uscc": "统一社会信用代码", "name": "名称", "town_id": "所在镇（街道）", "town": "所在镇（街道）",
    "industry_id": "所属产业", "industry": "所属产业", "founded_on": "成立日期",
    "registered_capital": "注册资本（万元）", "legal_representative": "法定代表人",
    "contact_person": "联系人", "phone": "联系电话", "email": "电子邮箱", "address": "地址",
    "above_scale": "规上企业", "status": "状态", "status_changed_on": "状态变更日期",
    "note": "备注", "zone": "区域", "short_name": "简称",
    # annual data
    "year": "年度", "revenue": "营业收入（万元）", "rd_expense": "研发费用（万元）",
    "total_cost": "成本费用总额（万元）", "high_tech_revenue": "高新技术产品收入（万元）",
    "export_value": "出口交货值（万元）", "employees": "职工人数", "rd_staff": "研发人员",
    "tech_staff": "科技人员", "invention_patents": "发明专利", "utility_patents": "实用新型专利",
    "design_patents": "外观设计专利", "software_copyrights": "软件著作权",
    "review_comment": "审核意见",
    # recognitions and programmes
    "programme_id": "认定类别", "programme": "认定类别", "batch": "批次",
    "certificate_no": "证书编号", "issued_on": "发证日期", "valid_from": "有效期起",
    "valid_until": "有效期至", "revoked_on": "撤销日期", "revoke_reason": "撤销原因",
    "code": "代码", "validity_years": "有效期（年）", "is_ladder_rung": "梯度培育层级",
    "ladder_rank": "梯度层级", "has_certificate": "颁发证书", "sort_order": "排序",
    "description": "说明",
    # institutions
    "type": "类型", "level": "级别", "recognised_year": "认定年度",
    "first_recognised_year": "首次认定年度", "document_no": "文号", "closed_year": "注销年度",
    "kind": "变更类型", "from_level": "原级别", "to_level": "新级别",
    "institution_id": "研发机构",
    # teams
    "leader_name": "带头人", "field": "研究方向", "ningbo_year": "入选宁波市级年度",
    "projects_in_progress": "在研项目数", "exit_year": "退出年度", "exit_reason": "退出原因",
    "title": "职称", "title_grade": "职称等级", "education": "学历", "role": "角色",
    "joined_year": "加入年度", "left_year": "离开年度", "result": "考核结果", "score": "得分",
    "comment": "考核意见", "team_id": "团队",
    # tier lists
    "notice_from": "公示开始", "notice_until": "公示结束", "published_at": "发布时间",
    # users
    "username": "用户名", "display_name": "姓名", "towns": "负责镇（街道）", "firm_id": "企业",
    "is_active": "启用", "is_active_flag": "启用", "must_change_password": "须修改密码",
    "firm": "所属企业", "password_changed": "密码已修改", "last_login_at": "最近登录",
    "version": "版本号", "firm_name": "企业名称", "town_name": "所在镇（街道）",
    "seq": "序号", "source": "来源", "label": "名称", "params": "参数",
    "inst_name": "研发机构名称", "team_name": "团队名称", "member_name": "成员姓名",
    # import batches
    "filename": "文件名", "total_rows": "总行数", "created_count": "新增数",
    "updated_count": "更新数", "unchanged_count": "未变数", "error_count": "错误数",
}

#: Coded values: field -> {code: label}; ``status`` and ``level`` depend on the record kind.
_STATUS_BY_ENTITY = {
    "firm": FIRM_STATUSES, "recognition": RECOGNITION_STATUSES,
    "rd_institution": INSTITUTION_STATUSES, "institution": INSTITUTION_STATUSES,
    "team": TEAM_STATUSES, "tier_list": TIER_LIST_STATUSES, "annual_data": ANNUAL_DATA_STATUSES,
    "import_batch": IMPORT_STATUSES,
}
_CODES = {
    "zone": ZONES, "result": EVALUATION_RESULTS, "title_grade": TITLE_GRADES,
    "from_level": LEVELS, "to_level": LEVELS,
}


def action_label(code: str | None) -> str:
    return ACTIONS.get(code or "", code or "")


def entity_label(code: str | None) -> str:
    return ENTITIES.get(code or "", code or "")


#: Field names that mean something else on one kind of record.
FIELDS_BY_ENTITY = {
    "tier_list": {"title": "名单标题", "year": "年度", "document_no": "文号"},
    "rd_institution": {"name": "机构名称", "firm_id": "依托企业", "recognised_year": "现级别认定年份"},
    "team": {"name": "团队名称", "firm_id": "依托企业", "recognised_year": "认定年份"},
    "team_member": {"name": "姓名"},
    "firm": {"name": "企业名称"},
    "programme": {"name": "类别名称", "level": "层级"},
    "criterion": {"kind": "条件类型"},
    # projects and awards (issue #8)
    "project": {"name": "项目名称", "firm_id": "承担企业", "project_no": "项目编号", "plan": "计划类别",
                "role": "承担方式", "start_year": "开始年份", "end_year": "结束年份",
                "funding": "资助经费（万元）", "acceptance_year": "验收年份", "acceptance_result": "验收结果"},
    "project_milestone": {"kind": "跟踪类型", "title": "事项", "due_on": "计划日期", "done_on": "完成日期",
                          "result": "结果", "project_id": "项目"},
    "award": {"project_name": "获奖项目", "firm_id": "获奖企业", "award": "奖项", "grade": "等级",
              "year": "获奖年份", "firm_rank": "完成单位排名"},
    # vouchers and credit (issue #8)
    "voucher_budget": {"amount": "预算金额（万元）"},
    "voucher_application": {"firm_id": "申请企业", "provider": "服务机构", "purpose": "券种",
                            "requested": "申请金额（万元）", "issued": "核发金额（万元）", "issued_on": "核发日期",
                            "redeemed": "兑付金额（万元）", "redeemed_on": "兑付日期", "reviewed_by_id": "审核人"},
    "credit_pool": {"size": "风险池规模（万元）", "max_loan": "单户贷款上限（万元）",
                    "compensation_rate": "代偿比例（%）", "eligible_programmes": "准入认定类别"},
    "credit_loan": {"firm_id": "借款企业", "pool_year": "风险池年度", "bank": "贷款银行",
                    "credit_line": "授信额度（万元）", "amount": "贷款金额（万元）", "loan_on": "放款日期",
                    "due_on": "到期日期"},
    "credit_event": {"loan_id": "贷款", "kind": "类型", "occurred_on": "日期", "amount": "金额（万元）"},
}
#: Coded fields of one kind of record: (entity type, field) -> {code: label}.
CODES_BY_ENTITY = {
    ("project", "role"): PROJECT_ROLES, ("project", "status"): PROJECT_STATUSES,
    ("project", "acceptance_result"): ACCEPTANCE_RESULTS, ("project_milestone", "kind"): MILESTONE_KINDS,
    ("project_milestone", "result"): ACCEPTANCE_RESULTS, ("award", "grade"): AWARD_GRADES,
    ("voucher_application", "purpose"): VOUCHER_PURPOSES, ("voucher_application", "status"): VOUCHER_STATUSES,
    ("credit_loan", "status"): LOAN_STATUSES, ("credit_event", "kind"): LOAN_EVENT_KINDS,
}


def field_label(name: str, entity_type: str | None = None) -> str:
    special = FIELDS_BY_ENTITY.get(entity_type or "", {})
    return special.get(name) or FIELDS.get(name, name)


def code_labels(entity_type: str | None, field: str) -> dict | None:
    """The vocabulary a coded field's values come from, if any."""
    if (entity_type, field) in CODES_BY_ENTITY:
        return CODES_BY_ENTITY[(entity_type, field)]
    if field == "status":
        return _STATUS_BY_ENTITY.get(entity_type or "")
    if field == "level":
        return TEAM_LEVELS if entity_type == "team" else LEVELS
    if field == "role":
        return ROLES if entity_type == "user" else TEAM_ROLES
    if field == "kind":
        return IMPORT_KINDS if entity_type == "import_batch" else LEVEL_CHANGE_KINDS
    return _CODES.get(field)


_ISO_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})")
