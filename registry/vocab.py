"""Closed vocabularies of the domain: stored codes and their Chinese labels.

Open-ended reference data (towns, industries, programmes) lives in tables seeded by the
initial migration; the small fixed sets below are stored as short codes guarded by
CHECK constraints, so every database holds the same values.
"""
from __future__ import annotations

# Zones: "不含新区" means excluding HZB_NEW_AREA.
ZONE_CIXI = "cixi"
ZONE_NEW_AREA = "new_area"
ZONES = {ZONE_CIXI: "慈溪市本级", ZONE_NEW_AREA: "杭州湾新区"}

FIRM_STATUSES = {"active": "在营", "deregistered": "注销", "moved_out": "迁出"}

INDUSTRY_GROUPS = {"traditional": "传统优势产业", "emerging": "战略性新兴产业", "other": "其他"}

# Administrative levels, highest first; rank 1 is the top.
LEVELS = {"national": "国家级", "provincial": "省级", "ningbo": "宁波市级", "cixi": "慈溪市级"}
LEVEL_RANK = {"national": 1, "provincial": 2, "ningbo": 3, "cixi": 4}
# What a Cixi file may write for each level.
LEVEL_SYNONYMS = {
    "国家级": "national", "国家": "national",
    "省级": "provincial", "省": "provincial",
    "宁波市级": "ningbo", "宁波级": "ningbo", "宁波": "ningbo",
    "慈溪市级": "cixi", "市级": "cixi", "县级": "cixi", "慈溪": "cixi",
}

RECOGNITION_STATUSES = {"valid": "有效", "revoked": "已撤销"}

TIER_LIST_STATUSES = {"draft": "草稿", "notice": "公示中", "published": "已发布"}

RD_TYPES = [
    "企业工程（技术）中心",
    "企业技术中心",
    "省级高新技术企业研发中心",
    "省级企业研究院",
    "重点企业研究院",
    "院士工作站",
    "博士后工作站",
    "其他",
]
INSTITUTION_STATUSES = {"active": "有效", "revoked": "已撤销", "closed": "已注销"}
LEVEL_CHANGE_KINDS = {"initial": "认定", "promotion": "晋级", "demotion": "降级"}

TEAM_LEVELS = {"cixi": "慈溪市级", "ningbo": "宁波市级"}
TEAM_STATUSES = {"active": "在培", "exit": "退出"}
TEAM_ROLES = {"leader": "带头人", "core": "核心成员", "member": "成员"}
TITLE_GRADES = {"senior": "正高", "associate": "副高", "intermediate": "中级", "junior": "初级"}
EVALUATION_RESULTS = {"excellent": "优秀", "good": "良好", "pass": "合格", "fail": "不合格"}

ANNUAL_DATA_STATUSES = {
    "draft": "草稿", "submitted": "待审核", "accepted": "已确认", "returned": "已退回",
}

ROLES = {
    "admin": "管理员",
    "staff": "科技局工作人员",
    "town": "镇街道联络员",
    "firm": "企业用户",
    "viewer": "只读（领导）",
}

IMPORT_KINDS = {
    "firms": "企业名录",
    "recognitions": "认定名单",
    "institutions": "研发机构",
    "teams": "科技创新团队",
    "annual": "年度数据",
    "projects": "科技计划项目",
    "awards": "科技奖励",
    "vouchers": "科技创新券",
    "loans": "科技信贷",
}
IMPORT_STATUSES = {"preview": "待确认", "applied": "已导入", "rejected": "已拒绝", "discarded": "已放弃"}
# A large import's background job (issue #10): none for small ones handled in the request.
IMPORT_JOB_STATUSES = {"queued": "排队中", "running": "处理中", "done": "已完成", "failed": "失败"}
IMPORT_JOB_PHASES = {"plan": "检查", "apply": "导入"}

# Projects (科技计划项目), awards (科技奖励), vouchers (科技创新券), credit (科技信贷风险池).
PROJECT_ROLES = {"lead": "牵头", "participant": "参与"}
PROJECT_STATUSES = {"in_progress": "在研", "completed": "结题", "terminated": "终止"}
MILESTONE_KINDS = {"milestone": "进度节点", "midterm": "中期检查", "acceptance": "验收"}
ACCEPTANCE_RESULTS = {"excellent": "优秀", "passed": "通过", "failed": "不通过"}
AWARD_GRADES = {"special": "特等奖", "first": "一等奖", "second": "二等奖", "third": "三等奖"}
VOUCHER_PURPOSES = {
    "cooperation": "技术合作", "testing": "检验检测", "consulting": "科技咨询",
    "design": "研发设计", "other": "其他",
}
VOUCHER_STATUSES = {
    "submitted": "已受理", "approved": "已核发", "rejected": "未通过", "redeemed": "已兑付",
}
LOAN_STATUSES = {
    "outstanding": "在贷", "repaid": "已结清", "overdue": "逾期", "compensated": "已代偿",
}
LOAN_EVENT_KINDS = {"repayment": "还款", "compensation": "代偿", "recovery": "追偿"}


def check_in(column: str, values) -> str:
    """SQL text for a CHECK constraint that keeps ``column`` inside a vocabulary."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"
