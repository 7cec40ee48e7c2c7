"""Workbook kinds of the innovation archive's money: vouchers (科技创新券) and loans under
the technology credit pool (科技信贷风险池).

Kept out of ``specs`` (which imports them into SHEET_KINDS / IMPORT_SHEETS). Coded columns
(券种, 状态) are read as text and turned into codes by the planner
(``registry.excel.importer_finance``), which accepts the same words the pages show and
refuses others with the list of valid ones.
"""
from __future__ import annotations

from registry.excel.specs import FIRM_NAME, NOTE, SEQ, USCC, Field, SheetKind

FIRM = Field("name", FIRM_NAME.label, "text", FIRM_NAME.synonyms + (
    "申请企业", "申请单位", "借款企业", "借款人", "贷款企业", "授信企业", "企业名称(借款人)"), help=FIRM_NAME.help)

VOUCHERS = SheetKind(
    "vouchers", "创新券申请", "vouchers",
    (
        SEQ, FIRM, USCC,
        Field("year", "年度", "year", ("申请年度", "年份", "所属年度", "发放年度")),
        Field("provider", "服务机构", "text", ("服务单位", "服务提供机构", "服务机构名称", "合作单位", "服务商",
                                             "创新载体", "服务提供方"), required=True),
        Field("purpose", "券种", "text", ("券种（用途）", "用途", "服务类型", "创新券类型", "申请类别", "服务内容类别"),
              required=True, choices="voucher_purposes", help="技术合作、检验检测、科技咨询、研发设计或其他"),
        Field("requested", "申请金额（万元）", "decimal", ("申请金额", "申请额度", "申请券额", "申领金额"),
              required=True),
        Field("status", "状态", "text", ("审核状态", "办理状态", "审核结果"), choices="voucher_statuses",
              help="已受理、已核发、未通过或已兑付；不填时按核发、兑付金额判断"),
        Field("issued", "核发金额（万元）", "decimal", ("核发金额", "发放金额", "发券金额", "核定金额")),
        Field("issued_on", "核发日期", "date", ("发放日期", "发券日期", "核定日期")),
        Field("redeemed", "兑付金额（万元）", "decimal", ("兑付金额", "兑现金额", "兑付额")),
        Field("redeemed_on", "兑付日期", "date", ("兑现日期",)),
        NOTE,
    ),
    signature=(frozenset({"provider", "requested"}), frozenset({"provider", "purpose"}),
               frozenset({"requested", "issued"})),
    sheet_words=("创新券", "科技券"),
    unique_key=("uscc", "year", "provider", "purpose"),
)

LOANS = SheetKind(
    "loans", "科技信贷", "loans",
    (
        SEQ, FIRM, USCC,
        Field("year", "风险池年度", "year", ("年度", "年份", "贷款年度", "风险池年份"),
              help="不填时按放款日期的年份"),
        Field("bank", "贷款银行", "text", ("银行", "合作银行", "放款银行", "贷款机构", "经办银行"), required=True),
        Field("credit_line", "授信额度（万元）", "decimal", ("授信额度", "授信金额")),
        Field("amount", "贷款金额（万元）", "decimal", ("贷款金额", "放款金额", "借款金额", "贷款额"), required=True),
        Field("loan_on", "放款日期", "date", ("贷款日期", "发放日期", "借款日期", "起始日期", "贷款起始日"),
              required=True),
        Field("due_on", "到期日期", "date", ("到期日", "贷款到期日", "终止日期")),
        Field("status", "状态", "text", ("贷款状态",), choices="loan_statuses",
              help="在贷、逾期或已结清（已结清按到期日记一笔全额还款）；不填为在贷。代偿请在系统中登记"),
        NOTE,
    ),
    signature=(frozenset({"bank", "amount"}), frozenset({"bank", "loan_on"})),
    sheet_words=("信贷", "贷款", "风险池"),
    unique_key=("uscc", "bank", "loan_on"),
)

KINDS = (VOUCHERS, LOANS)
IMPORT_SHEETS = {"vouchers": ("vouchers",), "loans": ("loans",)}
KIND_ALIASES = {"vouchers": "vouchers", "创新券": "vouchers", "科技创新券": "vouchers",
                "loans": "loans", "credit": "loans", "信贷": "loans", "科技信贷": "loans"}
FIRM_ROWS = frozenset({"vouchers", "loans"})
#: A voucher sheet titled "2016年科技创新券发放情况" gives its rows the year.
YEAR_FROM_CONTEXT = frozenset({"vouchers"})
