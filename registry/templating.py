"""Jinja filters and globals: dates, money and Beijing time shown the Chinese way."""
from __future__ import annotations

from decimal import Decimal

from flask import Flask, current_app

from registry.timeutil import to_local
from registry.vocab import LEVELS, ROLES, TEAM_LEVELS, ZONES


def fmt_date(value) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def fmt_datetime(value) -> str:
    local = to_local(value)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""


def fmt_money(value) -> str:
    """万元 with thousands separators and two decimals; blank for None."""
    if value is None:
        return ""
    return f"{Decimal(value):,.2f}"


def fmt_int(value) -> str:
    return "" if value is None else f"{value:,}"


def install(app: Flask) -> None:
    app.add_template_filter(fmt_date, "date")
    app.add_template_filter(fmt_datetime, "datetime")
    app.add_template_filter(fmt_money, "money")
    app.add_template_filter(fmt_int, "int")

    @app.context_processor
    def globals_():
        return {
            "APP_TITLE": current_app.config["REGISTRY_TITLE"],
            "BUREAU_NAME": current_app.config["BUREAU_NAME"],
            "LEVELS": LEVELS, "ROLES": ROLES, "ZONES": ZONES, "TEAM_LEVELS": TEAM_LEVELS,
        }
