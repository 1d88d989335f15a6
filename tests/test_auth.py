from sqlalchemy import select

from app import db
from app.models import AuditEvent, User
from tests.conftest import TEST_PASSWORD, csrf_token, sign_in


def _events(app, action):
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_login_with_right_password_opens_dashboard(client, make_user, app):
    make_user("wanda", "Worker", name="Wanda Worker")
    response = sign_in(client, "wanda")
    assert response.status_code == 302
    page = client.get("/")
    assert "Hello, Wanda Worker" in page.get_data(as_text=True)
    assert len(_events(app, "auth.login")) == 1


def test_login_with_wrong_password_is_refused_and_audited(client, make_user, app):
    make_user("wanda")
    response = sign_in(client, "wanda", "not the password at all")
    assert response.status_code == 401
    assert "Sign-in failed" in response.get_data(as_text=True)
    failures = _events(app, "auth.login_failed")
    assert [e.login for e in failures] == ["wanda"]
    with app.app_context():
        assert db.session.scalar(select(User.failed_logins).where(User.login == "wanda")) == 1


def test_login_unknown_user_gives_same_message(client, app):
    response = sign_in(client, "nobody", "whatever password")
    assert response.status_code == 401
    assert "Sign-in failed: the login or password is wrong" in response.get_data(as_text=True)
    assert _events(app, "auth.login_failed")[0].details == {"reason": "unknown login"}


def test_one_time_password_forces_change(client, app):
    from app.auth.services import create_user

    with app.app_context(), db.transaction():
        _, one_time = create_user("newbie", "New Person", profiles=["Worker"])
    sign_in(client, "newbie", one_time)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/password")
    token = csrf_token(client, "/account/password")
    new_password = "a much longer passphrase 2026"
    response = client.post("/account/password", data={
        "csrf_token": token, "current_password": one_time, "new_password": new_password,
        "confirm_password": new_password,
    })
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_password_longer_than_bcrypt_limit_works(app):
    from app.security.passwords import hash_password, verify_password

    key = app.extensions["trackerbox_keys"]["password"]
    long_password = "ü" * 100
    stored = hash_password(long_password, key, 4)
    assert verify_password(long_password, stored, key)
    assert not verify_password("ü" * 99 + "u", stored, key)


def test_next_parameter_only_accepts_local_paths(client, make_user):
    make_user("wanda")
    token = csrf_token(client, "/login")
    response = client.post("/login?next=https://evil.example/", data={
        "login": "wanda", "password": TEST_PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_logout_requires_post_and_ends_session(client, make_user, app):
    make_user("wanda")
    sign_in(client, "wanda")
    assert client.get("/logout").status_code == 405
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert client.get("/").status_code == 302
    assert len(_events(app, "auth.logout")) == 1


def test_preferences_change_own_zone_and_locale(client, make_user, app):
    make_user("wanda", timezone="UTC")
    sign_in(client, "wanda")
    token = csrf_token(client, "/account/preferences")
    response = client.post("/account/preferences", data={"csrf_token": token, "timezone": "Europe/Vienna",
                                                          "locale": "de"})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.login == "wanda"))
        assert (user.timezone, user.locale) == ("Europe/Vienna", "de")
    assert _events(app, "user.preferences")[0].details["before"] == {"timezone": "UTC", "locale": "en"}


def test_preferences_reject_unknown_zone(client, make_user, app):
    make_user("wanda", timezone="UTC")
    sign_in(client, "wanda")
    token = csrf_token(client, "/account/preferences")
    response = client.post("/account/preferences", data={"csrf_token": token, "timezone": "Mars/Olympus",
                                                          "locale": "en"})
    assert response.status_code == 400
    assert "&#39;Mars/Olympus&#39; is not a known IANA time zone" in response.get_data(as_text=True)


def test_one_time_password_avoids_lookalikes():
    from app.security.passwords import generate_one_time_password

    for _ in range(50):
        password = generate_one_time_password()
        assert len(password) == 23
        assert not set(password) & set("0O1lI5S")
