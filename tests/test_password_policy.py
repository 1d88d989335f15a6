"""The password policy: its rules, the policy page, history, aging and forced changes."""
import html
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import company, db
from app.errors import UserError
from app.models import AuditEvent, PasswordHistory, ProfilePermission, SecurityProfile, User, utcnow
from app.security.password_policy import PasswordPolicy, check_password
from tests.conftest import TEST_PASSWORD, csrf_token, sign_in

DEFAULT = PasswordPolicy()
STRONG = "lantern orbit velvet cactus"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def events(app, action):
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def set_settings(app, **values):
    with app.app_context(), db.transaction():
        for key, value in values.items():
            company.set_value(key, value)


def change_password(client, current, new):
    return client.post("/account/password", data={
        "csrf_token": csrf_token(client, "/account/password"), "current_password": current,
        "new_password": new, "confirm_password": new})


@pytest.mark.parametrize(("policy", "password", "message"), [
    (DEFAULT, "fourteen chars", "has 14 characters; use at least 15"),
    (DEFAULT, "x" * 10 + STRONG * 10, "use at most 256"),
    (replace(DEFAULT, require_lowercase=True), "LANTERN ORBIT VELVET", "a lower-case letter"),
    (replace(DEFAULT, require_uppercase=True), STRONG, "an upper-case letter"),
    (replace(DEFAULT, require_digit=True), STRONG, "a digit"),
    (replace(DEFAULT, require_symbol=True), "lanternorbitvelvetcactus", "a symbol or space"),
    (replace(DEFAULT, require_digit=True, require_uppercase=True), STRONG, "an upper-case letter and a digit"),
    (DEFAULT, "wanda rides a velvet cactus", "contains your login or name"),
    (DEFAULT, "WANDA rides a velvet cactus", "contains your login or name"),
    (DEFAULT, "my friend winterbottom is tall", "contains your login or name"),
    (DEFAULT, "1qaz2wsx3edc4rfv", "30,000 most common passwords"),
    (DEFAULT, "123456789qwerty", "30,000 most common passwords"),
    (replace(DEFAULT, min_length=8), "password", "30,000 most common passwords"),
    (replace(DEFAULT, min_length=8), "iloveyou", "30,000 most common passwords"),
    (DEFAULT, "abcdefghijklmnopqrstu", "strength 0 of 4"),
    (DEFAULT, "passwordpasswordpassword", "strength 0 of 4"),
])
def test_policy_rejects(app, policy, password, message):
    with app.app_context(), pytest.raises(UserError) as raised:
        check_password(policy, password, login="wanda", name="Wanda Winterbottom")
    assert message in raised.value.message
    assert raised.value.field == "new_password"


@pytest.mark.parametrize(("policy", "password"), [
    (DEFAULT, STRONG),
    (DEFAULT, "x" * 4 + STRONG * 9 + "y" * 9),  # exactly 256 characters
    (DEFAULT, "🦄🌈🍕🎸🚲 sind meine Lieblinge"),
    (DEFAULT, "我的密码是非常安全的吗不是吗对吧"),
    (replace(DEFAULT, min_length=8, reject_common=False), "password"),
    (replace(DEFAULT, reject_personal=False), "wanda rides a velvet cactus"),
    (replace(DEFAULT, require_lowercase=True, require_uppercase=True, require_digit=True, require_symbol=True),
     "Lantern orbit 7 velvet cactus"),
    (replace(DEFAULT, min_strength=0), "abcdefghijklmnopqrstu"),
    # "Ada" is a short name part; it may appear inside ordinary words.
    (DEFAULT, "canada maple syrup forever"),
])
def test_policy_accepts(app, policy, password):
    with app.app_context():
        check_password(policy, password, login="wanda", name="Ada Lovelace-Byron")


def test_policy_defaults_follow_guidance():
    assert (DEFAULT.min_length, DEFAULT.max_length, DEFAULT.history_count) == (15, 256, 5)
    assert not any([DEFAULT.require_lowercase, DEFAULT.require_uppercase, DEFAULT.require_digit,
                    DEFAULT.require_symbol])
    assert DEFAULT.max_age_days == 0
    assert DEFAULT.reject_common
    assert DEFAULT.reject_personal


def test_policy_loads_from_company_settings(app):
    set_settings(app, password_min_length=20, password_require_digit=True)
    with app.app_context():
        policy = PasswordPolicy.load()
    assert policy.min_length == 20
    assert policy.require_digit is True
    assert policy.max_length == 256


@pytest.fixture
def admin(client, make_user):
    user = make_user("ada", "Administrator", name="Ada Admin")
    sign_in(client, "ada")
    return user


def policy_form(**changes):
    data = {"password_min_length": "15", "password_max_length": "256", "password_min_strength": "3",
            "password_history_count": "5", "password_max_age_days": "0", "password_expiry_warning_days": "14",
            "signin_suspend_after": "10", "signin_address_limit": "30", "signin_office_limit": "300",
            "office_networks": "", "password_reject_common": "y", "password_reject_personal": "y"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_policy_page_shows_defaults_and_guidance(client, admin):
    page = text(client.get("/admin/password-policy"))
    assert 'name="password_min_length" type="text" value="15"' in page
    assert "NIST SP 800-63B" in page
    assert "advises against both" in page


def test_policy_page_saves_with_audit(client, admin, app):
    response = client.post("/admin/password-policy", data={
        **policy_form(password_min_length="20", password_require_digit="y", password_reject_common=None,
                      office_networks="192.168.10.0/24\n10.1.0.0/16"),
        "csrf_token": csrf_token(client, "/admin/password-policy")})
    assert response.status_code == 302
    with app.app_context():
        policy = PasswordPolicy.load()
        assert company.get("office_networks") == ["192.168.10.0/24", "10.1.0.0/16"]
    assert (policy.min_length, policy.require_digit, policy.reject_common) == (20, True, False)
    changes = {event.object_id: event.details for event in events(app, "settings.change")}
    assert changes["password_min_length"] == {"before": {"password_min_length": 15},
                                              "after": {"password_min_length": 20}}
    assert changes["password_reject_common"]["after"] == {"password_reject_common": False}
    assert changes["office_networks"]["before"] == {"office_networks": []}
    assert len(changes) == 4


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("password_min_length", "7", "password_min_length: '7' is not a whole number from 8 to 128"),
    ("password_max_length", "100", "password_max_length: '100' is not a whole number from 128 to 1024"),
    ("password_min_length", "200", "password_min_length: '200' is not a whole number from 8 to 128"),
    ("password_history_count", "many", "password_history_count: 'many' is not a whole number"),
    ("signin_suspend_after", "3", "signin_suspend_after: '3' is not a whole number from 4 to 100"),
    ("signin_office_limit", "10", "signin_office_limit: 10 is below the limit of 30"),
    ("office_networks", "10.0.0.300/8", "office_networks: '10.0.0.300/8' is not an address or CIDR range"),
    ("password_max_age_days", "10", "password_expiry_warning_days: 14 days is not shorter than the maximum age"),
])
def test_policy_page_bad_input(client, admin, app, field, value, expected):
    response = client.post("/admin/password-policy", data={
        **policy_form(**{field: value}), "csrf_token": csrf_token(client, "/admin/password-policy")})
    assert response.status_code == 400
    assert expected in text(response)
    assert events(app, "settings.change") == []


def _profile_with(app, name, permission):
    with app.app_context(), db.transaction():
        profile = SecurityProfile(name=name, description=name)
        profile.permissions = [ProfilePermission(permission=permission)]
        db.session.add(profile)


@pytest.mark.parametrize(("permission", "status"), [
    ("settings.manage", 200), ("users.manage", 200), ("time.own", 403),
])
def test_policy_page_permission(client, make_user, app, permission, status):
    _profile_with(app, "Only " + permission, permission)
    make_user("pat", "Only " + permission)
    sign_in(client, "pat")
    assert client.get("/admin/password-policy").status_code == status


def test_change_password_applies_policy(client, make_user, app):
    make_user("wanda", name="Wanda Worker")
    set_settings(app, password_require_digit=True)
    sign_in(client, "wanda")
    response = change_password(client, TEST_PASSWORD, STRONG)
    assert response.status_code == 400
    assert "must also contain a digit" in text(response)
    assert "It must contain a digit." in text(response)
    assert change_password(client, TEST_PASSWORD, STRONG + " 7").status_code == 302
    [event] = events(app, "user.password_change")
    assert "password" not in str(event.details).replace("must_change_password", "")


def test_first_sign_in_change_applies_policy(client, app):
    from app.auth.services import create_user

    with app.app_context(), db.transaction():
        _, one_time = create_user("newbie", "New Person", profiles=["Worker"])
    sign_in(client, "newbie", one_time)
    response = change_password(client, one_time, "1qaz2wsx3edc4rfv")
    assert response.status_code == 400
    assert "30,000 most common passwords" in text(response)
    assert client.get("/").status_code == 302
    assert change_password(client, one_time, STRONG).status_code == 302
    assert client.get("/").status_code == 200


def test_history_refuses_recent_passwords(client, make_user, app):
    make_user("wanda")
    set_settings(app, password_history_count=2)
    sign_in(client, "wanda")
    first, second, third = STRONG, "amber glacier tulip rocket", "silent harbor mango falcon"
    assert change_password(client, TEST_PASSWORD, first).status_code == 302
    assert change_password(client, first, second).status_code == 302
    response = change_password(client, second, first)
    assert response.status_code == 400
    assert "one of your last 2 passwords" in text(response)
    assert change_password(client, second, third).status_code == 302
    # With two remembered, the first password has dropped out of the history.
    assert change_password(client, third, first).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PasswordHistory)) == 2


def test_history_off_keeps_no_hashes(client, make_user, app):
    make_user("wanda")
    set_settings(app, password_history_count=0)
    sign_in(client, "wanda")
    assert change_password(client, TEST_PASSWORD, STRONG).status_code == 302
    assert change_password(client, STRONG, "amber glacier tulip rocket").status_code == 302
    assert change_password(client, "amber glacier tulip rocket", STRONG).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PasswordHistory)) == 0


def _password_age(app, login, days):
    with app.app_context(), db.transaction():
        user = db.session.scalar(select(User).where(User.login == login))
        user.password_changed_at = utcnow() - timedelta(days=days)


@pytest.mark.parametrize(("age_days", "warned", "forced"), [
    (5, False, False),
    (20, True, False),
    (31, False, True),
])
def test_aging_warns_then_forces_change(client, make_user, app, age_days, warned, forced):
    make_user("wanda")
    set_settings(app, password_max_age_days=30, password_expiry_warning_days=14)
    _password_age(app, "wanda", age_days)
    response = sign_in(client, "wanda")
    assert response.status_code == 302
    page = client.get("/", follow_redirects=True)
    assert ("Your password expires in 9 day(s)" in text(page)) is warned
    assert (page.request.path == "/account/password") is forced
    assert len(events(app, "user.password_expired")) == (1 if forced else 0)


def test_aging_off_never_expires(client, make_user, app):
    make_user("wanda")
    _password_age(app, "wanda", 4000)
    sign_in(client, "wanda")
    assert client.get("/").status_code == 200


def test_admin_requires_password_change(client, admin, make_user, app):
    wanda = make_user("wanda")
    other = app.test_client()
    sign_in(other, "wanda")
    response = client.post(f"/admin/users/{wanda.id}/require-password-change",
                           data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert other.get("/").headers["Location"].endswith("/account/password")
    [event] = events(app, "user.require_password_change")
    assert event.details == {"before": {"must_change_password": False}, "after": {"must_change_password": True}}
    again = client.post(f"/admin/users/{wanda.id}/require-password-change", data={"csrf_token": csrf_token(client)})
    assert again.status_code == 409


def test_no_page_or_record_shows_a_password_hash(client, admin, make_user, app):
    wanda = make_user("wanda")
    client.post(f"/admin/users/{wanda.id}/reset-password", data={"csrf_token": csrf_token(client)})
    with app.app_context():
        stored = db.session.scalar(select(User.password_hash).where(User.login == "wanda"))
        details = [event.details for event in db.session.scalars(select(AuditEvent))]
    assert stored[:20] not in text(client.get(f"/admin/users/{wanda.id}/edit"))
    assert stored[:20] not in text(client.get("/admin/users/"))
    assert stored[:20] not in str(details)


def test_change_password_rejects_current(client, make_user):
    make_user("wanda")
    sign_in(client, "wanda")
    assert change_password(client, TEST_PASSWORD, STRONG).status_code == 302
    response = change_password(client, STRONG, STRONG)
    assert response.status_code == 400
    assert "the new password must differ from the current one" in text(response)
    wrong = change_password(client, "not my password at all", "amber glacier tulip rocket")
    assert wrong.status_code == 400
    assert "the current password is wrong" in text(wrong)


def test_wrong_current_password_is_delayed(client, make_user, app, monkeypatch):
    from app.auth import services

    frozen = utcnow()
    monkeypatch.setattr(services, "utcnow", lambda: frozen)
    make_user("wanda")
    sign_in(client, "wanda")
    for _ in range(3):
        assert change_password(client, "not my password at all", STRONG).status_code == 400
    refused = change_password(client, TEST_PASSWORD, STRONG)
    assert refused.status_code == 400
    assert "wait 1 second(s), then try again; the current password was not checked" in text(refused)
    assert len([e for e in events(app, "user.password_change") if e.outcome == "failure"]) == 3
    frozen += timedelta(seconds=2)
    assert change_password(client, TEST_PASSWORD, STRONG).status_code == 302
