"""TOTP second factor: enrolment, the code step of signing in, recovery codes, turning off and resets."""
from __future__ import annotations

import html
import json
import logging
import re

import pyotp
import pytest
from sqlalchemy import select, text

from app import db
from app.models import AuditEvent, RecoveryCode, SecurityProfile, User, UserTotp
from app.security.sessions import COOKIE_NAME
from app.two_factor import codes
from tests.conftest import TEST_PASSWORD, csrf_token, sign_in

# A fixed instant 10 seconds into a 30-second step, so no test straddles a step change.
START = 1_800_000_010.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def code(self, secret: str, steps: int = 0) -> str:
        """Return the code an authenticator app shows ``steps`` time steps from now."""
        return pyotp.TOTP(secret).at(self.now + steps * codes.STEP_SECONDS)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fixed = Clock()
    monkeypatch.setattr(codes, "now_unix", lambda: fixed.now)
    return fixed


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def post(client, url, data, *, token_from="/login"):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, token_from)})


def events(app, action):
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def totp_row(app, login):
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.login == login))
        return db.session.get(UserTotp, user_id)


def start_enrolment(client) -> str:
    """Press Set up and return the secret the page shows."""
    post(client, "/account/two-factor/start", {}, token_from="/account/two-factor")
    setup_page = page(client.get("/account/two-factor"))
    match = re.search(r'<code class="totp-secret">([A-Z2-7 ]+)</code>', setup_page)
    assert match, "no secret on the set-up page"
    return match.group(1).replace(" ", "")


def enrol(client, clock) -> tuple[str, list[str]]:
    """Set up the second factor of the signed-in person; return the secret and the recovery codes."""
    secret = start_enrolment(client)
    response = post(client, "/account/two-factor/confirm", {"code": clock.code(secret)},
                    token_from="/account/two-factor")
    assert response.status_code == 200, page(response)
    recovery = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page(response))
    assert len(recovery) == codes.RECOVERY_CODE_COUNT
    return secret, recovery


def sign_out(client):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})


def submit_code(client, code):
    return post(client, "/login/verify", {"code": code}, token_from="/login")


@pytest.fixture
def enrolled(client, make_user, clock):
    """Wanda, a worker with the second factor on, signed out; returns (secret, recovery codes)."""
    make_user("wanda", "Worker", name="Wanda Worker")
    sign_in(client, "wanda")
    secret, recovery = enrol(client, clock)
    sign_out(client)
    # Three steps on, so that no code within two steps back is the one enrolment used.
    clock.now += 3 * codes.STEP_SECONDS
    return secret, recovery


def signed_in_as(client) -> str | None:
    response = client.get("/")
    if response.status_code != 200:
        return None
    match = re.search(r'<div class="account">\s*<span>([^<]+)</span>', page(response))
    return match.group(1) if match else None


# Enrolment


def test_enrolment_page_shows_secret_and_qr_code(client, make_user, clock):
    make_user("wanda")
    sign_in(client, "wanda")
    secret = start_enrolment(client)
    setup_page = page(client.get("/account/two-factor"))
    assert len(secret) == 32
    assert 'src="data:image/svg+xml' in setup_page
    assert "<script" not in setup_page.split("</head>")[1]
    assert client.get("/account/two-factor").headers["Cache-Control"] == "no-store"


def test_enrolment_with_app_code_switches_on(client, make_user, app, clock):
    make_user("wanda")
    sign_in(client, "wanda")
    secret, recovery = enrol(client, clock)
    row = totp_row(app, "wanda")
    assert row.enabled
    assert row.last_step == int(clock.now) // 30
    assert len(set(recovery)) == 10
    assert all(re.fullmatch(r"[a-z0-9]{5}-[a-z0-9]{5}", code) for code in recovery)
    assert [event.details for event in events(app, "auth.totp_enabled")] == [{"recovery_codes": 10}]
    assert "<strong>On.</strong>" in page(client.get("/account/two-factor"))


def test_enrolment_wrong_code_keeps_factor_off(client, make_user, app, clock):
    make_user("wanda")
    sign_in(client, "wanda")
    secret = start_enrolment(client)
    wrong = clock.code(secret, steps=5)
    response = post(client, "/account/two-factor/confirm", {"code": wrong}, token_from="/account/two-factor")
    assert response.status_code == 400
    assert "the code does not match" in page(response)
    assert not totp_row(app, "wanda").enabled
    assert events(app, "auth.totp_enabled") == []


def test_enrolment_rejects_code_that_is_not_six_digits(client, make_user, app, clock):
    make_user("wanda")
    sign_in(client, "wanda")
    start_enrolment(client)
    response = post(client, "/account/two-factor/confirm", {"code": "12ab"}, token_from="/account/two-factor")
    assert response.status_code == 400
    assert "enter the 6 digits your authenticator app shows" in page(response)


def test_enrolment_new_key_replaces_pending_one(client, make_user, app, clock):
    make_user("wanda")
    sign_in(client, "wanda")
    first = start_enrolment(client)
    second = start_enrolment(client)
    assert first != second
    response = post(client, "/account/two-factor/confirm", {"code": clock.code(first)},
                    token_from="/account/two-factor")
    assert response.status_code == 400
    assert not totp_row(app, "wanda").enabled


# Signing in


def test_sign_in_waits_for_code_after_password(client, enrolled, app, clock):
    secret, _ = enrolled
    response = sign_in(client, "wanda")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/verify"
    assert signed_in_as(client) is None
    response = submit_code(client, clock.code(secret))
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert signed_in_as(client) == "Wanda Worker"
    assert events(app, "auth.login")[-1].details == {"second_factor": "totp"}


def test_sign_in_keeps_next_page_through_code_step(client, enrolled, clock):
    secret, _ = enrolled
    token = csrf_token(client, "/login")
    client.post("/login?next=/account/preferences", data={"login": "wanda", "password": TEST_PASSWORD,
                                                          "csrf_token": token})
    response = submit_code(client, clock.code(secret))
    assert response.headers["Location"] == "/account/preferences"


def test_sign_in_without_second_factor_audits_none(client, make_user, app):
    make_user("wanda")
    response = sign_in(client, "wanda")
    assert response.headers["Location"] == "/"
    assert events(app, "auth.login")[-1].details == {"second_factor": "none"}


def test_sign_in_wrong_code_is_rejected_and_audited(client, enrolled, app, clock):
    secret, _ = enrolled
    sign_in(client, "wanda")
    response = submit_code(client, clock.code(secret, steps=3))
    assert response.status_code == 401
    assert "the code is wrong or expired" in page(response)
    assert "(4 tries left)" in page(response)
    assert signed_in_as(client) is None
    failures = events(app, "auth.totp_failed")
    assert [event.details for event in failures] == [
        {"reason": "wrong code", "during": "sign-in", "failures_in_a_row": 1}]
    assert failures[0].outcome == "failure"
    assert failures[0].login == "wanda"


def test_sign_in_rejects_replayed_code(client, enrolled, app, clock):
    secret, _ = enrolled
    code = clock.code(secret)
    sign_in(client, "wanda")
    assert submit_code(client, code).status_code == 302
    sign_out(client)
    sign_in(client, "wanda")
    response = submit_code(client, code)
    assert response.status_code == 401
    assert "this code was used already" in page(response)
    assert signed_in_as(client) is None
    assert events(app, "auth.totp_failed")[-1].details["reason"] == "replayed code"


def test_sign_in_rejects_code_older_than_last_accepted(client, enrolled, app, clock):
    secret, _ = enrolled
    sign_in(client, "wanda")
    assert submit_code(client, clock.code(secret, steps=1)).status_code == 302
    sign_out(client)
    sign_in(client, "wanda")
    response = submit_code(client, clock.code(secret, steps=-1))
    assert response.status_code == 401
    assert totp_row(app, "wanda").last_step == int(clock.now) // 30 + 1


@pytest.mark.parametrize(("steps", "accepted"), [(-2, False), (-1, True), (0, True), (1, True), (2, False)])
def test_sign_in_allows_one_step_of_drift(client, enrolled, clock, steps, accepted):
    secret, _ = enrolled
    sign_in(client, "wanda")
    response = submit_code(client, clock.code(secret, steps=steps))
    assert (response.status_code == 302) is accepted
    assert (signed_in_as(client) == "Wanda Worker") is accepted


def test_sign_in_malformed_code_uses_no_attempt(client, enrolled, app, clock):
    sign_in(client, "wanda")
    response = submit_code(client, "12-34")
    assert response.status_code == 401
    assert "enter the 6 digits" in page(response)
    assert events(app, "auth.totp_failed") == []
    assert totp_row(app, "wanda").failed_attempts == 0


def test_pending_sign_in_expires_after_five_minutes(client, enrolled, clock):
    secret, _ = enrolled
    sign_in(client, "wanda")
    clock.now += 5 * 60 + 1
    response = submit_code(client, clock.code(secret))
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "The sign-in timed out after 5 minutes" in page(client.get("/login"))
    assert signed_in_as(client) is None


def test_pending_sign_in_just_before_expiry_works(client, enrolled, clock):
    secret, _ = enrolled
    sign_in(client, "wanda")
    clock.now += 5 * 60 - 1
    assert submit_code(client, clock.code(secret)).headers["Location"] == "/"


def test_pending_sign_in_ends_after_five_wrong_codes(client, enrolled, app, clock):
    secret, _ = enrolled
    sign_in(client, "wanda")
    wrong = clock.code(secret, steps=4)
    for _ in range(4):
        assert submit_code(client, wrong).status_code == 401
    response = submit_code(client, wrong)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "5 wrong codes in a row" in page(client.get("/login"))
    assert client.get("/login/verify").headers["Location"] == "/login"
    assert len(events(app, "auth.totp_failed")) == 5


def test_old_session_cookie_gives_no_extra_attempts(client, enrolled, clock):
    secret, _ = enrolled
    sign_in(client, "wanda")
    pending_cookie = client.get_cookie(COOKIE_NAME).value
    wrong = clock.code(secret, steps=4)
    for _ in range(5):
        submit_code(client, wrong)
    client.set_cookie(COOKIE_NAME, pending_cookie)
    response = submit_code(client, clock.code(secret))
    assert response.headers["Location"] == "/login"
    assert signed_in_as(client) is None


def test_password_step_again_gives_new_attempts(client, enrolled, clock):
    secret, _ = enrolled
    sign_in(client, "wanda")
    wrong = clock.code(secret, steps=4)
    for _ in range(5):
        submit_code(client, wrong)
    sign_in(client, "wanda")
    assert submit_code(client, clock.code(secret)).headers["Location"] == "/"


def test_verify_without_pending_sign_in(client):
    response = client.get("/login/verify")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"


def test_disabled_account_cannot_finish_pending_sign_in(client, enrolled, app, clock):
    secret, _ = enrolled
    sign_in(client, "wanda")
    with app.app_context(), db.transaction():
        db.session.scalar(select(User).where(User.login == "wanda")).active = False
    response = submit_code(client, clock.code(secret))
    assert response.headers["Location"] == "/login"
    assert signed_in_as(client) is None


# Recovery codes


def test_recovery_code_signs_in_once(client, enrolled, app, clock):
    _, recovery = enrolled
    sign_in(client, "wanda")
    response = submit_code(client, recovery[0].upper().replace("-", " "))
    assert response.headers["Location"] == "/"
    assert "You signed in with a recovery code; 9 remain." in page(client.get("/"))
    assert events(app, "auth.recovery_code_used")[-1].details == {"recovery_codes_left": 9}
    assert events(app, "auth.login")[-1].details == {"second_factor": "recovery_code"}
    sign_out(client)
    sign_in(client, "wanda")
    response = submit_code(client, recovery[0])
    assert response.status_code == 401
    assert "this recovery code was used already" in page(response)
    assert events(app, "auth.totp_failed")[-1].details["reason"] == "used recovery code"


def test_wrong_recovery_code_is_rejected(client, enrolled, app):
    sign_in(client, "wanda")
    response = submit_code(client, "aaaaa-bbbbb")
    assert response.status_code == 401
    assert "the recovery code is wrong" in page(response)
    assert events(app, "auth.totp_failed")[-1].details["reason"] == "wrong recovery code"


def test_recovery_codes_count_down_to_zero(client, enrolled, app):
    _, recovery = enrolled
    for code in recovery:
        sign_in(client, "wanda")
        assert submit_code(client, code).headers["Location"] == "/"
        if code != recovery[-1]:
            sign_out(client)
    assert "You used your last recovery code" in page(client.get("/"))
    left = [event.details["recovery_codes_left"] for event in events(app, "auth.recovery_code_used")]
    assert left == list(range(9, -1, -1))


def test_regenerated_recovery_codes_replace_old_ones(client, enrolled, app, clock):
    secret, old = enrolled
    sign_in(client, "wanda")
    submit_code(client, clock.code(secret))
    response = post(client, "/account/two-factor/recovery-codes", {"current_password": TEST_PASSWORD},
                    token_from="/account/two-factor")
    fresh = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page(response))
    assert len(fresh) == 10
    assert not set(fresh) & set(old)
    assert len(events(app, "auth.recovery_codes_regenerated")) == 1
    sign_out(client)
    sign_in(client, "wanda")
    assert submit_code(client, old[1]).status_code == 401
    assert submit_code(client, fresh[1]).headers["Location"] == "/"


def test_regenerate_needs_current_password(client, enrolled, app, clock):
    secret, _ = enrolled
    sign_in(client, "wanda")
    submit_code(client, clock.code(secret))
    response = post(client, "/account/two-factor/recovery-codes", {"current_password": "not my password"},
                    token_from="/account/two-factor")
    assert response.status_code == 400
    assert "the password is wrong" in page(response)
    assert events(app, "auth.recovery_codes_regenerated") == []


# Turning off


def test_disable_needs_password_and_code(client, enrolled, app, clock):
    secret, recovery = enrolled
    sign_in(client, "wanda")
    submit_code(client, clock.code(secret))
    clock.now += codes.STEP_SECONDS
    response = post(client, "/account/two-factor/disable",
                    {"current_password": "wrong password", "code": clock.code(secret)},
                    token_from="/account/two-factor")
    assert response.status_code == 400
    assert "the password is wrong" in page(response)
    response = post(client, "/account/two-factor/disable",
                    {"current_password": TEST_PASSWORD, "code": clock.code(secret, steps=3)},
                    token_from="/account/two-factor")
    assert response.status_code == 400
    assert events(app, "auth.totp_failed")[-1].details["during"] == "turn-off"
    assert totp_row(app, "wanda").enabled
    response = post(client, "/account/two-factor/disable", {"current_password": TEST_PASSWORD,
                                                            "code": clock.code(secret)},
                    token_from="/account/two-factor")
    assert response.status_code == 302
    assert totp_row(app, "wanda") is None
    assert len(events(app, "auth.totp_disabled")) == 1
    with app.app_context():
        assert db.session.scalar(select(RecoveryCode.id)) is None
    sign_out(client)
    assert sign_in(client, "wanda").headers["Location"] == "/"


# Security profile requirement


def profile_id(app, name):
    with app.app_context():
        return db.session.scalar(select(SecurityProfile.id).where(SecurityProfile.name == name))


def test_profile_requirement_forces_enrolment(client, make_user, app, clock):
    make_user("ada", "Administrator")
    make_user("wanda", "Worker")
    sign_in(client, "ada")
    worker = profile_id(app, "Worker")
    response = post(client, f"/admin/profiles/{worker}/two-factor", {"require_totp": "y"})
    assert response.status_code == 302
    assert [event.details for event in events(app, "profile.update")] == [
        {"before": {"require_totp": False}, "after": {"require_totp": True}}]
    assert 'name="require_totp" value="y" checked' in page(client.get("/admin/profiles/"))
    sign_out(client)

    sign_in(client, "wanda")
    for path in ("/", "/time/", "/account/preferences"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/account/two-factor"
    assert "Your security profile Worker requires two-factor sign-in" in page(client.get("/account/two-factor"))
    enrol(client, clock)
    assert signed_in_as(client) == "Wanda"


def test_profile_requirement_can_be_switched_off(client, make_user, app):
    make_user("ada", "Administrator")
    sign_in(client, "ada")
    worker = profile_id(app, "Worker")
    post(client, f"/admin/profiles/{worker}/two-factor", {"require_totp": "y"})
    post(client, f"/admin/profiles/{worker}/two-factor", {})
    with app.app_context():
        assert db.session.get(SecurityProfile, worker).require_totp is False
    assert len(events(app, "profile.update")) == 2


def test_profile_requirement_needs_profiles_permission(client, make_user, app):
    make_user("wanda", "Worker")
    sign_in(client, "wanda")
    response = post(client, f"/admin/profiles/{profile_id(app, 'Worker')}/two-factor", {"require_totp": "y"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(SecurityProfile, profile_id(app, "Worker")).require_totp is False


def test_builtin_administrator_profile_does_not_require_by_default(app):
    with app.app_context():
        profiles = db.session.scalars(select(SecurityProfile)).all()
        assert profiles
        assert [profile.name for profile in profiles if profile.require_totp] == []


def test_forced_enrolment_comes_after_password_change(client, app, clock):
    from app.auth.services import create_user

    with app.app_context(), db.transaction():
        _, one_time = create_user("newbie", "New Person", profiles=["Worker"])
        db.session.scalar(select(SecurityProfile).where(SecurityProfile.name == "Worker")).require_totp = True
    sign_in(client, "newbie", one_time)
    assert client.get("/").headers["Location"] == "/account/password"
    new_password = "a much longer passphrase 2026"
    post(client, "/account/password", {"current_password": one_time, "new_password": new_password,
                                       "confirm_password": new_password}, token_from="/account/password")
    assert client.get("/").headers["Location"] == "/account/two-factor"


# Administrator reset


@pytest.fixture
def admin_client(app, make_user):
    make_user("ada", "Administrator")
    other = app.test_client()
    sign_in(other, "ada")
    return other


def test_admin_reset_lets_user_sign_in_with_password(client, enrolled, admin_client, app):
    wanda = totp_row(app, "wanda").user_id
    assert "Reset second factor" in page(admin_client.get(f"/admin/users/{wanda}/edit"))
    response = post(admin_client, f"/admin/users/{wanda}/reset-two-factor", {"reason": "phone lost, seen in person"})
    assert response.status_code == 302
    assert totp_row(app, "wanda") is None
    reset = events(app, "user.totp_reset")
    assert [event.details for event in reset] == [{"reason": "phone lost, seen in person", "state": "on"}]
    assert reset[0].login == "ada"
    assert sign_in(client, "wanda").headers["Location"] == "/"
    assert signed_in_as(client) == "Wanda Worker"


def test_admin_reset_with_required_profile_forces_new_enrolment(client, enrolled, admin_client, app):
    with app.app_context(), db.transaction():
        db.session.scalar(select(SecurityProfile).where(SecurityProfile.name == "Worker")).require_totp = True
    wanda = totp_row(app, "wanda").user_id
    post(admin_client, f"/admin/users/{wanda}/reset-two-factor", {"reason": "new phone"})
    sign_in(client, "wanda")
    assert client.get("/").headers["Location"] == "/account/two-factor"


def test_admin_reset_needs_reason(enrolled, admin_client, app):
    wanda = totp_row(app, "wanda").user_id
    response = post(admin_client, f"/admin/users/{wanda}/reset-two-factor", {"reason": "  "})
    assert response.status_code == 302
    assert "Reason: a value is required." in page(admin_client.get(response.headers["Location"]))
    assert totp_row(app, "wanda").enabled
    assert events(app, "user.totp_reset") == []


def test_admin_cannot_reset_own_second_factor(admin_client, app, clock):
    enrol(admin_client, clock)
    ada = totp_row(app, "ada").user_id
    response = post(admin_client, f"/admin/users/{ada}/reset-two-factor", {"reason": "testing"})
    assert "You cannot reset your own second factor" in page(admin_client.get(response.headers["Location"]))
    assert totp_row(app, "ada").enabled


def test_worker_cannot_reset_second_factor(client, enrolled, make_user, app):
    make_user("walter", "Worker")
    sign_in(client, "walter")
    wanda = totp_row(app, "wanda").user_id
    assert post(client, f"/admin/users/{wanda}/reset-two-factor", {"reason": "x"}).status_code == 403
    assert totp_row(app, "wanda").enabled


def test_cli_reset_removes_second_factor(enrolled, app):
    import os
    import subprocess
    import sys

    settings = app.config["TRACKERBOX"]
    env = {**os.environ, "TRACKERBOX_DATA_DIR": str(settings.data_dir),
           "TRACKERBOX_DATABASE_URL": settings.database_url}
    command = [sys.executable, "-c", "from app.cli import main; main()", "user", "reset-two-factor", "wanda"]
    result = subprocess.run([*command, "--reason", "lost phone, no admin left"], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Second factor of 'wanda' removed" in result.stdout
    assert totp_row(app, "wanda") is None
    assert events(app, "user.totp_reset")[0].details["reason"] == "lost phone, no admin left"
    again = subprocess.run([*command, "--reason", "again"], env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2
    assert "user 'wanda' has no second factor to reset" in again.stderr


# Storage and secrecy


def test_secret_is_not_stored_in_clear(client, enrolled, app):
    secret, recovery = enrolled
    with app.app_context():
        raw = db.session.execute(text("SELECT secret_encrypted FROM user_totp")).scalar_one()
        hashes = db.session.execute(text("SELECT code_hash FROM totp_recovery_codes")).scalars().all()
    assert secret not in raw
    assert secret.lower() not in raw.lower()
    assert len(hashes) == 10
    stored = " ".join(hashes)
    assert all(code not in stored and code.replace("-", "") not in stored for code in recovery)


def test_secret_is_bound_to_its_user(client, enrolled, make_user, app):
    from app.two_factor.crypto import SecretUnreadable, decrypt_secret

    secret, _ = enrolled
    row = totp_row(app, "wanda")
    with app.app_context():
        assert decrypt_secret(row.user_id, row.secret_encrypted) == secret
        with pytest.raises(SecretUnreadable):
            decrypt_secret(row.user_id + 1, row.secret_encrypted)


def test_other_key_file_gives_clear_message(client, enrolled, app, clock):
    secret, _ = enrolled
    sign_in(client, "wanda")
    app.extensions["trackerbox_keys"]["two_factor"] = bytes(32)
    response = submit_code(client, clock.code(secret))
    assert response.status_code == 500
    assert "two_factor.key is not the key it was stored with" in page(response)
    assert "Traceback" not in page(response)


def test_secrets_absent_from_audit_and_logs(client, make_user, app, clock):
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    handler = Collect(level=logging.DEBUG)
    logger = logging.getLogger("app")
    logger.addHandler(handler)
    previous_level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        make_user("wanda")
        sign_in(client, "wanda")
        secret, recovery = enrol(client, clock)
        sign_out(client)
        clock.now += codes.STEP_SECONDS
        typed = [clock.code(secret), clock.code(secret, steps=3), recovery[0]]
        for code in typed:
            sign_in(client, "wanda")
            submit_code(client, code)
            sign_out(client)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)
    with app.app_context():
        trail = json.dumps([event.details for event in db.session.scalars(select(AuditEvent))])
    assert "auth.totp_failed" in {event.action for event in events(app, "auth.totp_failed")}
    assert records
    for value in [secret, *recovery, *typed]:
        assert value not in trail
        assert not any(value in message for message in records), value


def test_migration_keeps_profile_permissions(app):
    from app import migrate

    engine = app.extensions["trackerbox_engine"]

    def count_permissions():
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM profile_permissions")).scalar_one()

    # Later revisions take their own permissions away on downgrade, so count at 0005 itself.
    migrate.downgrade(engine, "0005")
    before = count_permissions()
    assert before > 0
    migrate.downgrade(engine, "0004")
    assert count_permissions() == before
    migrate.upgrade(engine, "0005")
    assert count_permissions() == before
    migrate.upgrade(engine)
    db.session.remove()


# Sessions

def test_turning_on_ends_other_sessions_but_keeps_own(make_user, app, clock):
    make_user("wanda", "Worker", name="Wanda Worker")
    phone, desk = app.test_client(), app.test_client()
    sign_in(phone, "wanda")
    sign_in(desk, "wanda")
    enrol(desk, clock)
    assert signed_in_as(desk) == "Wanda Worker"
    assert signed_in_as(phone) is None


def test_admin_reset_ends_the_persons_sessions(client, enrolled, admin_client, app, clock):
    secret, _ = enrolled
    sign_in(client, "wanda")
    submit_code(client, clock.code(secret))
    assert signed_in_as(client) == "Wanda Worker"
    wanda = totp_row(app, "wanda").user_id
    post(admin_client, f"/admin/users/{wanda}/reset-two-factor", {"reason": "phone lost, seen in person"})
    assert signed_in_as(client) is None


def test_profile_page_sets_requirement_and_returns_there(admin_client, app):
    worker = profile_id(app, "Worker")
    assert "Members must sign in with a second factor" in page(admin_client.get(f"/admin/profiles/{worker}"))
    response = post(admin_client, f"/admin/profiles/{worker}/two-factor", {"require_totp": "y", "back": "edit"},
                    token_from=f"/admin/profiles/{worker}")
    assert response.headers["Location"] == f"/admin/profiles/{worker}"
    with app.app_context():
        assert db.session.get(SecurityProfile, worker).require_totp
