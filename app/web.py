"""The small configure_* steps of the application factory and the per-request hooks."""
from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, flash, g, redirect, render_template, request, url_for
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from app import db, maintenance
from app.config import Settings
from app.errors import UserError
from app.keys import AUDIT_KEY_FILE, PASSWORD_KEY_FILE, TWO_FACTOR_KEY_FILE, read_key
from app.access.guard import enforce_allowed_address, public_terminal_request
from app.security.permissions import check_request_permission

log = logging.getLogger(__name__)

csrf = CSRFProtect()
login_manager = LoginManager()
READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}
# No inline script or style anywhere (templates keep JS and CSS in app/static), and no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# TrackerBox uses none of these browser features, so no page (or injected content) may ask for them.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=()"
)
# Control characters other than tab and line breaks have no place in any text a person
# types; NUL in particular makes PostgreSQL reject the statement.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Passwords are only hashed, never stored or shown, so any character is accepted there.
UNCHECKED_FIELDS = {"password", "current_password", "new_password", "confirm_password"}


class RequestIdFilter(logging.Filter):
    """Adds the request id and user id to every log record made during a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        from flask import has_request_context

        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        user_id = "-"
        if has_request_context() and current_user and current_user.is_authenticated:
            user_id = str(current_user.id)
        record.user_id = user_id
        return True


def configure_logging(app: Flask, settings: Settings) -> None:
    # The backup package logs under "backup", outside the "app" tree, so it gets the same handler.
    for name in ("app", "backup"):
        root = logging.getLogger(name)
        root.setLevel(settings.log_level)
        # The handler below writes every record once; passing them on to the root logger,
        # which waitress and others configure too, would print them twice.
        root.propagate = False
        if not any(getattr(h, "trackerbox", False) for h in root.handlers):
            handler = logging.StreamHandler()
            handler.trackerbox = True  # type: ignore[attr-defined]
            handler.setFormatter(
                logging.Formatter("%(asctime)s %(levelname)s %(name)s [req %(request_id)s user %(user_id)s] %(message)s")
            )
            handler.addFilter(RequestIdFilter())
            root.addHandler(handler)


def configure_database(app: Flask, settings: Settings) -> None:
    engine = db.make_engine(settings.database_url)
    app.extensions["trackerbox_engine"] = engine
    db.bind(engine)


def configure_proxy(app: Flask, settings: Settings) -> None:
    from app.security.client import parse_proxy_networks

    app.extensions["trackerbox_trusted_proxies"] = parse_proxy_networks(settings.trusted_proxy)


def configure_keys(app: Flask, settings: Settings) -> None:
    app.extensions["trackerbox_keys"] = {
        "password": read_key(settings, PASSWORD_KEY_FILE),
        "audit": read_key(settings, AUDIT_KEY_FILE),
        "two_factor": read_key(settings, TWO_FACTOR_KEY_FILE),
    }


class DatabaseIdConverter(IntegerConverter):
    """The ``int`` URL converter, bounded to what an integer column holds.

    Without the bound, an id such as 99999999999 in a URL reaches PostgreSQL and fails
    there with "integer out of range". With it, the URL does not match, so the response is 404.
    """

    def __init__(self, url_map, fixed_digits=0, min=1, max=2**31 - 1, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def configure_url_converters(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseIdConverter


def configure_sessions(app: Flask) -> None:
    """Keep Flask's session in the database (app.security.sessions) instead of a signed cookie."""
    from app.security import stamps  # noqa: F401  (registers the listeners that end revoked sessions)
    from app.security.sessions import COOKIE_NAME, ServerSessionInterface

    app.session_interface = ServerSessionInterface()
    app.config["SESSION_COOKIE_NAME"] = COOKIE_NAME


def configure_extensions(app: Flask) -> None:
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to open that page."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str):
        from app.models import User

        if not user_id.isdigit() or g.get("maintenance"):
            return None
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.is_active else None


def configure_request_hooks(app: Flask) -> None:
    @app.before_request
    def refuse_during_maintenance():
        settings = app.config["TRACKERBOX"]
        if request.endpoint == "static" or not maintenance.is_active(settings):
            return None
        # Pooled connections would keep the database being replaced open.
        g.maintenance = True
        app.extensions["trackerbox_engine"].dispose()
        page = render_template("maintenance.html", reason=maintenance.reason(settings))
        return page, 503, {"Retry-After": "120", "Cache-Control": "no-store"}

    @app.before_request
    def start_request():
        g.request_id = request.headers.get("X-Request-Id", "")[:36] or str(uuid.uuid4())
        g.write_token = db.write_intent.set(request.method not in READ_ONLY_METHODS)
        if request.endpoint == "static" or request.routing_exception is not None:
            return None
        _reject_control_characters()
        check_request_permission(app.view_functions.get(request.endpoint))
        return enforce_allowed_address() or _force_password_change() or _force_two_factor_enrolment()

    @app.after_request
    def finish_transaction(response):
        if response.status_code < 400 or g.get("commit_despite_error"):
            db.session.commit()
        else:
            db.session.rollback()
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        # Static files hold no personal data; skipping them also spares a session lookup per file.
        if request.endpoint != "static" and (current_user.is_authenticated or public_terminal_request()):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.teardown_appcontext
    def release_session(_exc):
        # Outside requests too (CLI, tests), an ended context must not keep a transaction open.
        db.session.remove()

    @app.teardown_request
    def end_session(_exc):
        db.session.remove()
        token = g.pop("write_token", None)
        if token is not None:
            db.write_intent.reset(token)


def _reject_control_characters() -> None:
    """Reject with 400, naming the field, a query or form value that contains a control character."""
    for source in (request.args, request.form):
        for name, value in source.items(multi=True):
            if name not in UNCHECKED_FIELDS and CONTROL_CHARACTERS.search(value):
                log.warning("request rejected: field %s contains a control character", name[:40])
                raise UserError(f"{name[:40]}: the value contains a control character (such as NUL); "
                                "type or paste it again as plain text", field=name)


def _force_password_change():
    allowed = {"auth.change_password", "auth.logout"}
    if current_user.is_authenticated and current_user.must_change_password and request.endpoint not in allowed:
        flash("Choose your own password before you continue.", "info")
        return redirect(url_for("auth.change_password"))
    return None


def _force_two_factor_enrolment():
    """Send a person whose security profile requires a second factor, and who has none, to set one up."""
    from app.two_factor.services import needs_enrolment

    allowed = {"two_factor.setup", "two_factor.start", "two_factor.confirm", "auth.logout"}
    if (current_user.is_authenticated and not current_user.must_change_password
            and request.endpoint not in allowed and needs_enrolment(current_user)):
        flash("Your security profile requires two-factor sign-in. Set it up before you continue.", "info")
        return redirect(url_for("two_factor.setup"))
    return None


def configure_error_handlers(app: Flask) -> None:
    @app.errorhandler(UserError)
    def user_error(exc: UserError):
        db.session.rollback()
        return render_template("error.html", title="Request not carried out", message=exc.message), exc.status_code

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render_template(
            "error.html", title="Form expired", message="The form was too old or incomplete; reload the page and try again."
        ), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code == 401:
            return login_manager.unauthorized()
        limit_mb = app.config["TRACKERBOX"].max_upload_bytes / (1024 * 1024)
        messages = {
            403: "You do not have permission to open this page.",
            404: "The page or object was not found. It may have been removed, or the address is mistyped.",
            405: "This address does not accept that kind of request.",
            413: f"The upload is larger than the limit of {limit_mb:.1f} MiB (max_upload_bytes); "
                 "choose a smaller file or scan the receipt at a lower resolution.",
        }
        message = messages.get(exc.code or 500, exc.description or "")
        return render_template("error.html", title=exc.name, message=message), exc.code

    @app.errorhandler(Exception)
    def internal_error(exc: Exception):
        db.session.rollback()
        log.exception("unhandled error in request %s", g.get("request_id", "-"))
        return render_template(
            "error.html", title="Something went wrong",
            message=f"The request failed and nothing was saved. Reference: {g.get('request_id', '-')}.",
        ), 500


def configure_templates(app: Flask) -> None:
    from app import templating

    templating.register(app)
