"""Flask extensions, created unbound and initialised by the app factory."""
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Deterministic constraint names: migrations can drop them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def _include_name(name, type_, parent_names) -> bool:
    """Autogenerate skips the text-search tables and indexes of migration 0005 (not models)."""
    from registry.firms.search import include_name

    return include_name(name, type_, parent_names)


migrate = Migrate(compare_type=True, render_as_batch=True, include_name=_include_name)
login_manager = LoginManager()
csrf = CSRFProtect()
