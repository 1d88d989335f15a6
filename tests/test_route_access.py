"""Route-by-profile access matrix: each built-in profile reaches exactly the GET routes its permissions allow."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app import db
from app.models import AuditEvent
from app.security.permissions import AUTHENTICATED, BUILTIN_PROFILES, PUBLIC, Permission, declared_permissions
from tests.conftest import sign_in
from tests.routes import app_rules, rule_url


def _allowed(view, granted: set[Permission]) -> bool:
    declared = declared_permissions(view)
    if declared == PUBLIC:
        return True
    any_of = getattr(view, "any_of_permissions", None)
    if declared == AUTHENTICATED:
        return any_of is None or any(permission in granted for permission in any_of)
    return all(permission in granted for permission in declared)


@pytest.mark.parametrize("profile_name", list(BUILTIN_PROFILES))
def test_get_routes_follow_profile_permissions(app, client, make_user, profile_name):
    make_user("probe", profile_name)
    sign_in(client, "probe")
    granted = BUILTIN_PROFILES[profile_name][1]
    wrong = []
    for rule in app_rules(app, "GET"):
        url = rule_url(app, rule)
        status = client.get(url).status_code
        expected_allowed = _allowed(app.view_functions[rule.endpoint], granted)
        if status >= 500 or (status == 403) == expected_allowed:
            wrong.append(f"{url}: {status} (allowed: {expected_allowed})")
    assert wrong == []


def test_get_routes_redirect_anonymous_to_login(app, client):
    wrong = []
    for rule in app_rules(app, "GET"):
        if declared_permissions(app.view_functions[rule.endpoint]) == PUBLIC:
            continue
        url = rule_url(app, rule)
        response = client.get(url)
        if response.status_code != 302 or not response.headers["Location"].startswith("/login"):
            wrong.append(f"{url}: {response.status_code}")
    assert wrong == []


def test_refusal_is_audited_despite_403(app, client, make_user):
    worker = make_user("wanda", "Worker")
    sign_in(client, "wanda")
    assert client.get("/reports/").status_code == 403
    assert client.get("/admin/").status_code == 403
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied")
                                         .order_by(AuditEvent.id)))
    assert [event.object_id for event in events] == ["reports.index", "admin.index"]
    assert all(event.outcome == "failure" for event in events)
    assert all(event.user_id == worker.id for event in events)
    assert events[0].details["missing"] == ["reports.view"]
    assert events[0].details["path"] == "/reports/"
    assert events[0].profiles == "Worker"
    assert events[1].details["any_of"] == ["users.manage", "settings.manage", "profiles.manage", "backup.manage",
                                           "sessions.manage"]


@pytest.mark.sqlite_only
def test_refusal_audited_after_concurrent_write(app, client, make_user, monkeypatch):
    """A refused GET still gets its audit record when another connection wrote after the request began reading."""
    from sqlalchemy import text

    from app.models import User

    make_user("wanda", "Worker")
    sign_in(client, "wanda")
    original_can = User.can
    writes = []

    def can_after_other_write(user, permission):
        # Runs inside the permission check, after the request's read transaction began; writes once.
        if not writes:
            with app.extensions["trackerbox_engine"].begin() as other:
                other.execute(text("UPDATE users SET name = 'Changed elsewhere' WHERE login = 'wanda'"))
            writes.append(permission)
        return original_can(user, permission)

    monkeypatch.setattr(User, "can", can_after_other_write)
    assert client.get("/reports/").status_code == 403
    with app.app_context():
        denied = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "access.denied"))
    assert denied is not None
    assert denied.object_id == "reports.index"
