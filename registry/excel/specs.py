"""What each kind of bureau workbook holds: fields, their header synonyms and parsers.

This is the one table the reader (header recognition), the importer (labels in messages),
the templates (columns, dropdowns, instructions) and the error workbook all read. A new
header spelling is one more synonym here, never an ``if`` elsewhere.

Headers are compared after ``values.normalise_header`` (NFKC, no spaces, no required-mark
``*``), and again with a trailing unit in brackets removed, so "注册资本（万元）",
"注册资本(万元)" and "注册资本" all match.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str  # attribute name in the registry (or a pipeline-only name)
    label: str  # canonical Chinese header: templates, preview and messages use it
    parser: str  # a key of values.PARSERS
    synonyms: tuple[str, ...] = ()
    required: bool = False
    choices: str | None = None  # template dropdown: towns / industries / levels / yesno / roles / team_levels
    help: str = ""  # one line for the template's instructions sheet


@dataclass(frozen=True)
class SheetKind:
    code: str
    label: str
    import_kind: str  # which import kind (and ImportBatch.kind) this sheet belongs to
    fields: tuple[Field, ...]
    signature: tuple[frozenset[str], ...]  # any of these field sets present → this kind
    sheet_words: tuple[str, ...] = ()  # words in a sheet name that point to this kind
    # Field sets that identify this kind only when the sheet name, title or file name
    # also carries one of ``sheet_words`` (or the kind is forced): a 雏鹰 list has
    # nothing but 企业名称 / 统一社会信用代码 / 所在镇（街道）.
    weak_signature: tuple[frozenset[str], ...] = ()
    # Fields whose values must be unique within one file (the later row is the error).
    unique_key: tuple[str, ...] = ()

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


# --- fields shared by several kinds ---------------------------------------------------
SEQ = Field("seq", "序号", "int", ("编号", "序", "No", "NO."))
FIRM_NAME = Field("name", "企业名称", "text",
                  ("单位名称", "企业名", "公司名称", "企业(单位)名称", "申报单位", "依托企业",
                   "依托单位", "依托企业名称", "所在企业", "企业"),
                  help="企业全称；与统一社会信用代码二选一用于匹配企业，有代码时以代码为准")
USCC = Field("uscc", "统一社会信用代码", "uscc",
             ("信用代码", "社会信用代码", "统一信用代码", "统一代码", "统一社会信用代码(注册号)",
              "组织机构代码", "注册号", "工商注册号", "企业代码", "依托企业统一社会信用代码"),
             help="18位统一社会信用代码，请以文本格式填写，勿转为数字")
TOWN = Field("town", "所在镇（街道）", "town",
             ("所在镇(街道)", "所在镇街道", "镇街", "镇(街道)", "所属镇街", "乡镇", "镇街道", "所在镇街",
              "所属镇(街道)", "属地", "区域"), choices="towns")
YEAR = Field("year", "年度", "year", ("年份", "认定年度", "认定年份", "批次年度", "所属年度"))
NOTE = Field("note", "备注", "text", ("说明",))

FIRMS = SheetKind(
    "firms", "企业名录", "firms",
    (
        SEQ, FIRM_NAME, USCC, TOWN,
        Field("industry", "所属产业", "industry", ("产业", "行业", "所属行业", "产业类别", "所属产业链"),
              choices="industries"),
        Field("founded_on", "成立日期", "date", ("成立时间", "注册日期", "成立年月", "设立日期")),
        Field("registered_capital", "注册资本（万元）", "decimal",
              ("注册资本", "注册资金", "注册资金(万元)", "注册资本(万元)")),
        Field("legal_representative", "法定代表人", "text", ("法人代表", "法人", "法定代表")),
        Field("contact_person", "联系人", "text", ("企业联系人", "联系人姓名")),
        Field("phone", "联系电话", "phone", ("电话", "联系方式", "手机", "联系人电话", "手机号码")),
        Field("email", "电子邮箱", "text", ("邮箱", "E-mail", "Email")),
        Field("address", "地址", "text", ("企业地址", "注册地址", "通讯地址", "经营地址")),
        Field("above_scale", "是否规上企业", "bool",
              ("规上企业", "规上", "是否规上", "规模以上", "是否规模以上企业"), choices="yesno"),
    ),
    # Any column only a roster has; a list that also carries one is told apart by its
    # words ("名单" in the title beats "名录"-less roster columns, see layout.find_header).
    signature=(frozenset({"founded_on"}), frozenset({"registered_capital"}),
               frozenset({"legal_representative"}), frozenset({"above_scale"}),
               frozenset({"industry"}), frozenset({"contact_person"}), frozenset({"phone"}),
               frozenset({"address"}), frozenset({"email"})),
    sheet_words=("名录", "企业库", "花名册"),
    weak_signature=(frozenset({"name", "uscc", "town"}), frozenset({"name", "uscc", "industry"})),
    unique_key=("uscc",),
)

RECOGNITIONS = SheetKind(
    "recognitions", "认定名单", "recognitions",
    (
        SEQ, FIRM_NAME, USCC, TOWN, YEAR,
        Field("certificate_no", "证书编号", "text", ("证书号", "高企证书编号", "入库登记编号", "登记编号",
                                                   "编号(证书)")),
        Field("issued_on", "发证日期", "date", ("发证时间", "认定日期", "发证年月", "批准日期")),
        Field("batch", "批次", "text", ("认定批次",)),
        Field("programme", "类别", "programme", ("认定类别", "培育类别", "企业类别", "类型")),
        NOTE,
    ),
    signature=(frozenset({"certificate_no"}), frozenset({"issued_on"})),
    sheet_words=("名单", "认定", "高新", "高企", "雏鹰", "瞪羚", "头雁", "科技型中小", "初创"),
    weak_signature=(frozenset({"name"}), frozenset({"uscc"})),
    unique_key=("uscc", "year", "programme"),
)

REVOCATIONS = SheetKind(
    "revocations", "取消资格名单", "recognitions",
    (
        SEQ, FIRM_NAME, USCC, YEAR,
        Field("reason", "取消原因", "text", ("撤销原因", "原因", "取消资格原因", "理由", "处理原因"),
              required=True),
        Field("revoked_on", "取消日期", "date", ("撤销日期", "取消时间", "撤销时间")),
        Field("programme", "类别", "programme", ("认定类别", "培育类别")),
    ),
    signature=(frozenset({"reason"}),),
    sheet_words=("取消", "撤销", "撤消"),
    weak_signature=(frozenset({"name"}), frozenset({"uscc"})),
    unique_key=("uscc", "year", "programme"),
)

INSTITUTIONS = SheetKind(
    "institutions", "研发机构", "institutions",
    (
        SEQ,
        Field("inst_name", "研发机构名称", "text", ("机构名称", "研发中心名称", "研发机构", "名称"),
              required=True),
        Field("level", "级别", "level", ("机构级别", "认定级别", "等级", "现级别"), required=True,
              choices="levels"),
        Field("type", "类型", "text", ("机构类型", "类别", "研发机构类型"), choices="rd_types"),
        FIRM_NAME, USCC, TOWN,
        Field("recognised_year", "认定年份", "year", ("认定年度", "认定时间", "年度", "批准年份")),
        Field("document_no", "文号", "text", ("认定文号", "批准文号")),
    ),
    signature=(frozenset({"inst_name", "level"}),),
    sheet_words=("研发机构", "工程中心", "技术中心"),
    unique_key=("inst_name",),
)

LEVEL_CHANGES = SheetKind(
    "level_changes", "晋级记录", "institutions",
    (
        SEQ,
        Field("inst_name", "研发机构名称", "text", ("机构名称", "研发机构"), required=True),
        Field("from_level", "原级别", "level", ("晋级前级别", "原等级"), choices="levels"),
        Field("to_level", "晋级后级别", "level", ("新级别", "现级别", "晋级级别", "晋升级别"),
              required=True, choices="levels"),
        Field("year", "晋级年份", "year", ("晋级年度", "年份", "年度"), required=True),
        Field("document_no", "文号", "text", ("晋级文号", "批准文号")),
    ),
    signature=(frozenset({"inst_name", "to_level"}),),
    sheet_words=("晋级", "升级"),
)

TEAMS = SheetKind(
    "teams", "科技创新团队", "teams",
    (
        SEQ,
        Field("team_name", "团队名称", "text", ("创新团队名称", "团队"), required=True),
        FIRM_NAME, USCC,
        Field("leader_name", "带头人", "text", ("团队带头人", "负责人", "领军人才", "团队负责人")),
        Field("recognised_year", "认定年份", "year", ("认定年度", "年度", "立项年份")),
        Field("projects_in_progress", "在研项目数", "int", ("在研项目", "在研项目(项)", "项目数")),
        Field("is_ningbo", "是否宁波市级团队", "bool", ("宁波市级", "是否宁波市级", "入选宁波市级"),
              choices="yesno"),
        Field("ningbo_year", "宁波市级入选年份", "year", ("入选宁波市级年份", "宁波市级年份")),
        Field("field", "研究方向", "text", ("技术领域", "领域")),
    ),
    signature=(frozenset({"team_name", "leader_name"}), frozenset({"team_name", "projects_in_progress"}),
               frozenset({"team_name", "is_ningbo"})),
    sheet_words=("团队",),
    unique_key=("team_name",),
)

MEMBERS = SheetKind(
    "members", "团队成员", "teams",
    (
        SEQ,
        Field("team_name", "团队名称", "text", ("所在团队", "团队"), required=True),
        Field("member_name", "姓名", "text", ("成员姓名", "成员"), required=True),
        Field("title", "职称", "text", ("专业技术职称", "技术职称", "职务/职称")),
        Field("role", "角色", "role", ("团队角色", "成员类别", "分工"), choices="roles"),
        Field("education", "学历", "text", ("学位", "最高学历")),
    ),
    signature=(frozenset({"team_name", "member_name"}),),
    sheet_words=("成员",),
    unique_key=("team_name", "member_name"),
)

ANNUAL = SheetKind(
    "annual", "年度数据", "annual",
    (
        SEQ, FIRM_NAME, USCC, YEAR,
        Field("revenue", "营业收入（万元）", "decimal", ("营业收入", "销售收入", "主营业务收入", "营收")),
        Field("rd_expense", "研发费用（万元）", "decimal", ("研发费用", "研发投入", "R&D经费支出", "研发经费")),
        Field("total_cost", "成本费用总额（万元）", "decimal", ("成本费用总额", "总成本")),
        Field("high_tech_revenue", "高新技术产品收入（万元）", "decimal",
              ("高新技术产品收入", "高新技术产品(服务)收入", "高新产品收入")),
        Field("export_value", "出口交货值（万元）", "decimal", ("出口交货值", "出口额")),
        Field("employees", "职工人数", "int", ("从业人员", "员工人数", "职工总数", "从业人员数")),
        Field("rd_staff", "研发人员数", "int", ("研发人员",)),
        Field("tech_staff", "科技人员数", "int", ("科技人员", "科技活动人员")),
        Field("invention_patents", "发明专利", "count", ("发明专利数", "发明专利(件)", "发明")),
        Field("utility_patents", "实用新型", "count", ("实用新型专利", "实用新型专利数")),
        Field("design_patents", "外观设计", "count", ("外观设计专利", "外观专利")),
        Field("software_copyrights", "软件著作权", "count", ("软件著作权数", "软著")),
    ),
    signature=(frozenset({"revenue"}), frozenset({"rd_expense"}), frozenset({"employees", "tech_staff"})),
    sheet_words=("年度数据", "经营", "统计"),
    unique_key=("uscc", "year"),
)

from registry.excel import specs_projects as _projects  # noqa: E402  (uses the fields above)
from registry.excel import specs_finance as _finance  # noqa: E402  (uses the fields above)

SHEET_KINDS: dict[str, SheetKind] = {k.code: k for k in (
    FIRMS, RECOGNITIONS, REVOCATIONS, INSTITUTIONS, LEVEL_CHANGES, TEAMS, MEMBERS, ANNUAL,
    *_projects.KINDS, *_finance.KINDS)}

#: Import kind → its sheet kinds, main sheet first (templates carry each of them).
IMPORT_SHEETS: dict[str, tuple[str, ...]] = {
    "firms": ("firms",),
    "recognitions": ("recognitions", "revocations"),
    "institutions": ("institutions", "level_changes"),
    "teams": ("teams", "members"),
    "annual": ("annual",),
    **_projects.IMPORT_SHEETS,
    **_finance.IMPORT_SHEETS,
}

#: CLI/user spellings of the import kinds.
KIND_ALIASES = {"firms": "firms", "roster": "firms", "名录": "firms",
                "recognitions": "recognitions", "lists": "recognitions", "名单": "recognitions",
                "institutions": "institutions", "研发机构": "institutions",
                "teams": "teams", "团队": "teams", "annual": "annual", "年度数据": "annual",
                **_projects.KIND_ALIASES, **_finance.KIND_ALIASES}

#: Words in a title row or file name that name a programme (checked in this order:
#: 高新技术企业 before the ladder so "高新技术企业" never reads as something else).
PROGRAMME_WORDS: tuple[tuple[str, str], ...] = (
    ("科技型中小企业", "tech_sme"),
    ("高新技术企业", "high_tech"),
    ("高企", "high_tech"),
    ("创新型初创企业", "nb_startup"),
    ("初创企业", "nb_startup"),
    ("雏鹰", "eaglet"),
    ("瞪羚", "gazelle"),
    ("头雁", "lead_goose"),
    # pinyin, as file names are often written (chuying_2016.xlsx); matched in lower case
    ("gaoxin", "high_tech"),
    ("gaoqi", "high_tech"),
    ("hightech", "high_tech"),
    ("chuchuang", "nb_startup"),
    ("chuying", "eaglet"),
    ("dengling", "gazelle"),
    ("touyan", "lead_goose"),
)

#: Chinese names of the programme codes, for "推断为 …" sentences and messages.
PROGRAMME_LABELS: dict[str, str] = {
    "high_tech": "高新技术企业", "tech_sme": "科技型中小企业", "nb_startup": "宁波市创新型初创企业",
    "eaglet": "雏鹰企业", "gazelle": "瞪羚企业", "lead_goose": "头雁企业",
}

#: Sheet kinds whose rows take the sheet's year (from its name, title or the file name)
#: when they have no 年度 column or leave it blank.
YEAR_FROM_CONTEXT = frozenset({"recognitions", "revocations", "annual"}) | _finance.YEAR_FROM_CONTEXT

#: Sheet kinds whose rows name a firm (企业名称 and/or 统一社会信用代码).
FIRM_ROWS = frozenset({"firms", "recognitions", "revocations", "institutions", "teams", "annual"}) \
    | _projects.FIRM_ROWS | _finance.FIRM_ROWS
