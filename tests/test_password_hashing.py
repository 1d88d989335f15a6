"""Password hashing: long and Unicode passwords, the bcrypt cost setting and the upgrade on sign-in."""
import pytest
from sqlalchemy import select

from app import db
from app.config import load_settings
from app.models import AuditEvent, User
from app.security import passwords
from tests.conftest import sign_in

LONG_PASSWORDS = [
    "a" * 128,
    "correct horse battery staple " * 9,
    "ü" * 100,                      # 200 bytes in UTF-8
    "密码" * 40,                     # 240 bytes
    "🦄🌈🍕🎸" * 20,                  # 320 bytes
]


def _key(app) -> bytes:
    return app.extensions["trackerbox_keys"]["password"]


@pytest.mark.parametrize("password", LONG_PASSWORDS)
def test_long_password_verifies(app, password):
    stored = passwords.hash_password(password, _key(app), 4)
    assert passwords.verify_password(password, stored, _key(app))


@pytest.mark.parametrize("prefix", ["x" * 72, "ü" * 36, "密" * 24, "🦄" * 18])
def test_long_passwords_differing_after_byte_72_do_not_match(app, prefix):
    assert len(prefix.encode("utf-8")) == 72
    stored = passwords.hash_password(prefix + "first ending", _key(app), 4)
    assert passwords.verify_password(prefix + "first ending", stored, _key(app))
    assert not passwords.verify_password(prefix + "other ending", stored, _key(app))
    assert not passwords.verify_password(prefix, stored, _key(app))


def test_password_is_case_sensitive(app):
    stored = passwords.hash_password("Correct Horse Battery Staple", _key(app), 4)
    assert not passwords.verify_password("correct horse battery staple", stored, _key(app))


def test_bcrypt_cost_defaults_to_12(tmp_path):
    settings = load_settings({"TRACKERBOX_DATA_DIR": str(tmp_path)})
    assert settings.bcrypt_rounds == 12


def test_new_hash_uses_configured_cost(app):
    from app.auth.services import create_user

    app.config["TRACKERBOX"].bcrypt_rounds = 12
    with app.app_context(), db.transaction():
        user, _ = create_user("ada", "Ada Admin", profiles=["Administrator"])
        assert user.password_hash.startswith("$2b$12$")
    assert passwords.hash_rounds(passwords.hash_password("x", _key(app), 5)) == 5


def test_sign_in_upgrades_hash_when_cost_rises(app, client, make_user):
    make_user("wanda")
    app.config["TRACKERBOX"].bcrypt_rounds = 5
    assert sign_in(client, "wanda").status_code == 302
    with app.app_context():
        stored = db.session.scalar(select(User.password_hash).where(User.login == "wanda"))
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.password_rehash"))
    assert passwords.hash_rounds(stored) == 5
    assert event.details == {"before": {"bcrypt_rounds": 4}, "after": {"bcrypt_rounds": 5}}
    other = app.test_client()
    assert sign_in(other, "wanda").status_code == 302


def test_sign_in_keeps_hash_at_same_cost(app, client, make_user):
    make_user("wanda")
    with app.app_context():
        before = db.session.scalar(select(User.password_hash).where(User.login == "wanda"))
    assert sign_in(client, "wanda").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.password_hash).where(User.login == "wanda")) == before


@pytest.mark.parametrize("password", ["我的密码是非常安全的吗不是吗对吧", "🦄🌈🍕🎸🚲 sind meine Lieblinge", "Ünïcödé påsswörd ßtraße"])
def test_unicode_password_change_and_sign_in(app, client, make_user, password):
    from tests.conftest import TEST_PASSWORD, csrf_token

    make_user("wanda")
    sign_in(client, "wanda")
    response = client.post("/account/password", data={
        "csrf_token": csrf_token(client, "/account/password"), "current_password": TEST_PASSWORD,
        "new_password": password, "confirm_password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    other = app.test_client()
    assert sign_in(other, "wanda", password).status_code == 302
    assert sign_in(app.test_client(), "wanda", password[:-1]).status_code == 401
    if password.swapcase() != password:
        assert sign_in(app.test_client(), "wanda", password.swapcase()).status_code == 401


def test_composed_and_decomposed_accents_match(app):
    composed, decomposed = "caf\u00e9 au lait tous les matins", "cafe\u0301 au lait tous les matins"
    stored = passwords.hash_password(composed, _key(app), 4)
    assert passwords.verify_password(decomposed, stored, _key(app))
    assert not passwords.verify_password("cafe au lait tous les matins", stored, _key(app))


def test_hash_made_before_normalization_still_verifies(app):
    import bcrypt

    decomposed = "cafe\u0301 au lait tous les matins"
    legacy = bcrypt.hashpw(passwords._prehash(decomposed, _key(app)), bcrypt.gensalt(4)).decode("ascii")
    assert passwords.verify_password(decomposed, legacy, _key(app))


def test_hash_upgrade_at_sign_in_keeps_other_sessions(app, make_user):
    """A cost upgrade keeps the same password, so the person's other sessions go on."""
    make_user("wanda")
    first, second = app.test_client(), app.test_client()
    assert sign_in(first, "wanda").status_code == 302
    app.config["TRACKERBOX"].bcrypt_rounds = 5
    assert sign_in(second, "wanda").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "user.password_rehash"))
    assert first.get("/").status_code == 200
    assert second.get("/").status_code == 200
