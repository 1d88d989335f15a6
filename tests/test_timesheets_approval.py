"""Weekly submission, approval per project, rejection, reopening and the approvals page."""
from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app import db
from app.errors import UserError
from app.models import (
    ApprovalDecision, AuditEvent, EntryStatus, Invoice, Project, SecurityProfile, TimeEntry, Timesheet, TimesheetStatus, User,
)
from app.timesheets import services
from tests.conftest import acting_as, csrf_token, sign_in
from tests.factories import count_queries, make_client, make_project

WEEK = "2026-W13"
MONDAY = date(2026, 3, 23)


@pytest.fixture
def team(app, make_user):
    worker = make_user("wanda", "Worker", name="Wanda Worker")
    mark = make_user("mark", "Project Manager")
    mary = make_user("mary", "Project Manager")
    customer = make_client(app)
    alpha = make_project(app, customer, "ALPHA", manager=mark, members=[worker])
    beta = make_project(app, customer, "BETA", manager=mary, members=[worker])
    return SimpleNamespace(worker=worker, mark=mark, mary=mary, alpha=alpha, beta=beta)


def log_day(app, user, project, day_offset: int, seconds: int = 3600) -> int:
    with acting_as(app, user):
        entry = services.create_entry(db.session.get(User, user.id), project=db.session.get(Project, project.id),
                                      work_date=MONDAY + timedelta(days=day_offset), duration_seconds=seconds)
        return entry.id


def post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/"), **data})


def submit(client, login, week=WEEK):
    sign_in(client, login)
    return post(client, "/time/submit", week=week)


def timesheet(app, login="wanda") -> Timesheet:
    with app.app_context():
        return db.session.scalar(select(Timesheet).join(User).where(User.login == login))


def statuses(app) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(select(Project.code, TimeEntry.status).join(Project)
                                  .order_by(TimeEntry.id))
        return {code: status.value for code, status in rows}


def audit_actions(app, prefix="timesheet.") -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.startswith(prefix))
                                       .order_by(AuditEvent.id)))


def part_url(app, project, verb, login="wanda"):
    return f"/approvals/{timesheet(app, login).id}/{project.id}/{verb}"


@pytest.fixture
def submitted(app, client, team):
    log_day(app, team.worker, team.alpha, 0)
    log_day(app, team.worker, team.beta, 1)
    assert submit(client, "wanda").status_code == 302
    client.get("/logout")
    return team


def test_submit_week_marks_entries_submitted(app, client, submitted):
    sheet = timesheet(app)
    assert sheet.status == TimesheetStatus.SUBMITTED
    assert sheet.week_start == MONDAY
    assert statuses(app) == {"ALPHA": "submitted", "BETA": "submitted"}
    with app.app_context():
        assert set(db.session.scalars(select(TimeEntry.timesheet_id))) == {sheet.id}
    [event] = [e for e in _events(app, "timesheet.submit")]
    assert event.details["before"] == {"status": "open"}
    assert event.details["after"]["status"] == "submitted"


def _events(app, action):
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_submit_empty_week_rejected(app, client, team):
    response = submit(client, "wanda")
    assert response.status_code == 400
    assert "week 2026-W13: there is no time to submit" in response.get_data(as_text=True)
    assert timesheet(app) is None


def test_submit_twice_rejected(app, client, submitted):
    response = submit(client, "wanda")
    assert response.status_code == 400
    assert "cannot submit a timesheet that is submitted" in response.get_data(as_text=True)


def test_submitted_week_blocks_new_entries(app, submitted):
    with pytest.raises(UserError) as caught:
        log_day(app, submitted.worker, submitted.alpha, 2)
    assert caught.value.message == "work_date: the week 2026-W13 is submitted; withdraw the week's submission first"


def test_approvals_page_lists_only_managed_projects(app, client, submitted):
    sign_in(client, "mark")
    page = client.get("/approvals/").get_data(as_text=True)
    assert "Wanda Worker" in page
    assert "ALPHA Project ALPHA" in page
    assert "BETA" not in page


def test_approvals_page_all_projects_scope(app, client, submitted, make_user):
    make_user("ada", "Administrator")
    sign_in(client, "ada")
    page = client.get("/approvals/").get_data(as_text=True)
    assert "ALPHA Project ALPHA" in page
    assert "BETA Project BETA" in page


def test_approvals_page_needs_permission(client, submitted):
    sign_in(client, "wanda")
    assert client.get("/approvals/").status_code == 403


def test_approvals_page_empty_state(client, team):
    sign_in(client, "mark")
    assert "Nothing waits for your approval." in client.get("/approvals/").get_data(as_text=True)


def test_approve_each_part_then_week_approved(app, client, submitted):
    sign_in(client, "mark")
    response = post(client, part_url(app, submitted.alpha, "approve"), comment="fine")
    assert response.status_code == 302
    assert statuses(app) == {"ALPHA": "approved", "BETA": "submitted"}
    assert timesheet(app).status == TimesheetStatus.SUBMITTED
    with app.app_context():
        alpha_entry = db.session.scalar(select(TimeEntry).where(TimeEntry.project_id == submitted.alpha.id))
        assert alpha_entry.approved_by_id == submitted.mark.id
        assert alpha_entry.approved_at is not None
    sign_in(client, "mary")
    assert post(client, part_url(app, submitted.beta, "approve")).status_code == 302
    assert timesheet(app).status == TimesheetStatus.APPROVED
    assert audit_actions(app) == ["timesheet.submit", "timesheet.approve", "timesheet.approve"]
    last = _events(app, "timesheet.approve")[-1]
    assert last.details["before"]["status"] == "submitted"
    assert last.details["after"]["status"] == "approved"
    assert list(last.details["after"]["entries"].values()) == ["approved"]


def test_manager_cannot_decide_foreign_project(app, client, submitted):
    sign_in(client, "mark")
    assert post(client, part_url(app, submitted.beta, "approve")).status_code == 404
    assert post(client, part_url(app, submitted.beta, "reject"), comment="no").status_code == 404
    assert post(client, f"/approvals/999999/{submitted.alpha.id}/approve").status_code == 404
    assert statuses(app) == {"ALPHA": "submitted", "BETA": "submitted"}


def test_reject_needs_comment(app, client, submitted):
    sign_in(client, "mark")
    response = post(client, part_url(app, submitted.alpha, "reject"), comment="  ")
    assert response.status_code == 400
    assert "comment: a comment is required so the worker knows what to change" in response.get_data(as_text=True)
    assert statuses(app)["ALPHA"] == "submitted"


def test_reject_returns_entries_to_worker(app, client, submitted):
    sign_in(client, "mark")
    assert post(client, part_url(app, submitted.alpha, "reject"), comment="Add the ticket number").status_code == 302
    assert statuses(app) == {"ALPHA": "rejected", "BETA": "submitted"}
    assert timesheet(app).status == TimesheetStatus.REJECTED
    sign_in(client, "wanda")
    page = client.get(f"/time/?week={WEEK}").get_data(as_text=True)
    assert "Add the ticket number" in page
    assert "Rejected time to correct" in page
    assert "Submit week for approval" in page
    with app.app_context():
        rejected_id = db.session.scalar(select(TimeEntry.id).where(TimeEntry.project_id == submitted.alpha.id))
    edit = client.get(f"/time/entries/{rejected_id}/edit").get_data(as_text=True)
    assert "Rejected: Add the ticket number" in edit
    assert post(client, "/time/submit", week=WEEK).status_code == 302
    assert statuses(app) == {"ALPHA": "submitted", "BETA": "submitted"}
    assert timesheet(app).status == TimesheetStatus.SUBMITTED
    with app.app_context():
        decisions = list(db.session.scalars(select(ApprovalDecision.decision)))
    assert decisions == ["reject"]


def test_reject_is_audited(app, client, submitted):
    sign_in(client, "mark")
    post(client, part_url(app, submitted.alpha, "reject"), comment="Split by ticket")
    [event] = _events(app, "timesheet.reject")
    assert event.login == "mark"
    assert event.details["comment"] == "Split by ticket"
    assert event.details["project_id"] == submitted.alpha.id
    assert list(event.details["before"]["entries"].values()) == ["submitted"]
    assert list(event.details["after"]["entries"].values()) == ["rejected"]
    assert event.details["after"]["status"] == "rejected"


def test_deleted_rejected_time_lets_week_finish(app, client, submitted):
    sign_in(client, "mark")
    post(client, part_url(app, submitted.alpha, "reject"), comment="Not ours")
    with app.app_context():
        rejected_id = db.session.scalar(select(TimeEntry.id).where(TimeEntry.project_id == submitted.alpha.id))
    sign_in(client, "wanda")
    assert post(client, f"/time/entries/{rejected_id}/delete").status_code == 302
    sign_in(client, "mary")
    assert post(client, part_url(app, submitted.beta, "approve")).status_code == 302
    assert timesheet(app).status == TimesheetStatus.APPROVED
    assert statuses(app) == {"BETA": "approved"}


def test_approved_entry_locked_for_worker(app, client, submitted):
    sign_in(client, "mark")
    post(client, part_url(app, submitted.alpha, "approve"))
    with app.app_context():
        entry_id = db.session.scalar(select(TimeEntry.id).where(TimeEntry.project_id == submitted.alpha.id))
    sign_in(client, "wanda")
    assert "is approved and cannot be changed" in client.get(f"/time/entries/{entry_id}/edit").get_data(as_text=True)
    response = post(client, f"/time/entries/{entry_id}/delete")
    assert response.status_code == 409
    assert "cannot delete a time entry that is approved" in response.get_data(as_text=True)


def _approve_all(app, client, team):
    sign_in(client, "mark")
    post(client, part_url(app, team.alpha, "approve"))
    sign_in(client, "mary")
    post(client, part_url(app, team.beta, "approve"))


def test_reopen_needs_reason(app, client, submitted):
    _approve_all(app, client, submitted)
    sign_in(client, "mark")
    response = post(client, part_url(app, submitted.alpha, "reopen"), reason="")
    assert response.status_code == 400
    assert "reason: a reason is required" in response.get_data(as_text=True)
    assert statuses(app)["ALPHA"] == "approved"


def test_reopen_opens_entries_and_week(app, client, submitted):
    _approve_all(app, client, submitted)
    sign_in(client, "mark")
    page = client.get("/approvals/?status=approved").get_data(as_text=True)
    assert "Reason for reopening" in page
    response = post(client, part_url(app, submitted.alpha, "reopen"), reason="Wrong project")
    assert response.status_code == 302
    assert statuses(app) == {"ALPHA": "open", "BETA": "approved"}
    assert timesheet(app).status == TimesheetStatus.OPEN
    with app.app_context():
        entry = db.session.scalar(select(TimeEntry).where(TimeEntry.project_id == submitted.alpha.id))
        assert entry.approved_by_id is None
        assert entry.approved_at is None
    [event] = _events(app, "timesheet.reopen")
    assert event.details["comment"] == "Wrong project"
    assert event.details["before"]["status"] == "approved"
    assert event.details["after"]["status"] == "open"
    [(before, after)] = zip(event.details["before"]["entries"].values(), event.details["after"]["entries"].values())
    assert before["status"] == "approved"
    assert before["approved_by_id"] == submitted.mark.id
    assert after == {"status": "open", "approved_by_id": None, "approved_at": None}


def test_reopen_rejects_invoiced_entries(app, client, submitted):
    _approve_all(app, client, submitted)
    with app.app_context(), db.transaction():
        project = db.session.get(Project, submitted.alpha.id)
        invoice = Invoice(client_id=project.client_id, currency="EUR")
        db.session.add(invoice)
        db.session.flush()
        entry = db.session.scalar(select(TimeEntry).where(TimeEntry.project_id == project.id))
        entry.invoice_id = invoice.id
        entry_id = entry.id
    sign_in(client, "mark")
    response = post(client, part_url(app, submitted.alpha, "reopen"), reason="typo")
    assert response.status_code == 400
    assert f"time entries {entry_id} are on an invoice and cannot be reopened" in response.get_data(as_text=True)
    assert statuses(app)["ALPHA"] == "approved"
    assert _events(app, "timesheet.reopen") == []


def test_reopen_needs_permission(app, client, submitted, make_user):
    _approve_all(app, client, submitted)
    with app.app_context(), db.transaction():
        profile = db.session.scalar(select(SecurityProfile).where(SecurityProfile.name == "Project Manager"))
        profile.permissions = [p for p in profile.permissions if p.permission != "time.reopen"]
    sign_in(client, "mark")
    assert post(client, part_url(app, submitted.alpha, "reopen"), reason="x").status_code == 403
    assert statuses(app)["ALPHA"] == "approved"


def test_withdraw_returns_week_to_open(app, client, submitted):
    sign_in(client, "wanda")
    assert post(client, "/time/withdraw", week=WEEK).status_code == 302
    assert timesheet(app).status == TimesheetStatus.OPEN
    assert statuses(app) == {"ALPHA": "open", "BETA": "open"}
    assert audit_actions(app) == ["timesheet.submit", "timesheet.withdraw"]
    again = post(client, "/time/withdraw", week=WEEK)
    assert again.status_code == 400
    assert "cannot withdraw a timesheet that is open" in again.get_data(as_text=True)


def test_decision_after_withdraw_conflicts(app, client, submitted):
    url = part_url(app, submitted.alpha, "approve")
    sign_in(client, "wanda")
    post(client, "/time/withdraw", week=WEEK)
    sign_in(client, "mark")
    response = post(client, url)
    assert response.status_code == 400
    assert "has no time waiting for approval" in response.get_data(as_text=True)


def _submit_weeks(app, client, team, entries_per_week: int, weeks: range) -> None:
    with acting_as(app, team.worker):
        owner = db.session.get(User, team.worker.id)
        project = db.session.get(Project, team.alpha.id)
        for week in weeks:
            for number in range(entries_per_week):
                services.create_entry(owner, project=project, duration_seconds=600 + number,
                                      work_date=MONDAY + timedelta(days=7 * week + number % 7))
    sign_in(client, "wanda")
    for week in weeks:
        monday = MONDAY + timedelta(days=7 * week)
        label = f"{monday.isocalendar()[0]}-W{monday.isocalendar()[1]:02d}"
        assert post(client, "/time/submit", week=label).status_code == 302


def test_approvals_page_query_count_constant(app, client, team, make_user):
    _submit_weeks(app, client, team, entries_per_week=5, weeks=range(1))
    sign_in(client, "mark")
    with count_queries(app) as few:
        assert client.get("/approvals/").status_code == 200
    _submit_weeks(app, client, team, entries_per_week=9, weeks=range(1, 6))
    sign_in(client, "mark")
    with count_queries(app) as many:
        page = client.get("/approvals/").get_data(as_text=True)
    assert page.count("<section class=\"card part\"") == 6
    assert many.count == few.count


def test_concurrent_decisions_finish_week(app, client, submitted):
    """Two managers approving the two parts at once still leave the week approved (PostgreSQL row locks)."""
    import threading

    from app.timesheets import approval

    if app.extensions["trackerbox_engine"].dialect.name != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time, so decisions cannot interleave")
    sheet_id = timesheet(app).id
    first_decided, finish_first, second_decided = threading.Event(), threading.Event(), threading.Event()
    failures = []

    def approve_part(manager, project, decided, hold):
        try:
            with acting_as(app, manager):
                user = db.session.get(User, manager.id)
                approval.approve_part(user, approval.get_part_for(user, sheet_id, project.id))
                decided.set()
                hold.wait(10)
        except Exception as exc:  # the assertion on failures reports it
            failures.append(exc)
            decided.set()

    no_hold = threading.Event()
    no_hold.set()
    first = threading.Thread(target=approve_part, args=(submitted.mark, submitted.alpha, first_decided, finish_first))
    second = threading.Thread(target=approve_part, args=(submitted.mary, submitted.beta, second_decided, no_hold))
    first.start()
    assert first_decided.wait(10)
    second.start()
    second_waited = not second_decided.wait(0.5)
    finish_first.set()
    first.join(10)
    second.join(10)
    assert failures == []
    assert second_waited
    assert timesheet(app).status == TimesheetStatus.APPROVED


def test_reject_one_day_keeps_other_days_waiting(app, client, team):
    monday_id = log_day(app, team.worker, team.alpha, 0)
    tuesday_id = log_day(app, team.worker, team.alpha, 1)
    assert submit(client, "wanda").status_code == 302
    sign_in(client, "mark")
    response = client.post(part_url(app, team.alpha, "reject"), data={
        "csrf_token": csrf_token(client, "/approvals/"), "comment": "Monday looks too long", "entry_ids": str(monday_id)})
    assert response.status_code == 302
    with app.app_context():
        by_id = dict(db.session.execute(select(TimeEntry.id, TimeEntry.status)).all())
    assert by_id[monday_id] == EntryStatus.REJECTED
    assert by_id[tuesday_id] == EntryStatus.SUBMITTED
    assert "Monday looks too long" not in client.get("/approvals/").get_data(as_text=True)
    response = post(client, part_url(app, team.alpha, "approve"), entry_ids=str(tuesday_id))
    assert response.status_code == 302
    with app.app_context():
        by_id = dict(db.session.execute(select(TimeEntry.id, TimeEntry.status)).all())
    assert by_id[tuesday_id] == EntryStatus.APPROVED
    assert timesheet(app).status == TimesheetStatus.REJECTED


def test_decide_unknown_entry_ids_rejected(app, client, submitted):
    sign_in(client, "mark")
    response = post(client, part_url(app, submitted.alpha, "approve"), entry_ids="999999")
    assert response.status_code == 400
    assert "entry_ids: 999999 are not waiting entries of this part" in response.get_data(as_text=True)
    assert statuses(app) == {"ALPHA": "submitted", "BETA": "submitted"}


def test_approver_cannot_decide_own_time(app, client, make_user):
    boss = make_user("boss", "Project Manager")
    project = make_project(app, make_client(app), "SELF", manager=boss, members=[boss])
    log_day(app, boss, project, 0)
    assert submit(client, "boss").status_code == 302
    response = post(client, part_url(app, project, "approve", login="boss"))
    assert response.status_code == 400
    assert "cannot approve or reject your own time" in response.get_data(as_text=True)
