"""Demo 科技创新券 and 科技信贷 for 2014–2016, drawn from the run's RNG.

Shaped on the bureau's 2016 report ("全年受理26家企业申请 … 授信科技企业8家，累计发放贷款
2460万元"): 26 applicant firms and eight borrowers in 2016, fewer in earlier years. Every
row passes the rules the services apply: vouchers are issued in order until the year's
budget would be passed (the rest are 未通过), borrowers hold a 高新技术企业 or 科技型中小企业
recognition valid on the loan date, each firm stays under the per-firm cap, and the one
compensated loan is compensated at the pool's rate of its outstanding principal. Nothing
reads the clock: loans due by the end of 2016 are repaid on their due date.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from registry.credit.models import CreditEvent, CreditLoan, CreditPool
from registry.demo.base import LAST_YEAR, Demo, day_in, money
from registry.extensions import db
from registry.vouchers.models import VoucherApplication, VoucherBudget

YEARS = (2014, 2015, 2016)
#: year → (budget 万元, applicant firms)
VOUCHER_YEARS = {2014: (150, 15), 2015: (200, 20), 2016: (250, 26)}
PROVIDERS = ("宁波大学", "中国计量大学", "浙江大学宁波理工学院", "中科院宁波材料技术与工程研究所",
             "宁波市产品质量监督检验研究院", "慈溪市检验检测中心", "浙江清华长三角研究院", "宁波诺丁汉大学",
             "杭州湾汽车研究院", "宁波工程学院")
PURPOSES = {"cooperation": 4, "testing": 4, "consulting": 2, "design": 2, "other": 1}
#: year → (pool size 万元, loan amounts 万元); 2016's add up to the report's 2460
CREDIT_YEARS = {2014: (1000, (300, 200, 150, 100, 250)), 2015: (1500, (400, 300, 250, 200, 150, 300)),
                2016: (2000, (500, 400, 350, 300, 300, 250, 200, 160))}
BANKS = ("中国银行慈溪分行", "中国工商银行慈溪支行", "中国农业银行慈溪支行", "中国建设银行慈溪支行",
         "宁波银行慈溪支行", "慈溪农村商业银行", "浙商银行慈溪支行")
RULES = {"max_loan": Decimal("500"), "rate": Decimal("40"), "programmes": ["high_tech", "tech_sme"]}


def _eligible(recognitions, day: date) -> list:
    """Plans holding a recognition of the pool's programmes valid on ``day`` (sorted: stable)."""
    firms = {rec.firm for rec in recognitions
             if rec.programme.code in RULES["programmes"] and rec.is_valid_on(day)}
    return sorted(firms, key=lambda f: f.uscc)


def make_vouchers(demo: Demo) -> tuple[list, list]:
    rng = demo.rng
    budgets, apps = [], []
    alive = [p for p in demo.plans if p.alive(2014)]
    for year, (amount, firms) in VOUCHER_YEARS.items():
        if db.session.get(VoucherBudget, year) is not None:
            continue  # ``flask demo --force`` appends: that year's budget is spent already
        budget = VoucherBudget(year=year, amount=money(amount), note=f"{year}年度科技创新券预算")
        budgets.append(budget)
        issued = Decimal(0)
        chosen = demo.pick([p for p in alive if p.alive(year)], firms, weight=lambda p: 3.0 if p.busy else 1.0)
        for plan in chosen:
            for _ in range(1 if rng.random() < 0.85 else 2):
                requested = money(rng.choice((2, 3, 5, 6, 8, 10, 12, 15, 20)))
                app = VoucherApplication(firm=plan.firm, year=year, provider=rng.choice(PROVIDERS),
                                         purpose=rng.choices(list(PURPOSES), weights=list(PURPOSES.values()))[0],
                                         requested=requested, status="submitted")
                apps.append(app)
                if year == LAST_YEAR and rng.random() < 0.1:
                    continue  # still awaiting review at the end of the demo's last year
                grant = requested if rng.random() < 0.7 else money(float(requested) * 0.8)
                if rng.random() < 0.08 or issued + grant > budget.amount:
                    app.status, app.review_comment = "rejected", rng.choice(
                        ("服务内容不属于创新券支持范围", "年度预算已用完", "申请材料不全，逾期未补正"))
                    continue
                issued += grant
                app.status, app.issued = "approved", grant
                app.issued_on = day_in(rng, year, 3, 9)
                if rng.random() < (0.9 if year < LAST_YEAR else 0.55):
                    app.status, app.redeemed = "redeemed", grant if rng.random() < 0.8 else money(float(grant) * 0.9)
                    app.redeemed_on = min(app.issued_on + timedelta(days=rng.randint(30, 90)), date(year, 12, 28))
    return budgets, apps


def make_credit(demo: Demo, recognitions) -> tuple[list, list]:
    rng = demo.rng
    pools, loans = [], []
    compensated = False
    for year, (size, amounts) in CREDIT_YEARS.items():
        if db.session.get(CreditPool, year) is not None:
            continue  # appending to an earlier demo: keep its pool and its loans
        pool = CreditPool(year=year, size=money(size), max_loan=RULES["max_loan"], compensation_rate=RULES["rate"],
                          eligible_programmes=list(RULES["programmes"]), note="市财政出资设立，合作银行按比例放大授信")
        pools.append(pool)
        amounts = list(amounts)
        rng.shuffle(amounts)
        day = date(year, 3, 1)
        chosen = demo.pick(_eligible(recognitions, day), len(amounts))
        for firm, amount in zip(chosen, amounts):
            loan_on = day + timedelta(days=rng.randint(0, 240))
            due_on = loan_on.replace(year=loan_on.year + 1) - timedelta(days=1)  # never 29 Feb: from 1 March
            amount = money(amount)
            loan = CreditLoan(firm=firm, pool=pool, pool_year=year, bank=rng.choice(BANKS),
                              credit_line=money(float(amount) * rng.choice((1, 1, 1.2, 1.5))), amount=amount,
                              loan_on=loan_on, due_on=due_on, status="outstanding")
            loans.append(loan)
            if due_on > date(LAST_YEAR, 12, 31):
                continue
            if not compensated and year == 2015:
                compensated = True  # one default: part repaid, then 40 % of the rest compensated
                part = money(float(amount) / 4)
                rest = amount - part
                loan.events.append(CreditEvent(kind="repayment", occurred_on=loan_on + timedelta(days=180),
                                               amount=part, note="按期归还部分本金"))
                loan.events.append(CreditEvent(kind="compensation", occurred_on=due_on + timedelta(days=60),
                                               amount=(rest * RULES["rate"] / 100).quantize(Decimal("0.01")),
                                               note="企业经营困难逾期，风险池按40%代偿"))
                loan.status, loan.note = "compensated", "逾期：到期未能归还"
                continue
            loan.events.append(CreditEvent(kind="repayment", occurred_on=due_on, amount=amount, note="到期结清"))
            loan.status = "repaid"
    return pools, loans
