"""The innovation cultivation registry (创新型企业培育库): the Flask application factory."""
from __future__ import annotations

from flask import Flask

from config import ProductionConfig, default_database_url, instance_secret_key, select_config


def create_app(config=None) -> Flask:
    """Build the app. ``config`` is a config class, or a mapping of overrides, or None."""
    app = Flask(__name__, template_folder="../templates")
    configure(app, config)
    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_error_handlers(app)
    register_security(app)
    register_cli(app)
    register_worker_header(app)
    return app


def configure(app: Flask, config) -> None:
    base = config if isinstance(config, type) else select_config()
    app.config.from_object(base)
    if isinstance(config, dict):
        app.config.update(config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = default_database_url()
    if base is ProductionConfig or app.config.get("ENV_NAME") == "production":
        ProductionConfig.check(app.config)
    elif not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key()


def register_extensions(app: Flask) -> None:
    from registry.extensions import csrf, db, login_manager, migrate
    from registry import models  # noqa: F401  (every table known to Alembic)
    from registry.db_events import install_engine_events

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    with app.app_context():
        install_engine_events(db.engine)
    from registry.recognitions import holdings

    holdings.install()  # session hooks: programme holdings follow every ORM write


#: Areas with a blueprint, in the order their routes are matched (one name per area:
#: package = blueprint = template folder = URL prefix).
AREAS = ("main", "auth", "firms", "recognitions", "institutions", "teams", "lists", "stats",
         "excel", "audit", "portal", "projects", "awards", "vouchers", "credit")


def register_blueprints(app: Flask) -> None:
    from importlib import import_module

    for area in AREAS:
        module = import_module("registry.main" if area == "main" else f"registry.{area}.views")
        app.register_blueprint(module.bp)


def register_template_helpers(app: Flask) -> None:
    from registry.templating import install

    install(app)


def register_error_handlers(app: Flask) -> None:
    from registry.errors import register_error_handlers as install

    install(app)


def register_security(app: Flask) -> None:
    from registry.security import install

    install(app)


def register_worker_header(app: Flask) -> None:
    """With WORKER_PID_HEADER set (tests of multi-worker serving), every response names
    the process that served it in X-Worker-Pid."""
    if not app.config.get("WORKER_PID_HEADER"):
        return
    import os

    @app.after_request
    def _worker_pid(response):
        response.headers["X-Worker-Pid"] = str(os.getpid())
        return response


def register_cli(app: Flask) -> None:
    from registry.auth.cli import users_cli
    from registry.demo.cli import demo_command
    from registry.excel.blank_templates import excel_cli
    from registry.excel.cli import import_command

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(excel_cli)
    app.cli.add_command(import_command)
    from registry.jobs.cli import jobs_cli

    app.cli.add_command(jobs_cli)
    from registry.stats.cli import commands as stats_commands

    for command in stats_commands:
        app.cli.add_command(command)
    from registry.maintenance.cli import commands as maintenance_commands

    for command in maintenance_commands:
        app.cli.add_command(command)
