"""Closing periods: the page, its permission and what a closed period blocks."""
from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app import company, db
from app.models import AuditEvent, ProfilePermission, Project, SecurityProfile, TimeEntry, User
from app.timesheets import services, weeks
from tests.conftest import acting_as, csrf_token, sign_in
from tests.factories import make_client, make_project


@pytest.fixture
def team(app, make_user):
    worker = make_user("wanda", "Worker")
    admin = make_user("ada", "Administrator")
    closer = make_user("cleo", "Worker")
    with app.app_context(), db.transaction():
        profile = SecurityProfile(name="Period Closer", description="Closes periods only",
                                  permissions=[ProfilePermission(permission="periods.close")])
        user = db.session.get(User, closer.id)
        user.profiles.append(profile)
    project = make_project(app, make_client(app), "ACME-1", members=[worker])
    return SimpleNamespace(worker=worker, admin=admin, closer=closer, project=project)


def close(client, value: str):
    return client.post("/time/periods", data={"csrf_token": csrf_token(client, "/"), "locked_until": value})


def locked_until(app):
    with app.app_context():
        return company.locked_until()


def test_periods_page_needs_permission(client, team):
    sign_in(client, "wanda")
    assert client.get("/time/periods").status_code == 403
    assert close(client, "2026-03-31").status_code == 403


def test_close_period_sets_date_and_audits(app, client, team):
    with acting_as(app, team.worker):
        services.create_entry(db.session.get(User, team.worker.id), project=db.session.get(Project, team.project.id),
                              work_date=date(2026, 3, 30), duration_seconds=3600)
    sign_in(client, "cleo")
    response = close(client, "2026-03-31")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Time is closed up to and including 2026-03-31. 1 entries on or before that date are not approved" in page
    assert "closed up to and including <strong>2026-03-31</strong>" in page
    assert locked_until(app) == date(2026, 3, 31)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "settings.change"))
    assert event.details == {"before": {"locked_until": None}, "after": {"locked_until": "2026-03-31"}}


@pytest.mark.parametrize(
    ("value", "message"),
    [("2026-13-01", "&#39;2026-13-01&#39; is not a date"), ("tomorrow", "is not a date"),
     ("future", "is in the future")],
)
def test_close_period_bad_date_rejected(app, client, team, value, message):
    if value == "future":
        value = (weeks.today_in("Europe/Berlin") + timedelta(days=2)).isoformat()
    sign_in(client, "cleo")
    response = close(client, value)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert locked_until(app) is None


def test_moving_date_back_needs_reopen(app, client, team):
    sign_in(client, "cleo")
    close(client, "2026-03-31")
    response = close(client, "2026-02-28")
    assert response.status_code == 400
    assert "moving the closing date back from 2026-03-31 reopens closed time" in response.get_data(as_text=True)
    assert close(client, "").status_code == 400
    assert close(client, "2026-04-30").status_code == 302
    assert locked_until(app) == date(2026, 4, 30)
    sign_in(client, "ada")
    assert close(client, "").status_code == 302
    assert locked_until(app) is None


def test_closed_period_blocks_worker_changes(app, client, team):
    with acting_as(app, team.worker):
        entry = services.create_entry(db.session.get(User, team.worker.id),
                                      project=db.session.get(Project, team.project.id),
                                      work_date=date(2026, 3, 30), duration_seconds=3600)
        entry_id = entry.id
    sign_in(client, "cleo")
    close(client, "2026-03-31")
    sign_in(client, "wanda")
    token = csrf_token(client, "/")
    response = client.post(f"/time/entries/{entry_id}/delete", data={"csrf_token": token})
    assert response.status_code == 400
    assert "2026-03-30 is in a closed period" in response.get_data(as_text=True)
    added = client.post("/time/entries/new", data={
        "csrf_token": token, "project": f"{team.project.id}:", "work_date": "2026-03-31", "duration": "1:00",
        "start": "", "end": "", "notes": "", "billable": ""})
    assert added.status_code == 400
    assert "2026-03-31 is in a closed period" in added.get_data(as_text=True)
    with app.app_context():
        assert list(db.session.scalars(select(TimeEntry.id))) == [entry_id]
