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
}
IMPORT_STATUSES = {"preview": "待确认", "applied": "已导入", "rejected": "已拒绝", "discarded": "已放弃"}


def check_in(column: str, values) -> str:
    """SQL text for a CHECK constraint that keeps ``column`` inside a vocabulary."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"
