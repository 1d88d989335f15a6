"""Wrong passwords: delays, suspension, unlock, the last-administrator guard and per-address limits."""
import html
import re
import statistics
import time
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app import company, db
from app.admin import services as admin_services
from app.auth import signin
from app.cli import cli
from app.commands import context
from app.errors import ConflictError
from app.models import AuditEvent, User, utcnow
from app.security import passwords, throttle
from tests.conftest import TEST_PASSWORD, _csrf_token, acting_as, csrf_token, sign_in

OUTSIDE = "203.0.113.9"
GENERIC = "Sign-in failed: the login or password is wrong, or the account is not active."


class Clock:
    """A settable replacement for utcnow in the sign-in module."""

    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(signin, "utcnow", fake)
    return fake


def attempt(client, login, password="a wrong password entirely", address=OUTSIDE):
    environ = {"REMOTE_ADDR": address}
    token = _csrf_token(client.get("/login", environ_base=environ).get_data(as_text=True))
    return client.post("/login", data={"login": login, "password": password, "csrf_token": token},
                       environ_base=environ)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def events(app, action):
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def user_by_login(app, login):
    with app.app_context():
        return db.session.scalar(select(User).where(User.login == login))


def set_settings(app, **values):
    with app.app_context(), db.transaction():
        for key, value in values.items():
            company.set_value(key, value)


def fail_times(client, clock, login, count, address=OUTSIDE):
    """Fail ``count`` times, waiting out each delay first, and return the last response."""
    response = None
    for _ in range(count):
        clock.advance(throttle.MAX_DELAY_SECONDS + 1)
        response = attempt(client, login, address=address)
        assert response.status_code == 401
    return response


@pytest.mark.parametrize(("failures", "delay"), [
    (0, 0), (1, 0), (2, 0), (3, 1), (4, 2), (5, 4), (6, 8), (9, 64), (11, 256), (12, 300), (40, 300),
])
def test_delay_after_failures(failures, delay):
    assert throttle.delay_after(failures) == delay


@pytest.mark.parametrize("known", [True, False])
def test_attempt_during_delay_refused_unchecked(client, make_user, app, clock, monkeypatch, known):
    if known:
        make_user("wanda")
    for _ in range(3):
        assert attempt(client, "wanda").status_code == 401
    checked = []
    real_verify = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password", lambda *args: checked.append(1) or real_verify(*args))
    refused = attempt(client, "wanda", TEST_PASSWORD)
    assert refused.status_code == 429
    assert "wait 1 second(s), then try again. The password was not checked." in text(refused)
    assert checked == []
    clock.advance(1.5)
    assert attempt(client, "wanda", TEST_PASSWORD).status_code == (302 if known else 401)
    assert checked == [1]


def test_third_failure_message_names_delay(client, make_user, clock):
    make_user("wanda")
    assert "Wait" not in text(attempt(client, "wanda"))
    attempt(client, "wanda")
    assert "Wait 1 second(s) before the next attempt." in text(attempt(client, "wanda"))


def test_success_resets_the_delay(client, make_user, app, clock):
    make_user("wanda")
    fail_times(client, clock, "wanda", 5)
    clock.advance(throttle.MAX_DELAY_SECONDS + 1)
    assert attempt(client, "wanda", TEST_PASSWORD).status_code == 302
    assert user_by_login(app, "wanda").failed_logins == 0
    assert attempt(app.test_client(), "wanda").status_code == 401
    assert attempt(app.test_client(), "wanda").status_code == 401


@pytest.mark.parametrize("threshold", [4, 10])
def test_suspension_after_threshold(client, make_user, app, clock, threshold):
    make_user("wanda")
    set_settings(app, signin_suspend_after=threshold)
    last = fail_times(client, clock, "wanda", threshold - 1)
    assert user_by_login(app, "wanda").suspended is False
    assert "an account is suspended" not in text(last)
    last = fail_times(client, clock, "wanda", 1)
    assert user_by_login(app, "wanda").suspended is True
    assert f"After {threshold} failed attempts in a row an account is suspended" in text(last)
    [event] = events(app, "user.suspend")
    assert event.details["before"] == {"suspended": False}
    assert event.details["reason"] == f"{threshold} failed sign-ins in a row"
    clock.advance(throttle.MAX_DELAY_SECONDS + 1)
    right = attempt(client, "wanda", TEST_PASSWORD)
    assert right.status_code == 401
    assert GENERIC in text(right)


def test_last_admin_never_suspended(client, make_user, app, clock):
    make_user("ada", "Administrator")
    set_settings(app, signin_suspend_after=4)
    fail_times(client, clock, "ada", 6)
    assert user_by_login(app, "ada").suspended is False
    assert len(events(app, "user.suspend_skipped")) == 1
    clock.advance(throttle.MAX_DELAY_SECONDS + 1)
    assert attempt(client, "ada", TEST_PASSWORD).status_code == 302


def test_admin_suspended_while_another_remains(client, make_user, app, clock):
    make_user("ada", "Administrator")
    make_user("bob", "Administrator")
    set_settings(app, signin_suspend_after=4)
    fail_times(client, clock, "ada", 4)
    fail_times(client, clock, "bob", 4)
    assert user_by_login(app, "ada").suspended is True
    assert user_by_login(app, "bob").suspended is False


def test_last_admin_cannot_be_disabled_through_service(app, make_user):
    worker = make_user("wanda")
    admin = make_user("ada", "Administrator")
    with acting_as(app, worker):
        with pytest.raises(ConflictError) as raised:
            admin_services.disable_user(worker, db.session.get(User, admin.id))
    assert "last active administrator" in raised.value.message
    assert user_by_login(app, "ada").active is True


def _suspend(app, login, failures=10):
    with app.app_context(), db.transaction():
        user = db.session.scalar(select(User).where(User.login == login))
        user.suspended = True
        user.failed_logins = failures


def test_web_unlock_needs_reason_and_is_audited(client, make_user, app):
    make_user("ada", "Administrator")
    wanda = make_user("wanda")
    _suspend(app, "wanda")
    sign_in(client, "ada")
    page = text(client.get(f"/admin/users/{wanda.id}/edit"))
    assert "Reactivate account" in page
    refused = client.post(f"/admin/users/{wanda.id}/unlock", data={"csrf_token": csrf_token(client), "reason": " "})
    assert refused.status_code == 400
    assert "reason: a value is required" in text(refused)
    assert user_by_login(app, "wanda").suspended is True
    response = client.post(f"/admin/users/{wanda.id}/unlock",
                           data={"csrf_token": csrf_token(client), "reason": "confirmed by phone"})
    assert response.status_code == 302
    unlocked = user_by_login(app, "wanda")
    assert (unlocked.suspended, unlocked.failed_logins) == (False, 0)
    [event] = events(app, "user.unlock")
    assert event.details == {"reason": "confirmed by phone", "before": {"suspended": True, "failed_logins": 10},
                             "after": {"suspended": False, "failed_logins": 0}}
    assert event.login == "ada"
    assert sign_in(app.test_client(), "wanda").status_code == 302
    again = client.post(f"/admin/users/{wanda.id}/unlock", data={"csrf_token": csrf_token(client), "reason": "x"})
    assert again.status_code == 409


def test_worker_cannot_unlock(client, make_user, app):
    make_user("pat")
    wanda = make_user("wanda")
    _suspend(app, "wanda")
    sign_in(client, "pat")
    response = client.post(f"/admin/users/{wanda.id}/unlock", data={"csrf_token": csrf_token(client), "reason": "x"})
    assert response.status_code == 403
    assert user_by_login(app, "wanda").suspended is True


def test_cli_unlock_reactivates_last_admin(app, make_user, monkeypatch):
    monkeypatch.setattr(context, "_app", app)
    make_user("ada", "Administrator")
    _suspend(app, "ada")
    result = CliRunner().invoke(cli, ["user", "unlock", "ada", "--reason", "locked out after holiday"])
    assert result.exit_code == 0, result.output
    assert "no longer suspended" in result.output
    assert user_by_login(app, "ada").suspended is False
    [event] = events(app, "user.unlock")
    assert event.details["reason"] == "locked out after holiday"
    assert event.user_agent == "cli"
    assert sign_in(app.test_client(), "ada").status_code == 302
    again = CliRunner().invoke(cli, ["user", "unlock", "ada"])
    assert again.exit_code == 1
    assert "is not suspended" in again.output


def test_cli_reset_password_keeps_suspension(app, make_user, monkeypatch):
    monkeypatch.setattr(context, "_app", app)
    make_user("wanda")
    _suspend(app, "wanda")
    result = CliRunner().invoke(cli, ["user", "reset-password", "wanda"])
    assert result.exit_code == 0, result.output
    assert "run `trackerbox user unlock wanda`" in result.output
    assert user_by_login(app, "wanda").suspended is True


def test_address_limit_outside_office(client, make_user, app, clock):
    make_user("wanda")
    set_settings(app, signin_address_limit=5, signin_office_limit=50, office_networks=["10.20.0.0/16"])
    for number in range(5):
        assert attempt(client, f"guess{number}").status_code == 401
    refused = attempt(client, "wanda", TEST_PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed sign-ins from your network address" in text(refused)
    assert attempt(app.test_client(), "wanda", TEST_PASSWORD, address="198.51.100.20").status_code == 302
    clock.advance(throttle.ADDRESS_WINDOW.total_seconds() + 1)
    assert attempt(app.test_client(), "wanda", TEST_PASSWORD).status_code == 302


def test_address_limit_inside_office_is_higher(client, make_user, app, clock):
    make_user("wanda")
    set_settings(app, signin_address_limit=5, signin_office_limit=12, office_networks=["10.20.0.0/16"])
    for number in range(12):
        assert attempt(client, f"typo{number}", address="10.20.1.5").status_code == 401
    assert attempt(client, "wanda", TEST_PASSWORD, address="10.20.1.5").status_code == 429
    assert attempt(client, "wanda", TEST_PASSWORD, address="10.20.1.6").status_code == 302


def _comparable(response, login) -> str:
    body = text(response).replace(login, "LOGIN")
    return re.sub(r'(value|content)="[^"]*"', r'\1=""', body)


def test_known_and_unknown_logins_look_alike(make_user, app, clock):
    make_user("wanda")
    known, unknown = app.test_client(), app.test_client()
    for step in range(5):
        if step == 4:
            clock.advance(2)
        first, second = attempt(known, "wanda", address="198.51.100.1"), attempt(unknown, "nobody", address="198.51.100.2")
        assert first.status_code == second.status_code
        assert _comparable(first, "wanda") == _comparable(second, "nobody")
    assert first.status_code == 401
    assert user_by_login(app, "wanda").failed_logins == 4


def test_known_and_unknown_logins_take_similar_time(make_user, app):
    app.config["TRACKERBOX"].bcrypt_rounds = 10
    count = 12
    for number in range(count):
        make_user(f"known{number}")
    stored = passwords.hash_password(TEST_PASSWORD, app.extensions["trackerbox_keys"]["password"], 10)
    with app.app_context(), db.transaction():
        for user in db.session.scalars(select(User)):
            user.password_hash = stored
    client = app.test_client()
    attempt(client, "warm-up")
    durations = {"known": [], "unknown": []}
    for number in range(count):
        for kind in ("known", "unknown"):
            started = time.perf_counter()
            response = attempt(client, f"{kind}{number}", address=f"198.51.100.{number + 1}")
            durations[kind].append(time.perf_counter() - started)
            assert response.status_code == 401
    known, unknown = statistics.median(durations["known"]), statistics.median(durations["unknown"])
    # A bcrypt check at cost 10 takes tens of milliseconds; skipping it for unknown logins
    # would make them several times faster.
    assert 0.5 < known / unknown < 2.0, (known, unknown)


def test_dashboard_lists_suspended_and_failing(client, make_user, app, clock):
    make_user("ada", "Administrator")
    wanda = make_user("wanda")
    make_user("pat")
    _suspend(app, "wanda")
    set_settings(app, signin_address_limit=5)
    attempt(app.test_client(), "pat")
    for number in range(5):
        attempt(app.test_client(), f"guess{number}", address="192.0.2.77")
    sign_in(client, "ada")
    page = text(client.get("/"))
    assert f'href="/admin/users/{wanda.id}/edit#unlock">reactivate</a>' in page
    assert "pat</a>:\n    1 failed sign-in(s) in a row" in page
    assert "192.0.2.77: 5 failures" in page
