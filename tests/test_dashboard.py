from datetime import datetime, timedelta, timezone

from app import db
from app.models import EntryStatus, TimeEntry
from tests.conftest import sign_in
from tests.factories import count_queries, make_client, make_project


def _entries(app, user, project, count, status=EntryStatus.OPEN):
    today = datetime.now(timezone.utc).date()
    with app.app_context(), db.transaction():
        for i in range(count):
            db.session.add(TimeEntry(user_id=user.id, project_id=project.id, timezone="UTC",
                                     work_date=today - timedelta(days=today.weekday()), duration_seconds=1800,
                                     status=status, billable=True))


def test_dashboard_worker_sees_week_total(app, client, make_user):
    worker = make_user("wanda", "Worker", timezone="UTC")
    project = make_project(app, make_client(app), members=[worker])
    _entries(app, worker, project, 3)
    sign_in(client, "wanda")
    page = client.get("/").get_data(as_text=True)
    assert "My week from" in page
    assert "1:30" in page
    assert "Waiting for my approval" not in page
    assert "Billing" not in page


def test_dashboard_manager_sees_waiting_approvals(app, client, make_user):
    worker = make_user("wanda", "Worker", timezone="UTC")
    manager = make_user("pete", "Project Manager", timezone="UTC")
    project = make_project(app, make_client(app), manager=manager, members=[worker], budget_seconds=3600)
    _entries(app, worker, project, 4, EntryStatus.SUBMITTED)
    sign_in(client, "pete")
    page = client.get("/").get_data(as_text=True)
    assert '<span class="stat">4</span> time entries from 1 person' in page
    assert "200 %" in page


def test_dashboard_account_manager_sees_unbilled_work(app, client, make_user):
    worker = make_user("wanda", "Worker", timezone="UTC")
    make_user("anna", "Account Manager", timezone="UTC")
    project = make_project(app, make_client(app, "Globex Ltd"), members=[worker])
    _entries(app, worker, project, 2, EntryStatus.APPROVED)
    sign_in(client, "anna")
    page = client.get("/").get_data(as_text=True)
    assert "Globex Ltd</td><td class=\"num\">1:00" in page


def test_dashboard_query_count_constant(app, client, make_user):
    worker = make_user("wanda", "Administrator", timezone="UTC")
    project = make_project(app, make_client(app), manager=worker, members=[worker])
    sign_in(client, "wanda")
    _entries(app, worker, project, 2)
    with count_queries(app) as few:
        assert client.get("/").status_code == 200
    _entries(app, worker, project, 40)
    with count_queries(app) as many:
        assert client.get("/").status_code == 200
    assert many.count == few.count
