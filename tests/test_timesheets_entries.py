"""Time entries: the create_entry rules, DST arithmetic, scoping and the entry pages."""
from __future__ import annotations

from datetime import date, datetime, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app import company, db
from app.errors import ConflictError, UserError
from app.models import AuditEvent, BillingMethod, EntryStatus, Project, Task, TimeEntry, User
from app.timesheets import services
from tests.conftest import acting_as, csrf_token, sign_in
from tests.factories import make_client, make_project

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def team(app, make_user):
    worker = make_user("wanda", "Worker")
    other = make_user("otto", "Worker")
    manager = make_user("mark", "Project Manager")
    customer = make_client(app)
    project = make_project(app, customer, "ACME-1", manager=manager, members=[worker, other, manager],
                           tasks=("Development", "Support"))
    return SimpleNamespace(worker=worker, other=other, manager=manager, project=project)


def log_time(app, owner, project, *, actor=None, task_name=None, **fields) -> int:
    """Create an entry through the service as ``actor`` (default the owner); return its id."""
    with acting_as(app, actor or owner):
        task = None
        if task_name:
            task = db.session.scalar(select(Task).where(Task.project_id == project.id, Task.name == task_name))
        entry = services.create_entry(
            db.session.get(User, owner.id), actor=db.session.get(User, (actor or owner).id),
            project=db.session.get(Project, project.id), task=task, **fields)
        return entry.id


def load(app, entry_id) -> TimeEntry | None:
    with app.app_context():
        return db.session.get(TimeEntry, entry_id)


def at(zone, *parts, fold=0) -> datetime:
    return datetime(*parts, tzinfo=zone).replace(fold=fold)


def events(app, action):
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                       .order_by(AuditEvent.id)))


@pytest.mark.parametrize(
    ("zone_name", "start", "end", "seconds", "work_date"),
    [
        # Clocks jump from 02:00 to 03:00, so 01:00-04:00 lasts two hours.
        ("Europe/Berlin", at(BERLIN, 2026, 3, 29, 1), at(BERLIN, 2026, 3, 29, 4), 7200, date(2026, 3, 29)),
        # Clocks fall back from 03:00 to 02:00, so the whole day lasts 25 hours.
        ("Europe/Berlin", at(BERLIN, 2026, 10, 25), at(BERLIN, 2026, 10, 26), 25 * 3600, date(2026, 10, 25)),
        ("Europe/Berlin", at(BERLIN, 2026, 3, 24, 23), at(BERLIN, 2026, 3, 25, 1), 7200, date(2026, 3, 24)),
        ("America/New_York", at(NEW_YORK, 2026, 3, 8, 1), at(NEW_YORK, 2026, 3, 8, 4), 7200, date(2026, 3, 8)),
        ("America/New_York", at(NEW_YORK, 2026, 11, 1), at(NEW_YORK, 2026, 11, 2), 25 * 3600, date(2026, 11, 1)),
        # 01:00 happens twice on 2026-11-01 in New York: first EDT, an hour later EST.
        ("America/New_York", at(NEW_YORK, 2026, 11, 1, 1), at(NEW_YORK, 2026, 11, 1, 1, fold=1), 3600,
         date(2026, 11, 1)),
        # An instant given in UTC counts on the owner's local date (00:30 on the 25th in Berlin).
        ("Europe/Berlin", datetime(2026, 3, 24, 23, 30, tzinfo=timezone.utc),
         datetime(2026, 3, 25, 1, tzinfo=timezone.utc), 5400, date(2026, 3, 25)),
    ],
)
def test_create_entry_dst_durations(app, make_user, zone_name, start, end, seconds, work_date):
    worker = make_user("wanda", "Worker", timezone=zone_name)
    project = make_project(app, make_client(app), members=[worker])
    entry = load(app, log_time(app, worker, project, start=start, end=end))
    assert entry.duration_seconds == seconds
    assert entry.work_date == work_date
    assert entry.timezone == zone_name
    assert entry.start_at == start.astimezone(timezone.utc)


def test_create_entry_back_to_back_allowed(app, team):
    log_time(app, team.worker, team.project, start=at(BERLIN, 2026, 3, 24, 9), end=at(BERLIN, 2026, 3, 24, 10))
    second = load(app, log_time(app, team.worker, team.project, start=at(BERLIN, 2026, 3, 24, 10),
                                end=at(BERLIN, 2026, 3, 24, 11)))
    assert second.duration_seconds == 3600


@pytest.mark.parametrize(
    ("start_hour", "end_hour"),
    [(9, 10), (8, 9.5), (9.5, 11), (8, 12), (9.25, 9.75)],
)
def test_create_entry_overlap_rejected(app, team, start_hour, end_hour):
    log_time(app, team.worker, team.project, start=at(BERLIN, 2026, 3, 24, 9), end=at(BERLIN, 2026, 3, 24, 10))

    def clock(hour):
        return at(BERLIN, 2026, 3, 24, int(hour), int(hour % 1 * 60))

    with pytest.raises(UserError) as caught:
        log_time(app, team.worker, team.project, start=clock(start_hour), end=clock(end_hour))
    assert "overlaps the entry 2026-03-24 09:00-10:00 on ACME-1" in caught.value.message
    assert caught.value.field == "start"


def test_create_entry_overlap_of_other_person_allowed(app, team):
    log_time(app, team.worker, team.project, start=at(BERLIN, 2026, 3, 24, 9), end=at(BERLIN, 2026, 3, 24, 10))
    entry_id = log_time(app, team.other, team.project, start=at(BERLIN, 2026, 3, 24, 9),
                        end=at(BERLIN, 2026, 3, 24, 10))
    assert load(app, entry_id).duration_seconds == 3600


def test_create_entry_overlap_allowed_by_setting(app, team):
    log_time(app, team.worker, team.project, start=at(BERLIN, 2026, 3, 24, 9), end=at(BERLIN, 2026, 3, 24, 10))
    with acting_as(app, team.manager):
        company.set_value("allow_overlapping_entries", True)
    entry_id = log_time(app, team.worker, team.project, start=at(BERLIN, 2026, 3, 24, 9, 30),
                        end=at(BERLIN, 2026, 3, 24, 10, 30))
    assert load(app, entry_id).duration_seconds == 3600


def test_create_entry_overlap_check_can_be_skipped(app, team):
    log_time(app, team.worker, team.project, start=at(BERLIN, 2026, 3, 24, 9), end=at(BERLIN, 2026, 3, 24, 10))
    entry_id = log_time(app, team.worker, team.project, start=at(BERLIN, 2026, 3, 24, 9),
                        end=at(BERLIN, 2026, 3, 24, 10), check_overlap=False)
    assert load(app, entry_id) is not None


@pytest.mark.parametrize(
    ("fields", "field", "fragment"),
    [
        ({"start": at(BERLIN, 2026, 3, 24, 9), "end": at(BERLIN, 2026, 3, 24, 9)}, "duration", "not more than zero"),
        ({"start": at(BERLIN, 2026, 3, 24, 10), "end": at(BERLIN, 2026, 3, 24, 9)}, "end", "is before the start"),
        ({"work_date": date(2026, 3, 24), "duration_seconds": 0}, "duration", "not more than zero"),
        ({"work_date": date(2026, 3, 24), "duration_seconds": -60}, "duration", "not more than zero"),
        ({"work_date": date(2026, 3, 24), "duration_seconds": 8 * 24 * 3600}, "duration", "longer than one week"),
        ({"start": at(BERLIN, 2026, 3, 24, 9)}, "end", "needs both a start and an end"),
        ({"work_date": date(2026, 3, 24)}, "duration", "give a start and an end, or a date and a duration"),
        ({"start": datetime(2026, 3, 24, 9), "end": datetime(2026, 3, 24, 10)}, "start", "has no time zone"),
        ({"start": at(BERLIN, 2026, 3, 24, 9), "end": at(BERLIN, 2026, 3, 24, 10), "duration_seconds": 3600},
         "duration", "not both"),
        ({"work_date": date(2026, 3, 24), "duration_seconds": 60, "notes": "x" * 5001}, "notes", "too long"),
    ],
)
def test_create_entry_bad_timing_rejected(app, team, fields, field, fragment):
    with pytest.raises(UserError) as caught:
        log_time(app, team.worker, team.project, **fields)
    assert fragment in caught.value.message
    assert caught.value.field == field


def test_create_entry_task_of_other_project_rejected(app, team):
    second = make_project(app, make_client(app, "Other Ltd"), "OTHER-1", members=[team.worker], tasks=("Design",))
    with acting_as(app, team.worker):
        task = db.session.scalar(select(Task).where(Task.project_id == second.id))
        with pytest.raises(UserError) as caught:
            services.create_entry(db.session.get(User, team.worker.id), project=db.session.get(Project, team.project.id),
                                  task=task, work_date=date(2026, 3, 24), duration_seconds=3600)
    assert caught.value.message == "task: 'Design' is not a task of project ACME-1 Project ACME-1"


def test_create_entry_archived_project_rejected(app, team):
    archived = make_project(app, make_client(app, "Old Ltd"), "OLD-1", members=[team.worker], archived=True)
    with pytest.raises(UserError) as caught:
        log_time(app, team.worker, archived, work_date=date(2026, 3, 24), duration_seconds=3600)
    assert "is archived" in caught.value.message


@pytest.mark.parametrize(
    ("billing_method", "task_name", "given", "expected"),
    [
        (BillingMethod.HOURLY, None, None, True),
        (BillingMethod.NON_BILLABLE, None, None, False),
        (BillingMethod.FIXED_FEE, None, None, True),
        (BillingMethod.HOURLY, "Development", None, True),
        (BillingMethod.NON_BILLABLE, "Development", None, False),
        (BillingMethod.HOURLY, None, False, False),
        (BillingMethod.NON_BILLABLE, None, True, True),
    ],
)
def test_create_entry_billable_default(app, make_user, billing_method, task_name, given, expected):
    worker = make_user("wanda", "Worker")
    project = make_project(app, make_client(app), billing_method=billing_method, members=[worker])
    entry_id = log_time(app, worker, project, task_name=task_name, work_date=date(2026, 3, 24),
                        duration_seconds=3600, billable=given)
    assert load(app, entry_id).billable is expected


@pytest.mark.parametrize(
    ("day", "owner_name", "actor_name", "allowed"),
    [
        (date(2026, 3, 31), "worker", None, False),
        (date(2026, 3, 1), "worker", None, False),
        (date(2026, 4, 1), "worker", None, True),
        (date(2026, 3, 31), "manager", None, True),
        (date(2026, 3, 31), "worker", "manager", True),
    ],
)
def test_create_entry_closed_period(app, team, day, owner_name, actor_name, allowed):
    with acting_as(app, team.manager):
        company.set_value("locked_until", "2026-03-31")
    owner = getattr(team, owner_name)
    actor = getattr(team, actor_name) if actor_name else None
    if allowed:
        entry_id = log_time(app, owner, team.project, actor=actor, work_date=day, duration_seconds=3600)
        assert load(app, entry_id).work_date == day
        return
    with pytest.raises(UserError) as caught:
        log_time(app, owner, team.project, actor=actor, work_date=day, duration_seconds=3600)
    assert f"{day.isoformat()} is in a closed period" in caught.value.message
    assert "up to and including 2026-03-31" in caught.value.message


def test_create_entry_import_key_once(app, team):
    log_time(app, team.worker, team.project, work_date=date(2026, 3, 24), duration_seconds=60, import_key="k-1")
    with pytest.raises(ConflictError) as caught:
        log_time(app, team.worker, team.project, work_date=date(2026, 3, 24), duration_seconds=60, import_key="k-1")
    assert "'k-1' was imported before" in caught.value.message


def test_create_entry_audited_with_after_values(app, team):
    entry_id = log_time(app, team.worker, team.project, task_name="Support", start=at(BERLIN, 2026, 3, 24, 9),
                        end=at(BERLIN, 2026, 3, 24, 10, 30), notes="call")
    [event] = events(app, "time_entry.create")
    assert event.object_id == str(entry_id)
    assert event.login == "wanda"
    assert event.details["after"]["duration_seconds"] == 5400
    assert event.details["after"]["notes"] == "call"
    assert event.details["after"]["status"] == "open"


def test_update_entry_audited_with_before_and_after(app, team):
    entry_id = log_time(app, team.worker, team.project, work_date=date(2026, 3, 24), duration_seconds=3600)
    with acting_as(app, team.worker):
        entry = db.session.get(TimeEntry, entry_id)
        services.update_entry(entry, actor=db.session.get(User, team.worker.id), project=entry.project, task=None,
                              work_date=date(2026, 3, 25), duration_seconds=5400, notes="moved")
    [event] = events(app, "time_entry.update")
    assert event.details["before"]["duration_seconds"] == 3600
    assert event.details["after"]["duration_seconds"] == 5400
    assert event.details["before"]["work_date"] == "2026-03-24"
    assert event.details["after"]["work_date"] == "2026-03-25"


def test_update_entry_cannot_leave_closed_period(app, team):
    entry_id = log_time(app, team.worker, team.project, work_date=date(2026, 3, 24), duration_seconds=3600)
    with acting_as(app, team.manager):
        company.set_value("locked_until", "2026-03-31")
    with acting_as(app, team.worker):
        entry = db.session.get(TimeEntry, entry_id)
        with pytest.raises(UserError) as caught:
            services.update_entry(entry, actor=db.session.get(User, team.worker.id), project=entry.project,
                                  task=None, work_date=date(2026, 4, 2), duration_seconds=3600)
    assert "2026-03-24 is in a closed period" in caught.value.message


def test_delete_entry_audited_with_before_values(app, team):
    entry_id = log_time(app, team.worker, team.project, work_date=date(2026, 3, 24), duration_seconds=3600)
    with acting_as(app, team.worker):
        services.delete_entry(db.session.get(TimeEntry, entry_id), actor=db.session.get(User, team.worker.id))
    assert load(app, entry_id) is None
    [event] = events(app, "time_entry.delete")
    assert event.details["before"]["duration_seconds"] == 3600


@pytest.mark.parametrize("status", [EntryStatus.SUBMITTED, EntryStatus.APPROVED])
def test_locked_status_blocks_edit_and_delete(app, team, status):
    entry_id = log_time(app, team.worker, team.project, work_date=date(2026, 3, 24), duration_seconds=3600)
    with app.app_context(), db.transaction():
        db.session.get(TimeEntry, entry_id).status = status
    with acting_as(app, team.worker):
        entry = db.session.get(TimeEntry, entry_id)
        actor = db.session.get(User, team.worker.id)
        with pytest.raises(ConflictError) as caught:
            services.delete_entry(entry, actor=actor)
        assert caught.value.message == f"cannot delete a time entry that is {status.value}"
        with pytest.raises(ConflictError):
            services.set_entry_duration(entry, 60, actor=actor)


def test_visible_entries_scoped_by_role(app, team, make_user):
    make_user("alice", "Account Manager")
    outsider_project = make_project(app, make_client(app, "Else Ltd"), "ELSE-1", members=[team.other])
    own = log_time(app, team.worker, team.project, work_date=date(2026, 3, 24), duration_seconds=60)
    colleague = log_time(app, team.other, team.project, work_date=date(2026, 3, 24), duration_seconds=60)
    elsewhere = log_time(app, team.other, outsider_project, work_date=date(2026, 3, 24), duration_seconds=60)
    expected = {"wanda": {own}, "mark": {own, colleague}, "alice": {own, colleague, elsewhere}}
    with app.app_context():
        for login, ids in expected.items():
            user = db.session.scalar(select(User).where(User.login == login))
            visible = set(db.session.scalars(services.visible_entries_query(user).with_only_columns(TimeEntry.id)))
            assert visible == ids, login


def _entry_form(client, token, **fields):
    data = {"csrf_token": token, "project": "", "work_date": "", "start": "", "end": "", "duration": "",
            "notes": "", "billable": ""}
    data.update(fields)
    return client.post("/time/entries/new", data=data)


def test_entry_form_crossing_midnight_counts_on_start_day(app, client, team):
    sign_in(client, "wanda")
    token = csrf_token(client, "/time/entries/new")
    response = _entry_form(client, token, project=f"{team.project.id}:", work_date="2026-03-24", start="23:00",
                           end="01:00", notes="release")
    assert response.status_code == 302
    with app.app_context():
        entry = db.session.scalar(select(TimeEntry))
        assert entry.work_date == date(2026, 3, 24)
        assert entry.duration_seconds == 7200
    page = client.get("/time/entries/?week=2026-W13").get_data(as_text=True)
    assert "2:00" in page
    assert "23:00" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"work_date": "2026-03-29", "start": "02:30", "end": "04:00"},
         "02:30 does not exist on 2026-03-29 in Europe/Berlin"),
        ({"work_date": "2026-02-30", "duration": "1:00"}, "&#39;2026-02-30&#39; is not a date"),
        ({"work_date": "2026-03-24", "duration": "abc"}, "&#39;abc&#39; is not a duration"),
        ({"work_date": "2026-03-24", "start": "25:00", "end": "26:00"}, "&#39;25:00&#39; is not a time of day"),
        ({"work_date": "2026-03-24", "start": "09:00"}, "give an end time or a duration"),
        ({"work_date": "2026-03-24", "start": "09:00", "end": "09:00"}, "is not more than zero"),
        ({"work_date": "2026-03-24", "duration": "1:00", "project": "99999:"}, "not open for your time"),
        ({"work_date": "2026-03-24", "duration": "1:00", "project": "99999999999999999999:"},
         "is not a project choice"),
    ],
)
def test_entry_form_bad_input_shows_message(app, client, team, fields, message):
    sign_in(client, "wanda")
    token = csrf_token(client, "/time/entries/new")
    response = _entry_form(client, token, **({"project": f"{team.project.id}:"} | fields))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(TimeEntry.id)) is None


def test_entry_form_start_and_duration(app, client, team):
    sign_in(client, "wanda")
    token = csrf_token(client, "/time/entries/new")
    response = _entry_form(client, token, project=f"{team.project.id}:", work_date="2026-03-24", start="09:15",
                           duration="90m")
    assert response.status_code == 302
    with app.app_context():
        entry = db.session.scalar(select(TimeEntry))
        assert entry.end_at.astimezone(BERLIN).strftime("%H:%M") == "10:45"


def test_edit_entry_page_prefilled_and_saved(app, client, team):
    entry_id = log_time(app, team.worker, team.project, start=at(BERLIN, 2026, 3, 24, 9),
                        end=at(BERLIN, 2026, 3, 24, 10))
    sign_in(client, "wanda")
    page = client.get(f"/time/entries/{entry_id}/edit").get_data(as_text=True)
    assert 'value="09:00"' in page
    assert 'value="10:00"' in page
    token = csrf_token(client, f"/time/entries/{entry_id}/edit")
    response = client.post(f"/time/entries/{entry_id}/edit", data={
        "csrf_token": token, "project": f"{team.project.id}:", "work_date": "2026-03-24", "start": "09:00",
        "end": "11:00", "duration": "", "notes": "longer", "billable": "no"})
    assert response.status_code == 302
    entry = load(app, entry_id)
    assert entry.duration_seconds == 7200
    assert entry.billable is False


def test_other_workers_entry_not_found(app, client, team):
    entry_id = log_time(app, team.other, team.project, work_date=date(2026, 3, 24), duration_seconds=3600)
    sign_in(client, "wanda")
    token = csrf_token(client, "/time/entries/new")
    assert client.get(f"/time/entries/{entry_id}/edit").status_code == 404
    assert client.post(f"/time/entries/{entry_id}/edit", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/time/entries/{entry_id}/delete", data={"csrf_token": token}).status_code == 404
    assert load(app, entry_id) is not None


def test_manager_cannot_edit_workers_entry(app, client, team):
    entry_id = log_time(app, team.worker, team.project, work_date=date(2026, 3, 24), duration_seconds=3600)
    sign_in(client, "mark")
    token = csrf_token(client, "/time/entries/new")
    assert client.get(f"/time/entries/{entry_id}/edit").status_code == 403
    assert client.post(f"/time/entries/{entry_id}/delete", data={"csrf_token": token}).status_code == 403
    assert load(app, entry_id) is not None


def test_delete_entry_page_removes_entry(app, client, team):
    entry_id = log_time(app, team.worker, team.project, work_date=date(2026, 3, 24), duration_seconds=3600)
    sign_in(client, "wanda")
    token = csrf_token(client, "/time/entries/?week=2026-W13")
    response = client.post(f"/time/entries/{entry_id}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    assert load(app, entry_id) is None
    assert "The entry was deleted." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_entry_list_shows_empty_week(client, team):
    sign_in(client, "wanda")
    page = client.get("/time/entries/?week=2026-W13").get_data(as_text=True)
    assert "No entries in this week." in page
    assert "2026-03-23 to 2026-03-29" in page
