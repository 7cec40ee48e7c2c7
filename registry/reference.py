"""Reference data lookups shared by every area (towns, industries, programmes)."""
from __future__ import annotations

from sqlalchemy import select

from registry.extensions import db
from registry.firms.models import Industry, Town
from registry.recognitions.models import Programme


def towns() -> list[Town]:
    return list(db.session.scalars(select(Town).order_by(Town.sort_order, Town.id)))


def industries() -> list[Industry]:
    return list(db.session.scalars(select(Industry).order_by(Industry.sort_order, Industry.id)))


def programmes() -> list[Programme]:
    return list(db.session.scalars(select(Programme).order_by(Programme.sort_order, Programme.id)))
