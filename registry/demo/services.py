"""Synthetic demo dataset (placeholder until the generator lands)."""
from sqlalchemy import select

from registry.extensions import db
from registry.firms.models import Firm


def database_is_empty() -> bool:
    return db.session.scalar(select(Firm.id).limit(1)) is None


def load_demo(seed: int = 2016) -> dict:
    raise RuntimeError("demo generator not written yet")
