"""Small builders for test records; every firm gets a valid, unique USCC."""
from __future__ import annotations

import itertools
from datetime import date

from sqlalchemy import select

from registry.auth.models import User
from registry.firms.models import Firm, Industry, Town
from registry.firms.uscc import make_uscc
from registry.recognitions.models import Programme, Recognition

_counter = itertools.count(1)


def next_uscc() -> str:
    """A fresh valid Cixi code: 91330282 + an eight-digit body + both check characters."""
    return make_uscc("91330282", f"{next(_counter) + 10_000_000:08d}")


class Factory:
    def __init__(self, session):
        self.session = session

    def town(self, name="浒山街道") -> Town:
        return self.session.scalar(select(Town).where(Town.name == name))

    def industry(self, name="智能家电") -> Industry:
        return self.session.scalar(select(Industry).where(Industry.name == name))

    def programme(self, code="high_tech") -> Programme:
        return self.session.scalar(select(Programme).where(Programme.code == code))

    def firm(self, name=None, *, town="浒山街道", industry="智能家电", **kw) -> Firm:
        n = next(_counter)
        firm = Firm(uscc=kw.pop("uscc", None) or next_uscc(), name=name or f"慈溪市测试{n}电器有限公司",
                    town=self.town(town) if isinstance(town, str) else town,
                    industry=self.industry(industry) if isinstance(industry, str) else industry,
                    founded_on=kw.pop("founded_on", date(2010, 5, 12)), **kw)
        self.session.add(firm)
        self.session.flush()
        return firm

    def recognition(self, firm, code="high_tech", year=2016, **kw) -> Recognition:
        rec = Recognition(firm=firm, programme=self.programme(code), year=year, **kw)
        self.session.add(rec)
        self.session.flush()
        return rec

    def user(self, role="staff", *, username=None, password="correct-horse-1", firm=None,
             towns=(), **kw) -> User:
        n = next(_counter)
        user = User(username=username or f"{role}{n}", display_name=kw.pop("display_name", f"用户{n}"),
                    role=role, firm=firm, **kw)
        user.towns = [self.town(t) if isinstance(t, str) else t for t in towns]
        user.set_password(password)
        self.session.add(user)
        self.session.flush()
        return user
