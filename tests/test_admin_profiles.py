"""Security profile administration: create, clone, edit, delete, members, the administrator guard and audit."""
from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from app import db
from app.models import AuditEvent, SecurityProfile, User
from tests.conftest import csrf_token, sign_in


def post(client, url, data=None):
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client)})


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def events(app, action):
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def profile(app, name) -> SecurityProfile | None:
    with app.app_context():
        found = db.session.scalar(select(SecurityProfile).where(SecurityProfile.name == name))
        if found is not None:
            found.permission_names  # noqa: B018  (load the permissions before the session ends)
            [user.login for user in found.users]
        return found


def profile_logins(app, login) -> list[str]:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.login == login))
        return sorted(p.name for p in user.profiles)


@pytest.fixture
def admin(client, make_user):
    user = make_user("ada", "Administrator", name="Ada Admin")
    sign_in(client, "ada")
    return user


def test_profile_create_with_permissions(client, admin, app):
    response = post(client, "/admin/profiles/new", {"name": "Auditor", "description": "Reads the trail",
                                                    "permissions": ["audit.read_all", "audit.read_own"]})
    assert response.status_code == 302
    created = profile(app, "Auditor")
    assert created.permission_names == {"audit.read_all", "audit.read_own"}
    assert created.builtin is False
    [event] = events(app, "profile.create")
    assert event.details["after"]["permissions"] == ["audit.read_all", "audit.read_own"]
    assert event.object_id == str(created.id)


@pytest.mark.parametrize(("values", "message"), [
    ({"name": "", "permissions": ["time.own"]}, "name"),
    ({"name": "worker", "permissions": ["time.own"]}, "a security profile named 'worker' already exists"),
    ({"name": "Odd", "permissions": ["time.own", "rockets.launch"]}, "rockets.launch is not a known permission"),
])
def test_profile_create_rejects_bad_values(client, admin, app, values, message):
    response = post(client, "/admin/profiles/new", values)
    assert response.status_code == 400
    assert message in text(response)
    assert events(app, "profile.create") == []


def test_profile_clone_copies_permissions(client, admin, app):
    source = profile(app, "Project Manager")
    response = post(client, f"/admin/profiles/{source.id}/clone", {"name": "Senior PM"})
    assert response.status_code == 302
    copy = profile(app, "Senior PM")
    assert copy.permission_names == source.permission_names
    assert copy.builtin is False


def test_profile_edit_records_before_and_after(client, admin, app):
    worker = profile(app, "Worker")
    response = post(client, f"/admin/profiles/{worker.id}", {
        "name": "Worker", "description": "Logs time only", "permissions": ["time.own", "projects.view"]})
    assert response.status_code == 302
    assert profile(app, "Worker").permission_names == {"time.own", "projects.view"}
    [event] = events(app, "profile.update")
    assert "expenses.own" in event.details["before"]["permissions"]
    assert "expenses.own" not in event.details["after"]["permissions"]
    assert event.details["after"]["description"] == "Logs time only"


def test_profile_edit_applies_to_next_request(client, admin, app, make_user):
    make_user("wanda", "Worker")
    other = app.test_client()
    sign_in(other, "wanda")
    assert other.get("/reports/").status_code == 403
    worker = profile(app, "Worker")
    post(client, f"/admin/profiles/{worker.id}", {
        "name": "Worker", "description": worker.description,
        "permissions": sorted(worker.permission_names | {"reports.view"})})
    assert other.get("/reports/").status_code == 200
    post(client, f"/admin/profiles/{worker.id}", {
        "name": "Worker", "description": worker.description, "permissions": sorted(worker.permission_names)})
    assert other.get("/reports/").status_code == 403


def test_profile_builtin_cannot_be_deleted(client, admin, app):
    worker = profile(app, "Worker")
    response = post(client, f"/admin/profiles/{worker.id}/delete")
    assert response.status_code == 409
    assert "is built in and cannot be deleted" in text(response)
    assert profile(app, "Worker") is not None


def test_profile_with_members_cannot_be_deleted(client, admin, app, make_user):
    post(client, "/admin/profiles/new", {"name": "Temps", "permissions": ["time.own"]})
    temps = profile(app, "Temps")
    make_user("tim", "Temps")
    response = post(client, f"/admin/profiles/{temps.id}/delete")
    assert response.status_code == 409
    assert "still has 1 member(s)" in text(response)
    assert profile(app, "Temps") is not None


def test_profile_delete_empty_profile(client, admin, app):
    post(client, "/admin/profiles/new", {"name": "Temps", "permissions": ["time.own"]})
    temps = profile(app, "Temps")
    response = post(client, f"/admin/profiles/{temps.id}/delete")
    assert response.status_code == 302
    assert profile(app, "Temps") is None
    [event] = events(app, "profile.delete")
    assert event.details["before"]["name"] == "Temps"


def test_profile_member_add_and_remove(client, admin, app, make_user):
    make_user("wanda", "Worker")
    manager = profile(app, "Project Manager")
    response = post(client, f"/admin/profiles/{manager.id}/members", {"login": "Wanda"})
    assert response.status_code == 302
    assert profile_logins(app, "wanda") == ["Project Manager", "Worker"]
    wanda_id = [u for u in profile(app, "Project Manager").users if u.login == "wanda"][0].id
    response = post(client, f"/admin/profiles/{manager.id}/members/{wanda_id}/remove")
    assert response.status_code == 302
    assert profile_logins(app, "wanda") == ["Worker"]
    [added] = events(app, "profile.member_add")
    [removed] = events(app, "profile.member_remove")
    assert added.details["login"] == "wanda"
    assert added.details["after"]["profiles"] == ["Project Manager", "Worker"]
    assert removed.details["before"]["profiles"] == ["Project Manager", "Worker"]


def test_profile_member_add_unknown_login(client, admin, app):
    worker = profile(app, "Worker")
    response = post(client, f"/admin/profiles/{worker.id}/members", {"login": "nobody"})
    assert response.status_code == 400
    assert "no user with the login 'nobody'" in text(response)


def test_profile_member_remove_last_profile_rejected(client, admin, app, make_user):
    wanda = make_user("wanda", "Worker")
    worker = profile(app, "Worker")
    response = post(client, f"/admin/profiles/{worker.id}/members/{wanda.id}/remove")
    assert response.status_code == 400
    assert "is the only profile of user 'wanda'" in text(response)
    assert profile_logins(app, "wanda") == ["Worker"]


def test_guard_rejects_removing_last_administrator(client, admin, app, make_user):
    administrator = profile(app, "Administrator")
    post(client, "/admin/profiles/new", {"name": "Helpers", "permissions": ["time.own"]})
    helpers = profile(app, "Helpers")
    post(client, f"/admin/profiles/{helpers.id}/members", {"login": "ada"})
    response = post(client, f"/admin/profiles/{administrator.id}/members/{admin.id}/remove")
    assert response.status_code == 400
    assert "would leave no active user with both users.manage and profiles.manage" in text(response)
    assert profile_logins(app, "ada") == ["Administrator", "Helpers"]
    assert events(app, "profile.member_remove") == []


def test_guard_rejects_dropping_admin_permission(client, admin, app):
    administrator = profile(app, "Administrator")
    kept = sorted(administrator.permission_names - {"profiles.manage"})
    response = post(client, f"/admin/profiles/{administrator.id}",
                    {"name": "Administrator", "description": administrator.description, "permissions": kept})
    assert response.status_code == 400
    assert "would leave no active user with both users.manage and profiles.manage" in text(response)
    assert "profiles.manage" in profile(app, "Administrator").permission_names
    assert events(app, "profile.update") == []


def test_guard_allows_change_when_another_admin_remains(client, admin, app, make_user):
    make_user("bea", "Administrator")
    administrator = profile(app, "Administrator")
    post(client, "/admin/profiles/new", {"name": "Helpers", "permissions": ["time.own"]})
    post(client, f"/admin/profiles/{profile(app, 'Helpers').id}/members", {"login": "ada"})
    response = post(client, f"/admin/profiles/{administrator.id}/members/{admin.id}/remove")
    assert response.status_code == 302
    assert profile_logins(app, "ada") == ["Helpers"]


def test_guard_rejects_disabling_other_last_admin(client, app, make_user):
    """A user manager without profiles.manage cannot disable the only full administrator."""
    make_user("ada", "Administrator")
    with app.app_context(), db.transaction():
        from app.models import ProfilePermission

        people = SecurityProfile(name="People", permissions=[ProfilePermission(permission="users.manage")])
        db.session.add(people)
    make_user("pat", "People")
    sign_in(client, "pat")
    with app.app_context():
        ada_id = db.session.scalar(select(User.id).where(User.login == "ada"))
    response = post(client, f"/admin/users/{ada_id}/disable")
    assert response.status_code == 400
    assert "disabling user 'ada' would leave no active user" in text(response)
    with app.app_context():
        assert db.session.get(User, ada_id).active is True


def test_profile_pages_need_profiles_manage(client, app, make_user):
    make_user("wanda", "Worker")
    sign_in(client, "wanda")
    worker = profile(app, "Worker")
    assert client.get("/admin/profiles/new").status_code == 403
    assert client.get(f"/admin/profiles/{worker.id}").status_code == 403
    assert post(client, f"/admin/profiles/{worker.id}/delete").status_code == 403
    assert profile(app, "Worker") is not None


def test_profile_edit_page_lists_members(client, admin, app, make_user):
    make_user("wanda", "Worker", name="Wanda Worker")
    worker = profile(app, "Worker")
    page = text(client.get(f"/admin/profiles/{worker.id}"))
    assert "Wanda Worker" in page
    assert "Members (1)" in page
    assert "Built-in profiles cannot be deleted." in page
