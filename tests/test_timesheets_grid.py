"""The week grid: cell formats, all-or-nothing saves, closed days, totals and query counts."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app import company, db
from app.models import AuditEvent, EntryStatus, Project, Task, TimeEntry, User
from app.timesheets import services
from tests.conftest import acting_as, csrf_token, sign_in
from tests.factories import count_queries, make_client, make_project

BERLIN = ZoneInfo("Europe/Berlin")
WEEK = "2026-W13"  # Monday 2026-03-23 to Sunday 2026-03-29
MONDAY = date(2026, 3, 23)


@pytest.fixture
def team(app, make_user):
    worker = make_user("wanda", "Worker")
    manager = make_user("mark", "Project Manager")
    project = make_project(app, make_client(app), "ACME-1", name="Website", manager=manager, members=[worker],
                           tasks=("Development", "Support"))
    with app.app_context():
        task_ids = dict(db.session.execute(select(Task.name, Task.id).where(Task.project_id == project.id)).all())
    return SimpleNamespace(worker=worker, manager=manager, project=project, tasks=task_ids,
                           row=f"{project.id}:{task_ids['Development']}")


def log_time(app, user, project, task_id=None, **fields) -> int:
    with acting_as(app, user):
        entry = services.create_entry(db.session.get(User, user.id), project=db.session.get(Project, project.id),
                                      task=db.session.get(Task, task_id) if task_id else None, **fields)
        return entry.id


def entries(app) -> list[TimeEntry]:
    with app.app_context():
        return list(db.session.scalars(select(TimeEntry).order_by(TimeEntry.work_date, TimeEntry.id)))


def post_grid(client, rows: dict[str, dict[int, str]], week: str = WEEK):
    """Post the grid with ``rows`` as {row key: {day index: text}}."""
    data = {"csrf_token": csrf_token(client, f"/time/?week={week}"), "week": week}
    for index, (key, cells) in enumerate(rows.items()):
        data[f"row-{index}"] = key
        for day, text in cells.items():
            data[f"cell-{index}-{day}"] = text
    return client.post("/time/grid", data=data)


def close_until(app, user, day: str) -> None:
    with acting_as(app, user):
        company.set_value("locked_until", day)


@pytest.mark.parametrize("text", ["1:30", "1.5", "1,5", "90m", "1h30m", "1h 30m", " 1:30 "])
def test_grid_cell_formats(app, client, team, text):
    sign_in(client, "wanda")
    response = post_grid(client, {team.row: {1: text}})
    assert response.status_code == 302
    [entry] = entries(app)
    assert entry.duration_seconds == 5400
    assert entry.work_date == date(2026, 3, 24)
    assert entry.start_at is None
    assert entry.task_id == team.tasks["Development"]


def test_grid_bad_cell_saves_nothing(app, client, team):
    sign_in(client, "wanda")
    response = post_grid(client, {team.row: {0: "2:00", 1: "abc", 2: "-1"}})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Tue 2026-03-24, ACME-1 Website / Development: &#39;abc&#39; is not a duration" in page
    assert "Wed 2026-03-25, ACME-1 Website / Development: &#39;-1&#39; is not more than zero" in page
    assert "Nothing was changed:" in page
    assert 'value="abc"' in page
    assert entries(app) == []


def test_grid_creates_updates_and_clears(app, client, team):
    sign_in(client, "wanda")
    assert post_grid(client, {team.row: {0: "1:00", 1: "2"}}).status_code == 302
    first = {entry.work_date: entry.id for entry in entries(app)}
    assert post_grid(client, {team.row: {0: "2:30", 1: ""}}).status_code == 302
    [entry] = entries(app)
    assert entry.id == first[date(2026, 3, 23)]
    assert entry.duration_seconds == 9000
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("time_entry.%"))
                                          .order_by(AuditEvent.id)))
    assert actions == ["time_entry.create", "time_entry.create", "time_entry.update", "time_entry.delete"]


def test_grid_unchanged_cells_untouched(app, client, team):
    log_time(app, team.worker, team.project, team.tasks["Development"], work_date=MONDAY, duration_seconds=3615)
    sign_in(client, "wanda")
    page = client.get(f"/time/?week={WEEK}").get_data(as_text=True)
    assert 'value="1:00"' in page
    response = post_grid(client, {team.row: {0: "1:00"}})
    assert response.status_code == 302
    assert "Nothing changed in the grid." in client.get(response.headers["Location"]).get_data(as_text=True)
    [entry] = entries(app)
    assert entry.duration_seconds == 3615


def test_grid_sums_timed_entries(app, client, team):
    log_time(app, team.worker, team.project, team.tasks["Development"],
             start=datetime(2026, 3, 23, 9, tzinfo=BERLIN), end=datetime(2026, 3, 23, 11, tzinfo=BERLIN))
    sign_in(client, "wanda")
    page = client.get(f"/time/?week={WEEK}").get_data(as_text=True)
    assert 'value="2:00"' in page
    assert "Includes 2:00 logged with start and end times" in page
    assert post_grid(client, {team.row: {0: "3:00"}}).status_code == 302
    timed, added = entries(app)
    assert timed.duration_seconds == 7200
    assert timed.start_at is not None
    assert added.duration_seconds == 3600
    assert added.start_at is None
    response = post_grid(client, {team.row: {0: "1:00"}})
    assert response.status_code == 400
    assert "is less than the 2:00 logged with start and end times" in response.get_data(as_text=True)
    assert post_grid(client, {team.row: {0: ""}}).status_code == 302
    assert [entry.duration_seconds for entry in entries(app)] == [7200]


def test_grid_shows_hours_past_a_day(app, client, team):
    log_time(app, team.worker, team.project, work_date=MONDAY, duration_seconds=30 * 3600)
    sign_in(client, "wanda")
    page = client.get(f"/time/?week={WEEK}").get_data(as_text=True)
    assert 'value="30:00"' in page
    assert re.search(r'data-day-total="0">30:00<', page)
    assert re.search(r"data-week-total>30:00<", page)


def test_grid_dst_day_holds_25_hours(app, client, team):
    log_time(app, team.worker, team.project, start=datetime(2026, 10, 25, tzinfo=BERLIN),
             end=datetime(2026, 10, 26, tzinfo=BERLIN))
    sign_in(client, "wanda")
    page = client.get("/time/?date=2026-10-25").get_data(as_text=True)
    assert "Week 2026-W43" in page
    assert re.search(r'data-day-total="6">25:00<', page)


def test_grid_partly_closed_week(app, client, team):
    close_until(app, team.manager, "2026-03-25")
    sign_in(client, "wanda")
    page = client.get(f"/time/?week={WEEK}&row={team.row}").get_data(as_text=True)
    assert 'name="cell-0-2"' not in page
    assert 'name="cell-0-3"' in page
    assert "Read-only: the period is closed up to 2026-03-25" in page
    assert post_grid(client, {team.row: {3: "4:00"}}).status_code == 302
    assert [(e.work_date, e.duration_seconds) for e in entries(app)] == [(date(2026, 3, 26), 14400)]
    response = post_grid(client, {team.row: {2: "1:00", 4: "1:00"}})
    assert response.status_code == 400
    assert ("Wed 2026-03-25, ACME-1 Website / Development: &#39;1:00&#39; was not saved because the cell is "
            "read-only (the period is closed up to 2026-03-25)") in response.get_data(as_text=True)
    assert len(entries(app)) == 1


def test_grid_closed_days_editable_with_reopen_permission(app, client, team):
    close_until(app, team.manager, "2026-03-25")
    sign_in(client, "mark")
    assert post_grid(client, {team.row: {0: "1:00"}}).status_code == 302
    assert entries(app)[0].work_date == MONDAY


def test_grid_rejects_foreign_project_row(app, client, team):
    foreign = make_project(app, make_client(app, "Else Ltd"), "ELSE-1")
    sign_in(client, "wanda")
    response = post_grid(client, {f"{foreign.id}:": {0: "1:00"}, "garbage": {0: "1:00"}})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "row 1: the project or task is not open for your time" in page
    assert "row 2: &#39;garbage&#39; is not a project choice" in page
    assert entries(app) == []


def test_grid_rejects_duplicate_rows(app, client, team):
    sign_in(client, "wanda")
    data = {"csrf_token": csrf_token(client, "/time/"), "week": WEEK, "row-0": team.row, "row-1": team.row,
            "cell-0-0": "1", "cell-1-0": "2"}
    response = client.post("/time/grid", data=data)
    assert response.status_code == 400
    assert "row 2: the same project and task appear twice" in response.get_data(as_text=True)
    assert entries(app) == []


def test_grid_submitted_week_read_only(app, client, team):
    log_time(app, team.worker, team.project, team.tasks["Development"], work_date=MONDAY, duration_seconds=3600)
    sign_in(client, "wanda")
    client.post("/time/submit", data={"csrf_token": csrf_token(client, "/time/"), "week": WEEK})
    page = client.get(f"/time/?week={WEEK}").get_data(as_text=True)
    assert "Save week" not in page
    assert 'name="cell-0-0"' not in page
    response = post_grid(client, {team.row: {0: "5:00"}})
    assert response.status_code == 400
    assert "the week is submitted; withdraw the week&#39;s submission first" in response.get_data(as_text=True)
    assert [e.duration_seconds for e in entries(app)] == [3600]


def test_grid_add_row_and_copy_last_week(app, client, team):
    support = f"{team.project.id}:{team.tasks['Support']}"
    log_time(app, team.worker, team.project, team.tasks["Support"], work_date=MONDAY - timedelta(days=7),
             duration_seconds=3600)
    sign_in(client, "wanda")
    empty = client.get(f"/time/?week={WEEK}").get_data(as_text=True)
    assert "No time in this week yet." in empty
    added = client.get(f"/time/?week={WEEK}&row={team.row}").get_data(as_text=True)
    assert f'name="row-0" value="{team.row}"' in added
    copied = client.get(f"/time/?week={WEEK}&copy=1").get_data(as_text=True)
    assert f'name="row-0" value="{support}"' in copied
    assert "ACME-1 Website / Support" in copied
    assert 'name="cell-0-0" value=""' in copied
    assert len(entries(app)) == 1


def test_grid_cells_carry_keyboard_coordinates(client, team):
    sign_in(client, "wanda")
    page = client.get(f"/time/?week={WEEK}&row={team.row}").get_data(as_text=True)
    assert 'data-row="0" data-col="6"' in page
    assert "js/timesheets.js" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [("week=2026-W99", "&#39;2026-W99&#39; does not exist"), ("date=2026-02-30", "is not a date"),
     ("week=next", "is not a week"), ("row=1:2:3", "is not a project choice")],
)
def test_grid_bad_query_explained(client, team, query, message):
    sign_in(client, "wanda")
    response = client.get(f"/time/?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def _fill_week(app, team, count: int) -> None:
    with acting_as(app, team.worker):
        owner = db.session.get(User, team.worker.id)
        project = db.session.get(Project, team.project.id)
        tasks = [None, *project.tasks]
        for number in range(count):
            services.create_entry(owner, project=project, task=tasks[number % 3],
                                  work_date=MONDAY + timedelta(days=number % 7), duration_seconds=600 + number)


def test_week_page_query_count_constant(app, client, team, make_user):
    sign_in(client, "wanda")
    _fill_week(app, team, 5)
    with count_queries(app) as few:
        assert client.get(f"/time/?week={WEEK}").status_code == 200
    _fill_week(app, team, 45)
    with count_queries(app) as many:
        page = client.get(f"/time/?week={WEEK}")
    assert page.status_code == 200
    assert len(entries(app)) == 50
    assert many.count == few.count


def test_entry_list_query_count_constant(app, client, team):
    sign_in(client, "wanda")
    _fill_week(app, team, 5)
    with count_queries(app) as few:
        client.get(f"/time/entries/?week={WEEK}")
    _fill_week(app, team, 45)
    with count_queries(app) as many:
        client.get(f"/time/entries/?week={WEEK}")
    assert many.count == few.count


def test_rejected_entry_editable_in_grid(app, client, team):
    entry_id = log_time(app, team.worker, team.project, team.tasks["Development"], work_date=MONDAY,
                        duration_seconds=3600)
    with app.app_context(), db.transaction():
        entry = db.session.get(TimeEntry, entry_id)
        entry.status = EntryStatus.REJECTED
        entry.rejection_comment = "Which ticket?"
    sign_in(client, "wanda")
    page = client.get(f"/time/?week={WEEK}").get_data(as_text=True)
    assert "Rejected time to correct" in page
    assert "Which ticket?" in page
    assert post_grid(client, {team.row: {0: "0:45"}}).status_code == 302
    [entry] = entries(app)
    assert entry.duration_seconds == 2700
    assert entry.status == EntryStatus.REJECTED
