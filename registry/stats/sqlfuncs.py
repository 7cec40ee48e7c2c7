"""Small SQL expressions written once per database, for the statistics' integer arithmetic.

The validity rule is evaluated as whole years (a recognition is in force at the end of
years ``first`` … ``last``), which needs the calendar year of a date and bit shifts. Each
database spells them differently and, measured at 100,000 firms, the portable spellings
are slow: SQLite's ``strftime``/``substr`` cost ~3x a ``CAST(date AS INTEGER)`` (which
reads the leading ``YYYY`` of the stored ``YYYY-MM-DD``), PostgreSQL's ``EXTRACT``
returns ``numeric``. Dates are compared as SQLAlchemy stores them: ISO text on SQLite.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class year_of(FunctionElement):
    """The calendar year of a DATE column, as an integer (NULL stays NULL)."""

    type = Integer()
    inherit_cache = True


@compiles(year_of)
def _year_of(element, compiler, **kw):
    return "CAST(EXTRACT(YEAR FROM %s) AS INTEGER)" % compiler.process(element.clauses, **kw)


@compiles(year_of, "sqlite")
def _year_of_sqlite(element, compiler, **kw):
    return "CAST(%s AS INTEGER)" % compiler.process(element.clauses, **kw)


@compiles(year_of, "postgresql")
def _year_of_pg(element, compiler, **kw):
    return "CAST(date_part('year', %s) AS INTEGER)" % compiler.process(element.clauses, **kw)


@compiles(year_of, "mysql")
@compiles(year_of, "mariadb")
def _year_of_mysql(element, compiler, **kw):
    return "YEAR(%s)" % compiler.process(element.clauses, **kw)


class last_year_end(FunctionElement):
    """The last year whose 31 December falls on or before a DATE: its year, or the year
    before unless it is itself a 31 December (= year of the next day, minus one)."""

    type = Integer()
    inherit_cache = True


@compiles(last_year_end)
def _last_year_end(element, compiler, **kw):
    arg = compiler.process(element.clauses, **kw)
    return ("(CAST(EXTRACT(YEAR FROM %s + INTERVAL '1' DAY) AS INTEGER) - 1)" % arg)


@compiles(last_year_end, "sqlite")
def _last_year_end_sqlite(element, compiler, **kw):
    arg = compiler.process(element.clauses, **kw)
    return "(CAST(%s AS INTEGER) - (%s NOT LIKE '%%-12-31'))" % (arg, arg)


@compiles(last_year_end, "postgresql")
def _last_year_end_pg(element, compiler, **kw):
    arg = compiler.process(element.clauses, **kw)
    return "(CAST(date_part('year', %s + 1) AS INTEGER) - 1)" % arg


@compiles(last_year_end, "mysql")
@compiles(last_year_end, "mariadb")
def _last_year_end_mysql(element, compiler, **kw):
    arg = compiler.process(element.clauses, **kw)
    return "(YEAR(%s + INTERVAL 1 DAY) - 1)" % arg


class greatest(FunctionElement):
    """The larger of non-NULL integers (SQLite's two-argument ``max``)."""

    type = BigInteger()
    inherit_cache = True


@compiles(greatest)
def _greatest(element, compiler, **kw):
    return "GREATEST(%s)" % compiler.process(element.clauses, **kw)


@compiles(greatest, "sqlite")
def _greatest_sqlite(element, compiler, **kw):
    return "max(%s)" % compiler.process(element.clauses, **kw)


class least(FunctionElement):
    """The smaller of non-NULL integers (SQLite's two-argument ``min``)."""

    type = BigInteger()
    inherit_cache = True


@compiles(least)
def _least(element, compiler, **kw):
    return "LEAST(%s)" % compiler.process(element.clauses, **kw)


@compiles(least, "sqlite")
def _least_sqlite(element, compiler, **kw):
    return "min(%s)" % compiler.process(element.clauses, **kw)


class pow2(FunctionElement):
    """2 ** n as a signed 64-bit integer, for 0 ≤ n ≤ 62."""

    type = BigInteger()
    inherit_cache = True


@compiles(pow2)
def _pow2(element, compiler, **kw):
    return "(CAST(1 AS BIGINT) << CAST(%s AS INTEGER))" % compiler.process(element.clauses, **kw)


@compiles(pow2, "sqlite")
def _pow2_sqlite(element, compiler, **kw):
    return "(1 << (%s))" % compiler.process(element.clauses, **kw)


@compiles(pow2, "mysql")
@compiles(pow2, "mariadb")
def _pow2_mysql(element, compiler, **kw):  # << is unsigned there; a negative difference would fail
    return "CAST(1 << (%s) AS SIGNED)" % compiler.process(element.clauses, **kw)


class as_bigint(FunctionElement):
    """An integer SUM as a 64-bit integer (PostgreSQL and MySQL widen SUM to numeric)."""

    type = BigInteger()
    inherit_cache = True


@compiles(as_bigint)
def _as_bigint(element, compiler, **kw):
    return "CAST(%s AS BIGINT)" % compiler.process(element.clauses, **kw)


@compiles(as_bigint, "sqlite")
def _as_bigint_sqlite(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(as_bigint, "mysql")
@compiles(as_bigint, "mariadb")
def _as_bigint_mysql(element, compiler, **kw):
    return "CAST(%s AS SIGNED)" % compiler.process(element.clauses, **kw)
