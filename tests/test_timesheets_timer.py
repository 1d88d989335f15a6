"""The running timer: start, stop, discard, one per person and its overlap rules."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import db
from app.errors import ConflictError, UserError
from app.models import AuditEvent, Project, TimeEntry, User
from app.timesheets import services
from tests.conftest import acting_as, csrf_token, sign_in
from tests.factories import make_client, make_project

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def team(app, make_user):
    worker = make_user("wanda", "Worker")
    project = make_project(app, make_client(app), "ACME-1", members=[worker])
    return SimpleNamespace(worker=worker, project=project)


def start(app, team, when: datetime, **fields) -> int:
    with acting_as(app, team.worker):
        entry = services.start_timer(db.session.get(User, team.worker.id),
                                     project=db.session.get(Project, team.project.id), now=when, **fields)
        return entry.id


def stop(app, team, when: datetime) -> TimeEntry | None:
    with acting_as(app, team.worker):
        entry = services.stop_timer(db.session.get(User, team.worker.id), now=when)
        return None if entry is None else entry.id


def load(app, entry_id):
    with app.app_context():
        return db.session.get(TimeEntry, entry_id)


def test_timer_start_and_stop(app, team):
    began = datetime(2026, 3, 24, 9, tzinfo=BERLIN)
    entry_id = start(app, team, began, notes="standup")
    running = load(app, entry_id)
    assert running.running
    assert running.work_date == date(2026, 3, 24)
    assert stop(app, team, began + timedelta(minutes=90)) == entry_id
    entry = load(app, entry_id)
    assert entry.duration_seconds == 5400
    assert entry.end_at == (began + timedelta(minutes=90)).astimezone(timezone.utc)
    assert not entry.running
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "time_entry")))
    assert actions == ["time_entry.start", "time_entry.stop"]


def test_timer_across_midnight_counts_on_start_day(app, team):
    entry_id = start(app, team, datetime(2026, 3, 24, 23, 30, tzinfo=BERLIN))
    stop(app, team, datetime(2026, 3, 25, 0, 45, tzinfo=BERLIN))
    entry = load(app, entry_id)
    assert entry.work_date == date(2026, 3, 24)
    assert entry.duration_seconds == 4500


def test_timer_second_start_rejected(app, team):
    start(app, team, datetime(2026, 3, 24, 9, tzinfo=BERLIN))
    with pytest.raises(ConflictError) as caught:
        start(app, team, datetime(2026, 3, 24, 10, tzinfo=BERLIN))
    assert caught.value.message == "a timer is already running; stop it before starting another"


def test_timer_database_allows_one_running(app, team):
    start(app, team, datetime(2026, 3, 24, 9, tzinfo=BERLIN))
    with app.app_context(), pytest.raises(IntegrityError):
        with db.transaction():
            db.session.add(TimeEntry(user_id=team.worker.id, project_id=team.project.id, timezone="Europe/Berlin",
                                     start_at=datetime(2026, 3, 25, 9, tzinfo=timezone.utc),
                                     work_date=date(2026, 3, 25)))


def test_timer_stop_without_timer_rejected(app, team):
    with pytest.raises(ConflictError) as caught:
        stop(app, team, datetime(2026, 3, 24, 9, tzinfo=BERLIN))
    assert "no timer is running" in caught.value.message


def test_timer_stopped_at_once_is_discarded(app, team):
    began = datetime(2026, 3, 24, 9, tzinfo=BERLIN)
    entry_id = start(app, team, began)
    assert stop(app, team, began) is None
    assert load(app, entry_id) is None


def test_entry_overlapping_running_timer_rejected(app, team):
    start(app, team, datetime(2026, 3, 24, 9, tzinfo=BERLIN))
    with acting_as(app, team.worker):
        with pytest.raises(UserError) as caught:
            services.create_entry(db.session.get(User, team.worker.id),
                                  project=db.session.get(Project, team.project.id),
                                  start=datetime(2026, 3, 24, 9, 30, tzinfo=BERLIN),
                                  end=datetime(2026, 3, 24, 10, tzinfo=BERLIN))
    assert "overlaps the entry 2026-03-24 09:00-now (timer running) on ACME-1" in caught.value.message


def test_timer_start_inside_entry_rejected(app, team):
    with acting_as(app, team.worker):
        services.create_entry(db.session.get(User, team.worker.id), project=db.session.get(Project, team.project.id),
                              start=datetime(2026, 3, 24, 9, tzinfo=BERLIN),
                              end=datetime(2026, 3, 24, 11, tzinfo=BERLIN))
    with pytest.raises(UserError) as caught:
        start(app, team, datetime(2026, 3, 24, 10, tzinfo=BERLIN))
    assert "overlaps the entry 2026-03-24 09:00-11:00" in caught.value.message


def test_timer_pages_start_show_and_stop(app, client, team):
    sign_in(client, "wanda")
    token = csrf_token(client, "/time/")
    response = client.post("/time/timer/start", data={"csrf_token": token, "project": f"{team.project.id}:",
                                                      "notes": "support call"})
    assert response.status_code == 302
    page = client.get("/time/").get_data(as_text=True)
    assert "data-timer-start=" in page
    assert "Timer running on" in page
    assert "support call" in page
    again = client.post("/time/timer/start", data={"csrf_token": token, "project": f"{team.project.id}:"})
    assert again.status_code == 400
    assert "a timer is already running" in again.get_data(as_text=True)
    with app.app_context(), db.transaction():
        entry = db.session.scalar(select(TimeEntry))
        entry.start_at -= timedelta(minutes=5)
    assert client.post("/time/timer/stop", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        entry = db.session.scalar(select(TimeEntry))
        assert 300 <= entry.duration_seconds < 360


def test_timer_page_discard(app, client, team):
    sign_in(client, "wanda")
    token = csrf_token(client, "/time/")
    client.post("/time/timer/start", data={"csrf_token": token, "project": f"{team.project.id}:"})
    response = client.post("/time/timer/discard", data={"csrf_token": token})
    assert response.status_code == 302
    assert "The running timer was discarded." in client.get("/time/").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(TimeEntry.id)) is None


def test_timer_page_foreign_project_rejected(app, client, team):
    foreign = make_project(app, make_client(app, "Else Ltd"), "ELSE-1")
    sign_in(client, "wanda")
    token = csrf_token(client, "/time/")
    response = client.post("/time/timer/start", data={"csrf_token": token, "project": f"{foreign.id}:"})
    assert response.status_code == 400
    assert "the project is not open for your time" in response.get_data(as_text=True)


def test_submit_rejected_while_timer_runs(app, client, team):
    sign_in(client, "wanda")
    token = csrf_token(client, "/time/")
    client.post("/time/timer/start", data={"csrf_token": token, "project": f"{team.project.id}:"})
    response = client.post("/time/submit", data={"csrf_token": token})
    assert response.status_code == 400
    assert "a timer is still running; stop it before submitting" in response.get_data(as_text=True)
