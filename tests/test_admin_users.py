"""User administration through the web pages: create, edit, disable, reset, profiles and guards."""
import html
import re

import pytest
from sqlalchemy import select

from app import db
from app.models import AuditEvent, SecurityProfile, User
from tests.conftest import csrf_token, sign_in


def post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client)})


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def events(app, action):
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def user_by_login(app, login):
    with app.app_context():
        return db.session.scalar(select(User).where(User.login == login))


def profile_ids(app, *names):
    with app.app_context():
        return [str(db.session.scalar(select(SecurityProfile.id).where(SecurityProfile.name == n))) for n in names]


def user_form(app, **fields):
    data = {"login": "wanda", "name": "Wanda Worker", "email": "wanda@example.com", "timezone": "Europe/Vienna",
            "locale": "de", "currency": "EUR", "default_rate": "85.50", "cost_rate": "40",
            "profiles": profile_ids(app, "Worker")}
    data.update(fields)
    return data


@pytest.fixture
def admin(client, make_user):
    user = make_user("ada", "Administrator", name="Ada Admin")
    sign_in(client, "ada")
    return user


def test_user_create_shows_password_once(client, admin, app):
    response = post(client, "/admin/users/new", user_form(app))
    assert response.status_code == 200
    page = text(response)
    match = re.search(r'<p class="secret">([^<]+)</p>', page)
    assert match
    one_time = match.group(1)
    assert response.headers["Cache-Control"] == "no-store"
    wanda = user_by_login(app, "wanda")
    assert wanda.timezone == "Europe/Vienna"
    assert wanda.locale == "de"
    assert wanda.default_rate_minor == 8550
    assert wanda.cost_rate_minor == 4000
    assert wanda.must_change_password is True
    assert one_time not in client.get(f"/admin/users/{wanda.id}/edit").get_data(as_text=True)
    assert one_time not in str([e.details for e in events(app, "user.create")])
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    sign_in(client, "wanda", one_time)
    assert client.get("/").headers["Location"].endswith("/account/password")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("login", "Has Space", "login 'Has Space' is not valid"),
        ("login", "ada", "login: 'ada' is already taken"),
        ("name", "", "name: a value is required"),
        ("email", "not-an-address", "email: 'not-an-address' is not a valid e-mail address"),
        ("timezone", "Mars/Olympus", "timezone: 'Mars/Olympus' is not a known IANA time zone"),
        ("locale", "xx", "locale: 'xx' is not a supported number format"),
        ("currency", "EURO", "currency: currency 'EURO' is not an ISO 4217 code"),
        ("default_rate", "-10", "default_rate: '-10' is negative"),
        ("default_rate", "85.50", "default_rate: '85.50' is not a valid amount in the German number format"),
        ("default_rate", "1.234", "default_rate: '1.234' is ambiguous"),
        ("cost_rate", "zehn", "cost_rate: 'zehn' is not a valid amount"),
        ("profiles", [], "profiles: no security profile chosen"),
        ("profiles", ["999999"], "profiles: no security profile with id 999999"),
        ("profiles", ["abc"], "profiles: 'abc' is not a valid choice"),
    ],
)
def test_user_create_bad_input(client, make_user, app, field, value, expected):
    make_user("ada", "Administrator", locale="de")
    sign_in(client, "ada")
    data = user_form(app, default_rate="85,50")
    data[field] = value
    response = post(client, "/admin/users/new", data)
    assert response.status_code == 400
    assert expected in text(response)
    assert user_by_login(app, "wanda") is None
    assert len(events(app, "user.create")) == 1  # only the administrator made by the fixture


def test_user_edit_saves_profiles_with_audit(client, admin, make_user, app):
    wanda = make_user("wanda", "Worker", name="Wanda Worker")
    form = client.get(f"/admin/users/{wanda.id}/edit").get_data(as_text=True)
    assert 'value="Wanda Worker"' in form
    data = user_form(app, name="Wanda Manager", locale="en", profiles=profile_ids(app, "Worker", "Project Manager"))
    del data["login"]
    response = post(client, f"/admin/users/{wanda.id}/edit", data)
    assert response.status_code == 302
    changed = user_by_login(app, "wanda")
    assert changed.name == "Wanda Manager"
    [event] = events(app, "user.update")
    assert event.details["before"]["profiles"] == ["Worker"]
    assert event.details["after"]["profiles"] == ["Project Manager", "Worker"]
    assert event.details["before"]["name"] == "Wanda Worker"
    assert event.details["after"]["default_rate_minor"] == 8550


def test_user_edit_ignores_login_field(client, admin, make_user, app):
    wanda = make_user("wanda", "Worker")
    response = post(client, f"/admin/users/{wanda.id}/edit", user_form(app, login="hijack"))
    assert response.status_code == 302
    assert user_by_login(app, "hijack") is None
    assert user_by_login(app, "wanda") is not None


def test_user_edit_bad_input_saves_nothing(client, admin, make_user, app):
    wanda = make_user("wanda", "Worker", name="Wanda Worker")
    response = post(client, f"/admin/users/{wanda.id}/edit", user_form(app, name="Renamed", timezone="Nowhere"))
    assert response.status_code == 400
    assert "timezone: 'Nowhere' is not a known IANA time zone" in text(response)
    assert user_by_login(app, "wanda").name == "Wanda Worker"
    assert events(app, "user.update") == []


def test_admin_cannot_drop_own_user_rights(client, admin, app):
    response = post(client, f"/admin/users/{admin.id}/edit", user_form(app, name="Ada Admin"))
    assert response.status_code == 400
    assert "you cannot take away your own users.manage permission" in text(response)
    assert [p.name for p in user_by_login(app, "ada").profiles] == ["Administrator"]


def test_user_disable_and_enable(client, admin, make_user, app):
    wanda = make_user("wanda", "Worker")
    assert post(client, f"/admin/users/{wanda.id}/disable", {}).status_code == 302
    assert user_by_login(app, "wanda").active is False
    assert "disabled" in client.get(f"/admin/users/{wanda.id}/edit").get_data(as_text=True)
    assert post(client, f"/admin/users/{wanda.id}/disable", {}).status_code == 409
    assert post(client, f"/admin/users/{wanda.id}/enable", {}).status_code == 302
    assert user_by_login(app, "wanda").active is True
    [disabled] = events(app, "user.disable")
    assert disabled.details == {"before": {"active": True}, "after": {"active": False}}
    [enabled] = events(app, "user.enable")
    assert enabled.details == {"before": {"active": False}, "after": {"active": True}}


def test_disabled_user_is_signed_out(client, admin, make_user, app):
    wanda = make_user("wanda", "Worker")
    other = app.test_client()
    sign_in(other, "wanda")
    assert other.get("/").status_code == 200
    post(client, f"/admin/users/{wanda.id}/disable", {})
    assert other.get("/").status_code == 302
    assert sign_in(other, "wanda").status_code == 401


def test_admin_cannot_disable_self(client, admin, app):
    response = post(client, f"/admin/users/{admin.id}/disable", {})
    assert response.status_code == 400
    assert "you cannot disable your own account" in text(response)
    assert user_by_login(app, "ada").active is True
    assert events(app, "user.disable") == []


def test_password_reset_shows_new_password_keeps_suspension(client, admin, make_user, app):
    wanda = make_user("wanda", "Worker")
    with app.app_context(), db.transaction():
        db.session.get(User, wanda.id).suspended = True
    response = post(client, f"/admin/users/{wanda.id}/reset-password", {})
    assert response.status_code == 200
    one_time = re.search(r'<p class="secret">([^<]+)</p>', text(response)).group(1)
    reset = user_by_login(app, "wanda")
    assert reset.suspended is True
    assert reset.must_change_password is True
    assert len(events(app, "user.password_reset")) == 1
    other = app.test_client()
    assert sign_in(other, "wanda", one_time).status_code == 401
    assert post(client, f"/admin/users/{wanda.id}/unlock", {"reason": "confirmed by phone"}).status_code == 302
    assert sign_in(other, "wanda", one_time).status_code == 302


def test_password_reset_of_disabled_user_rejected(client, admin, make_user, app):
    wanda = make_user("wanda", "Worker")
    post(client, f"/admin/users/{wanda.id}/disable", {})
    response = post(client, f"/admin/users/{wanda.id}/reset-password", {})
    assert response.status_code == 409
    assert "enable the account before resetting its password" in text(response)


def test_password_reset_needs_post(client, admin, make_user):
    wanda = make_user("wanda", "Worker")
    assert client.get(f"/admin/users/{wanda.id}/reset-password").status_code == 405


def test_unknown_user_not_found(client, admin):
    assert client.get("/admin/users/999999/edit").status_code == 404
    assert post(client, "/admin/users/999999/disable", {}).status_code == 404


def test_user_list_filters(client, admin, make_user, app):
    make_user("wanda", "Worker", name="Wanda Worker", email="wanda@example.com")
    pia = make_user("pia", "Project Manager", name="Pia Manager")
    post(client, f"/admin/users/{pia.id}/disable", {})
    by_text = client.get("/admin/users/?q=example.com").get_data(as_text=True)
    assert ">wanda</a>" in by_text
    assert ">pia</a>" not in by_text
    disabled = client.get("/admin/users/?state=disabled").get_data(as_text=True)
    assert ">pia</a>" in disabled
    assert ">wanda</a>" not in disabled
    [manager_profile] = profile_ids(app, "Project Manager")
    by_profile = client.get(f"/admin/users/?profile={manager_profile}").get_data(as_text=True)
    assert ">pia</a>" in by_profile
    assert ">ada</a>" not in by_profile
    assert client.get("/admin/users/?state=bogus&profile=x&q=%25_").status_code == 200


def test_user_list_paginates(client, admin, make_user):
    for number in range(51):
        make_user(f"user{number:02d}", "Worker", name=f"User {number:02d}")
    page = client.get("/admin/users/").get_data(as_text=True)
    assert "Page 1 of 2 (52 in all)" in page


def test_profiles_page_lists_permissions(client, admin):
    page = text(client.get("/admin/profiles/"))
    assert "Project Manager" in page
    assert "time.approve</code>: Approve or reject time of managed projects" in page
    assert "Act on all clients, not only the ones looked after" in page


@pytest.mark.parametrize("path", ["/admin/", "/admin/users/", "/admin/users/new", "/admin/profiles/",
                                  "/admin/settings"])
def test_worker_cannot_open_admin(client, make_user, path):
    make_user("wanda", "Worker")
    sign_in(client, "wanda")
    assert client.get(path).status_code == 403


def test_admin_index_links_by_permission(client, admin):
    page = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/users/"' in page
    assert 'href="/admin/settings"' in page


def test_settings_only_admin_sees_only_settings(client, app, make_user):
    nora = make_user("nora", "Worker")
    with app.app_context(), db.transaction():
        from app.models import ProfilePermission

        profile = SecurityProfile(name="Office", description="Keeps the company settings")
        profile.permissions = [ProfilePermission(permission="settings.manage")]
        db.session.add(profile)
        office_user = db.session.get(User, nora.id)
        office_user.profiles.append(profile)
    sign_in(client, "nora")
    page = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/settings"' in page
    assert 'href="/admin/users/"' not in page
    assert client.get("/admin/users/").status_code == 403


def test_rates_hidden_without_rates_permission(client, app, make_user):
    nora = make_user("nora", "Worker", default_rate_minor=9000)
    with app.app_context(), db.transaction():
        from app.models import ProfilePermission

        profile = SecurityProfile(name="People", description="Manages users without seeing rates")
        profile.permissions = [ProfilePermission(permission="users.manage")]
        db.session.add(profile)
        people_user = db.session.get(User, nora.id)
        people_user.profiles.append(profile)
    sign_in(client, "nora")
    wanda = make_user("wanda", "Worker", default_rate_minor=7000)
    form = client.get(f"/admin/users/{wanda.id}/edit").get_data(as_text=True)
    assert "Default hourly rate" not in form
    data = user_form(app, name="Wanda W", locale="en")
    del data["default_rate"], data["cost_rate"]
    assert post(client, f"/admin/users/{wanda.id}/edit", data).status_code == 302
    assert user_by_login(app, "wanda").default_rate_minor == 7000
    response = post(client, f"/admin/users/{wanda.id}/edit", {**data, "currency": "USD"})
    assert response.status_code == 400
    assert "would change the meaning of this person's rates" in text(response)


def test_user_list_query_count_constant(client, admin, make_user, app):
    from tests.factories import count_queries

    with count_queries(app) as few:
        client.get("/admin/users/")
    for number in range(20):
        make_user(f"user{number:02d}", "Worker", "Project Manager")
    with count_queries(app) as many:
        page = client.get("/admin/users/").get_data(as_text=True)
    assert ">user19</a>" in page
    assert few.count > 0
    assert many.count == few.count
