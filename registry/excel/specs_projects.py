"""Workbook kinds of the innovation archive's projects (科技计划项目 with their 过程跟踪)
and awards (科技奖励): fields, header synonyms, parsers.

Kept out of ``specs`` (which imports them into SHEET_KINDS / IMPORT_SHEETS) so that file
stays readable. Coded columns (承担方式, 项目状态, 验收结果, 跟踪类型, 等级) are read as
text and turned into codes by ``registry.projects.rules`` in the planner, so a form and a
workbook accept the same words and refuse with the same reasons.
"""
from __future__ import annotations

from registry.excel.specs import NOTE, SEQ, USCC as _USCC, Field, SheetKind

USCC = Field("uscc", _USCC.label, "uscc", _USCC.synonyms + (
    "承担单位统一社会信用代码", "承担企业统一社会信用代码", "获奖单位统一社会信用代码", "完成单位统一社会信用代码"),
    help=_USCC.help)
#: The firm as project and award files name it (承担单位, 获奖单位 …).
FIRM = Field("name", "企业名称", "text",
             ("单位名称", "企业名", "公司名称", "企业(单位)名称", "承担单位", "承担企业", "项目承担单位",
              "牵头单位", "获奖单位", "获奖企业", "完成单位", "企业", "承担单位名称", "承担企业名称",
              "获奖单位名称", "完成单位名称"),
             help="企业全称；与统一社会信用代码二选一用于匹配企业，有代码时以代码为准")

PROJECTS = SheetKind(
    "projects", "科技计划项目", "projects",
    (
        SEQ,
        Field("project_name", "项目名称", "text", ("课题名称", "项目(课题)名称", "科技计划项目名称", "项目"),
              required=True),
        FIRM, USCC,
        Field("project_no", "项目编号", "text", ("项目代码", "立项编号", "合同编号", "计划编号")),
        Field("plan", "计划类别", "text", ("计划名称", "项目类别", "计划类型", "所属计划", "科技计划"),
              required=True, help="如 国家重点研发计划、863计划、宁波市重大科技专项"),
        Field("level", "级别", "level", ("项目级别", "计划级别", "层级"), required=True, choices="levels"),
        Field("role", "承担方式", "text", ("牵头/参与", "承担类型", "参与方式", "承担角色"),
              choices="project_roles", help="牵头或参与；不填按牵头"),
        Field("start_year", "开始年份", "year", ("立项年份", "起始年份", "开始年度", "立项年度", "项目开始年份"),
              required=True),
        Field("end_year", "结束年份", "year", ("完成年份", "截止年份", "结束年度", "项目结束年份", "计划完成年份"),
              help="不能早于开始年份"),
        Field("funding", "资助经费（万元）", "decimal",
              ("资助经费", "资助金额", "补助经费", "财政资助", "立项经费", "经费", "资助资金", "财政补助")),
        Field("status", "项目状态", "text", ("状态", "实施状态", "执行状态"), choices="project_statuses",
              help="在研、结题或终止；不填按在研"),
        Field("acceptance_year", "验收年份", "year", ("结题年份", "验收年度", "结题验收年份")),
        Field("acceptance_result", "验收结果", "text", ("验收结论", "结题结果", "验收意见"),
              choices="acceptance_results"),
        NOTE,
    ),
    signature=(frozenset({"project_name", "plan"}), frozenset({"project_name", "start_year", "level"})),
    sheet_words=("科技计划", "计划项目", "项目"),
)

MILESTONES = SheetKind(
    "milestones", "过程跟踪", "projects",
    (
        SEQ,
        Field("project_name", "项目名称", "text", ("课题名称", "项目(课题)名称", "项目"), required=True,
              help="与“科技计划项目”表或库中的项目名称一致"),
        FIRM, USCC,
        Field("kind", "跟踪类型", "text", ("节点类型", "事项类型", "跟踪环节"), choices="milestone_kinds",
              help="进度节点、中期检查或验收；不填按进度节点"),
        Field("title", "事项", "text", ("节点名称", "跟踪事项", "里程碑", "节点内容")),
        Field("due_on", "计划日期", "date", ("计划完成日期", "计划时间")),
        Field("done_on", "完成日期", "date", ("实际完成日期", "完成时间", "检查日期")),
        Field("result", "结果", "text", ("检查结果", "结论", "考评结果"), choices="acceptance_results",
              help="中期检查、验收填写：优秀、通过或不通过"),
        NOTE,
    ),
    signature=(frozenset({"project_name", "kind"}), frozenset({"project_name", "title"})),
    sheet_words=("跟踪", "节点", "中期", "验收"),
)

AWARDS = SheetKind(
    "awards", "科技奖励", "awards",
    (
        SEQ,
        Field("project_name", "获奖项目", "text", ("项目名称", "获奖项目名称", "成果名称"), required=True),
        FIRM, USCC,
        Field("award", "奖项", "text", ("奖项名称", "奖励名称", "获奖名称", "奖励类别", "奖种"), required=True,
              help="如 国家科学技术进步奖、浙江省科学技术奖、宁波市科技进步奖"),
        Field("level", "级别", "level", ("奖励级别", "奖项级别"), choices="levels",
              help="不填时按奖项名称判断（国家、浙江省、宁波市、慈溪市）"),
        Field("grade", "等级", "text", ("获奖等级", "奖励等级", "奖励等次", "等次"), required=True,
              choices="award_grades"),
        Field("year", "获奖年份", "year", ("获奖年度", "授奖年份", "年度", "年份"), required=True,
              help="不能早于企业成立年份"),
        Field("firm_rank", "完成单位排名", "int", ("单位排名", "排名", "完成单位排序", "本单位排名"),
              help="1 表示第一完成单位"),
        NOTE,
    ),
    signature=(frozenset({"project_name", "award"}), frozenset({"award", "grade"})),
    sheet_words=("奖励", "获奖"),
)

KINDS = (PROJECTS, MILESTONES, AWARDS)
IMPORT_SHEETS = {"projects": ("projects", "milestones"), "awards": ("awards",)}
KIND_ALIASES = {"projects": "projects", "项目": "projects", "科技计划项目": "projects",
                "awards": "awards", "奖励": "awards", "科技奖励": "awards"}
#: Rows that must name a firm (a tracked step may, to tell two same-named projects apart).
FIRM_ROWS = frozenset({"projects", "awards"})
