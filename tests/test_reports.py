from datetime import date

import pytest

from app import db
from app.models import EntryStatus, Project, TimeEntry
from tests.conftest import sign_in
from tests.factories import count_queries, make_client, make_project


def _entry(app, user, project, day, seconds, *, billable=True, status=EntryStatus.APPROVED):
    with app.app_context(), db.transaction():
        task_id = db.session.get(Project, project.id).tasks[0].id
        db.session.add(TimeEntry(user_id=user.id, project_id=project.id, task_id=task_id,
                                 timezone="UTC", work_date=day, duration_seconds=seconds, billable=billable,
                                 status=status))


def test_report_groups_by_project_with_value_and_cost(app, client, make_user):
    manager = make_user("pete", "Project Manager", default_rate_minor=5000, cost_rate_minor=4000)
    worker = make_user("wanda", "Worker", cost_rate_minor=3000)
    project = make_project(app, make_client(app), "WEB", manager=manager, members=[worker, manager],
                           hourly_rate_minor=10000)
    _entry(app, worker, project, date(2026, 3, 2), 5400)
    _entry(app, worker, project, date(2026, 3, 3), 1800, billable=False)
    _entry(app, manager, project, date(2026, 3, 4), 3600, status=EntryStatus.SUBMITTED)
    _entry(app, worker, project, date(2026, 4, 1), 3600)
    sign_in(client, "pete")
    page = client.get("/reports/", query_string={"start": "2026-03-01", "end": "2026-03-31"}).get_data(as_text=True)
    assert "<td>WEB Project WEB</td><td class=\"num\">3:00</td><td class=\"num\">2:30</td>" in page
    # Value 2.5 h x 100.00; cost 2 h x 30.00 + 1 h x 40.00.
    assert "€250.00" in page
    assert "€100.00" in page
    assert "€150.00" in page


def test_report_worker_without_permission_is_refused(app, client, make_user):
    make_user("wanda", "Worker")
    sign_in(client, "wanda")
    assert client.get("/reports/").status_code == 403


@pytest.mark.parametrize(("query", "message"), [
    ({"start": "2026-02-30"}, "start: &#39;2026-02-30&#39; is not a date"),
    ({"start": "2026-03-10", "end": "2026-03-01"}, "is before the start"),
    ({"group": "planet"}, "not a grouping"),
    ({"start": "2020-01-01", "end": "2026-01-01"}, "longer than three years"),
])
def test_report_rejects_bad_filters(app, client, make_user, query, message):
    make_user("pete", "Project Manager")
    sign_in(client, "pete")
    response = client.get("/reports/", query_string=query)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_report_query_count_constant(app, client, make_user):
    admin = make_user("ada", "Administrator")
    customer = make_client(app)
    projects = [make_project(app, customer, f"P{i}", members=[admin]) for i in range(6)]
    sign_in(client, "ada")
    _entry(app, admin, projects[0], date(2026, 3, 2), 3600)
    with count_queries(app) as few:
        client.get("/reports/", query_string={"start": "2026-03-01", "end": "2026-03-31", "group": "person"})
    for index, project in enumerate(projects):
        _entry(app, admin, project, date(2026, 3, 3 + index), 3600)
    with count_queries(app) as many:
        client.get("/reports/", query_string={"start": "2026-03-01", "end": "2026-03-31", "group": "person"})
    assert many.count == few.count
