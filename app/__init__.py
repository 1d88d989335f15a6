"""TrackerBox: the Flask application factory."""
from __future__ import annotations

import logging

from flask import Flask

from app.config import ConfigError, Settings, load_settings, secret_key_problem

__version__ = "0.1.0"

BLUEPRINT_MODULES = (
    "app.auth.views",
    "app.dashboard.views",
    "app.admin.views",
    "app.projects.views",
    "app.timesheets.views",
    "app.expenses.views",
    "app.invoices.views",
    "app.payments.views",
    "app.reports.views",
    "app.imports.views",
    "app.exports.views",
    "app.audit.views",
    "app.api.views",
    "app.backups.views",
)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the application; refuses to start without a strong secret key and key files."""
    settings = settings or load_settings()
    problem = secret_key_problem(settings.secret_key)
    if problem:
        raise ConfigError(problem)

    app = Flask(__name__, instance_path=str(settings.data_dir))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TRACKERBOX=settings,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="trackerbox_session",
        WTF_CSRF_TIME_LIMIT=None,
        TEMPLATES_AUTO_RELOAD=False,
    )
    from app import web

    web.configure_logging(app, settings)
    web.configure_url_converters(app)
    web.configure_database(app, settings)
    web.configure_keys(app, settings)
    web.configure_proxy(app, settings)
    web.configure_extensions(app)
    web.configure_request_hooks(app)
    web.configure_error_handlers(app)
    web.configure_templates(app)
    _register_blueprints(app)
    logging.getLogger(__name__).info("TrackerBox %s configured with data directory %s", __version__, settings.data_dir)
    return app


def _register_blueprints(app: Flask) -> None:
    import importlib

    for module_name in BLUEPRINT_MODULES:
        module = importlib.import_module(module_name)
        app.register_blueprint(module.bp)
