"""Expense reports through the pages: submission, approval per project part, rejection, reimbursement."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app import db
from app.expenses import expense_reports
from app.models import ApprovalDecision, AuditEvent, Expense, ExpenseStatus, ReportStatus, User
from tests.conftest import acting_as, csrf_token, sign_in
from tests.expense_builders import load_expense, load_report, make_expense, make_report
from tests.factories import berlin_today, count_queries, make_client, make_project


@pytest.fixture
def team(app, make_user):
    """Wanda works on two projects, Petra manages the first, Max the second, Alice pays out."""
    people = {
        "wanda": make_user("wanda", "Worker"),
        "petra": make_user("petra", "Project Manager"),
        "max": make_user("max", "Project Manager"),
        "alice": make_user("alice", "Account Manager"),
        "otto": make_user("otto", "Worker"),
    }
    customer = make_client(app)
    people["p1"] = make_project(app, customer, "ALPHA", manager=people["petra"], members=[people["wanda"]])
    people["p2"] = make_project(app, customer, "BETA", manager=people["max"], members=[people["wanda"]])
    return people


def _client_for(app, login):
    client = app.test_client()
    sign_in(client, login)
    return client


def _post(client, url, data=None, page=None):
    form = dict(data or {})
    form.setdefault("csrf_token", csrf_token(client, page or "/expenses/"))
    return client.post(url, data=form)


def _decide(client, report_id, project_id, decision, comment=""):
    prefix = f"part{project_id}"
    return _post(client, f"/expenses/reports/{report_id}/parts/{project_id}/decide",
                 {f"{prefix}-comment": comment, "decision": decision})


def _statuses(app, expense_ids):
    return [load_expense(app, i).status for i in expense_ids]


def _submitted_report(app, team):
    """Submit a report with two expenses on ALPHA and one on BETA and return (report id, ALPHA ids, BETA ids)."""
    alpha = [make_expense(app, team["wanda"], team["p1"], amount_minor=1000),
             make_expense(app, team["wanda"], team["p1"], amount_minor=2550, reimbursable=False)]
    beta = [make_expense(app, team["wanda"], team["p2"], amount_minor=4000)]
    wanda = _client_for(app, "wanda")
    response = _post(wanda, "/expenses/reports/new", {"title": "Munich trip", "expense_ids": alpha + beta},
                     page="/expenses/reports/new")
    assert response.status_code == 302
    report_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    assert _post(wanda, f"/expenses/reports/{report_id}/submit").status_code == 302
    return report_id, alpha, beta


def test_report_create_and_submit(app, team):
    report_id, alpha, beta = _submitted_report(app, team)
    report = load_report(app, report_id)
    assert report.status == ReportStatus.SUBMITTED
    assert report.submitted_at is not None
    assert _statuses(app, alpha + beta) == [ExpenseStatus.SUBMITTED] * 3


def test_submitted_expense_not_editable(app, team):
    report_id, alpha, _ = _submitted_report(app, team)
    wanda = _client_for(app, "wanda")
    response = wanda.get(f"/expenses/{alpha[0]}/edit", follow_redirects=True)
    assert "this expense is submitted and can no longer be changed" in response.get_data(as_text=True).lower()
    response = _post(wanda, f"/expenses/{alpha[0]}/delete")
    assert response.status_code == 302
    assert load_expense(app, alpha[0]) is not None


def test_approval_per_part_then_reimbursed(app, team):
    report_id, alpha, beta = _submitted_report(app, team)
    petra = _client_for(app, "petra")
    assert _decide(petra, report_id, team["p1"].id, "approve").status_code == 302
    assert load_report(app, report_id).status == ReportStatus.SUBMITTED
    assert _statuses(app, alpha + beta) == [ExpenseStatus.APPROVED] * 2 + [ExpenseStatus.SUBMITTED]

    max_client = _client_for(app, "max")
    assert _decide(max_client, report_id, team["p2"].id, "approve", "fine").status_code == 302
    report = load_report(app, report_id)
    assert report.status == ReportStatus.APPROVED
    assert report.decided_by_id == team["max"].id
    assert _statuses(app, alpha + beta) == [ExpenseStatus.APPROVED] * 3

    alice = _client_for(app, "alice")
    page = alice.get(f"/expenses/reports/{report_id}").get_data(as_text=True)
    assert "Mark as reimbursed" in page
    assert "€50.00" in page  # reimbursable total: 10.00 + 40.00, the 25.50 paid by the company left out
    response = _post(alice, f"/expenses/reports/{report_id}/reimburse",
                     {"reimbursed_on": berlin_today().isoformat(), "reference": "SEPA 2026-0042"})
    assert response.status_code == 302
    report = load_report(app, report_id)
    assert report.status == ReportStatus.REIMBURSED
    assert report.reimbursed_on == berlin_today()
    assert report.reimbursement_reference == "SEPA 2026-0042"


def test_report_flow_audited(app, team):
    report_id, _, _ = _submitted_report(app, team)
    _decide(_client_for(app, "petra"), report_id, team["p1"].id, "approve")
    _decide(_client_for(app, "max"), report_id, team["p2"].id, "approve")
    _post(_client_for(app, "alice"), f"/expenses/reports/{report_id}/reimburse",
          {"reimbursed_on": berlin_today().isoformat(), "reference": "T-1"})
    with app.app_context():
        events = list(db.session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "expense_report", AuditEvent.object_id == str(report_id))
            .order_by(AuditEvent.id)
        ))
        assert [e.action for e in events] == [
            "expense_report.create", "expense_report.add_expenses", "expense_report.submit",
            "expense_report.approve_part", "expense_report.approve_part", "expense_report.approve",
            "expense_report.reimburse",
        ]
        assert events[2].details["before"]["status"] == "draft"
        assert events[2].details["after"]["status"] == "submitted"
        assert events[3].details["project_id"] == team["p1"].id
        assert events[5].details["after"]["status"] == "approved"
        assert events[6].details["after"]["reimbursement_reference"] == "T-1"
        assert [e.login for e in events[3:]] == ["petra", "max", "max", "alice"]


def test_rejected_part_returns_to_worker(app, team):
    report_id, alpha, beta = _submitted_report(app, team)
    response = _decide(_client_for(app, "petra"), report_id, team["p1"].id, "reject", "Receipt missing for the taxi")
    assert response.status_code == 302
    report = load_report(app, report_id)
    assert report.status == ReportStatus.REJECTED
    assert report.comment == "Receipt missing for the taxi"
    assert _statuses(app, alpha + beta) == [ExpenseStatus.REJECTED] * 2 + [ExpenseStatus.SUBMITTED]

    wanda = _client_for(app, "wanda")
    page = wanda.get(f"/expenses/reports/{report_id}").get_data(as_text=True)
    assert "Receipt missing for the taxi" in page
    assert "Resubmit report" in page
    assert wanda.get(f"/expenses/{alpha[0]}/edit").status_code == 200


def test_other_part_decided_while_rejected(app, team):
    report_id, alpha, beta = _submitted_report(app, team)
    _decide(_client_for(app, "petra"), report_id, team["p1"].id, "reject", "Wrong project")
    assert _decide(_client_for(app, "max"), report_id, team["p2"].id, "approve").status_code == 302
    assert load_report(app, report_id).status == ReportStatus.REJECTED
    assert _statuses(app, beta) == [ExpenseStatus.APPROVED]


def test_resubmit_after_correction(app, team):
    report_id, alpha, beta = _submitted_report(app, team)
    _decide(_client_for(app, "max"), report_id, team["p2"].id, "approve")
    _decide(_client_for(app, "petra"), report_id, team["p1"].id, "reject", "Amount wrong")
    with acting_as(app, team["wanda"]):
        expense = db.session.get(Expense, alpha[0])
        expense.amount_minor = 900
    wanda = _client_for(app, "wanda")
    assert _post(wanda, f"/expenses/reports/{report_id}/submit").status_code == 302
    report = load_report(app, report_id)
    assert report.status == ReportStatus.SUBMITTED
    assert report.comment == ""
    assert _statuses(app, alpha + beta) == [ExpenseStatus.SUBMITTED] * 2 + [ExpenseStatus.APPROVED]

    _decide(_client_for(app, "petra"), report_id, team["p1"].id, "approve")
    assert load_report(app, report_id).status == ReportStatus.APPROVED
    with app.app_context():
        decisions = list(db.session.scalars(
            select(ApprovalDecision.decision).where(ApprovalDecision.expense_report_id == report_id)
            .order_by(ApprovalDecision.id)
        ))
    assert decisions == ["approve", "reject", "approve"]


def test_resubmit_without_rejected_expenses_approves(app, team):
    report_id, alpha, beta = _submitted_report(app, team)
    _decide(_client_for(app, "max"), report_id, team["p2"].id, "approve")
    _decide(_client_for(app, "petra"), report_id, team["p1"].id, "reject", "Private costs")
    wanda = _client_for(app, "wanda")
    for expense_id in alpha:
        assert _post(wanda, f"/expenses/reports/{report_id}/remove/{expense_id}").status_code == 302
    assert _statuses(app, alpha) == [ExpenseStatus.OPEN] * 2
    assert [load_expense(app, i).report_id for i in alpha] == [None, None]
    _post(wanda, f"/expenses/reports/{report_id}/submit")
    assert load_report(app, report_id).status == ReportStatus.APPROVED


def test_reject_needs_comment(app, team):
    report_id, alpha, _ = _submitted_report(app, team)
    response = _decide(_client_for(app, "petra"), report_id, team["p1"].id, "reject", "  ")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Say what the person has to correct when you reject" in page
    assert "has-error" in page
    assert load_report(app, report_id).status == ReportStatus.SUBMITTED
    assert _statuses(app, alpha) == [ExpenseStatus.SUBMITTED] * 2


def test_decision_twice_is_conflict(app, team):
    report_id, _, _ = _submitted_report(app, team)
    petra = _client_for(app, "petra")
    _decide(petra, report_id, team["p1"].id, "approve")
    response = _decide(petra, report_id, team["p1"].id, "approve")
    assert response.status_code == 409
    assert "no expenses waiting for a decision" in response.get_data(as_text=True)


def test_unknown_decision_rejected(app, team):
    report_id, alpha, _ = _submitted_report(app, team)
    response = _decide(_client_for(app, "petra"), report_id, team["p1"].id, "maybe")
    assert response.status_code == 400
    assert _statuses(app, alpha) == [ExpenseStatus.SUBMITTED] * 2


def test_manager_cannot_decide_other_project(app, team):
    report_id, alpha, _ = _submitted_report(app, team)
    response = _decide(_client_for(app, "max"), report_id, team["p1"].id, "approve")
    assert response.status_code == 403
    assert _statuses(app, alpha) == [ExpenseStatus.SUBMITTED] * 2


def test_worker_cannot_decide(app, team):
    report_id, _, _ = _submitted_report(app, team)
    assert _decide(_client_for(app, "otto"), report_id, team["p1"].id, "approve").status_code == 403


def test_own_report_cannot_be_approved(app, team):
    own = make_expense(app, team["petra"], team["p1"])
    report_id = make_report(app, team["petra"], "Petra's trip")
    with acting_as(app, team["petra"]):
        user = db.session.get(User, team["petra"].id)
        expense_reports.add_expenses_to_report(user, report_id, [own])
        expense_reports.submit_report(user, report_id)
    petra = _client_for(app, "petra")
    response = _decide(petra, report_id, team["p1"].id, "approve")
    assert response.status_code == 400
    assert "You cannot approve or reject your own expense report" in response.get_data(as_text=True)
    assert "No expense reports are waiting for your decision." in petra.get("/expenses/approvals").get_data(as_text=True)


def test_draft_report_hidden_from_manager(app, team):
    expense_id = make_expense(app, team["wanda"], team["p1"])
    report_id = make_report(app, team["wanda"])
    with acting_as(app, team["wanda"]):
        expense_reports.add_expenses_to_report(db.session.get(User, team["wanda"].id), report_id, [expense_id])
    assert _client_for(app, "petra").get(f"/expenses/reports/{report_id}").status_code == 404
    assert _client_for(app, "otto").get(f"/expenses/reports/{report_id}").status_code == 404
    assert _client_for(app, "wanda").get(f"/expenses/reports/{report_id}").status_code == 200


def test_manager_sees_only_own_part(app, team):
    report_id, _, _ = _submitted_report(app, team)
    page = _client_for(app, "max").get(f"/expenses/reports/{report_id}").get_data(as_text=True)
    assert "BETA" in page
    assert "ALPHA" not in page
    assert "2 more expenses of this report belong to projects you do not manage." in page


def test_other_worker_cannot_change_report(app, team):
    report_id = make_report(app, team["wanda"])
    otto = _client_for(app, "otto")
    for action in ("submit", "delete", "rename", "add"):
        assert _post(otto, f"/expenses/reports/{report_id}/{action}", {"title": "Mine now"}).status_code == 404
    assert load_report(app, report_id).title == "March trip"


def test_report_with_foreign_expense_rejected(app, team):
    foreign = make_expense(app, team["otto"], make_project(app, make_client(app, "Other"), "OTHER",
                                                          members=[team["otto"]]))
    wanda = _client_for(app, "wanda")
    response = _post(wanda, "/expenses/reports/new", {"title": "Sneaky", "expense_ids": [foreign]},
                     page="/expenses/reports/new")
    assert response.status_code == 400
    assert load_expense(app, foreign).report_id is None


def test_submit_empty_report_rejected(app, team):
    report_id = make_report(app, team["wanda"])
    response = _post(_client_for(app, "wanda"), f"/expenses/reports/{report_id}/submit")
    assert response.status_code == 400
    assert "this report has no expenses" in response.get_data(as_text=True).lower()
    assert load_report(app, report_id).status == ReportStatus.DRAFT


def test_submitted_report_cannot_be_resubmitted(app, team):
    report_id, _, _ = _submitted_report(app, team)
    response = _post(_client_for(app, "wanda"), f"/expenses/reports/{report_id}/submit")
    assert response.status_code == 409
    assert "cannot submit an expense report that is submitted" in response.get_data(as_text=True).lower()


def test_submitted_expense_cannot_be_taken_out(app, team):
    report_id, alpha, _ = _submitted_report(app, team)
    response = _post(_client_for(app, "wanda"), f"/expenses/reports/{report_id}/remove/{alpha[0]}")
    assert response.status_code == 409
    assert load_expense(app, alpha[0]).report_id == report_id


def test_delete_draft_report_frees_expenses(app, team):
    expense_id = make_expense(app, team["wanda"], team["p1"])
    report_id = make_report(app, team["wanda"])
    with acting_as(app, team["wanda"]):
        expense_reports.add_expenses_to_report(db.session.get(User, team["wanda"].id), report_id, [expense_id])
    assert _post(_client_for(app, "wanda"), f"/expenses/reports/{report_id}/delete").status_code == 302
    assert load_report(app, report_id) is None
    expense = load_expense(app, expense_id)
    assert (expense.report_id, expense.status) == (None, ExpenseStatus.OPEN)


def test_rename_and_add_to_draft(app, team):
    first = make_expense(app, team["wanda"], team["p1"])
    second = make_expense(app, team["wanda"], team["p2"])
    report_id = make_report(app, team["wanda"])
    wanda = _client_for(app, "wanda")
    assert _post(wanda, f"/expenses/reports/{report_id}/rename", {"title": "  Berlin   fair "}).status_code == 302
    assert load_report(app, report_id).title == "Berlin fair"
    assert _post(wanda, f"/expenses/reports/{report_id}/add", {"expense_ids": [first, second]}).status_code == 302
    assert [load_expense(app, i).report_id for i in (first, second)] == [report_id, report_id]


@pytest.mark.parametrize(
    ("reimbursed_on", "reference", "message"),
    [
        (berlin_today() + timedelta(days=3), "T-1", "is in the future"),
        (berlin_today(), "", "Enter the payment reference."),
        (None, "T-1", "Enter the payment date."),
    ],
)
def test_reimburse_input_checked(app, team, reimbursed_on, reference, message):
    report_id, _, _ = _submitted_report(app, team)
    _decide(_client_for(app, "petra"), report_id, team["p1"].id, "approve")
    _decide(_client_for(app, "max"), report_id, team["p2"].id, "approve")
    response = _post(_client_for(app, "alice"), f"/expenses/reports/{report_id}/reimburse",
                     {"reimbursed_on": reimbursed_on.isoformat() if reimbursed_on else "", "reference": reference})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert load_report(app, report_id).status == ReportStatus.APPROVED


def test_reimburse_needs_approved_report(app, team):
    report_id, _, _ = _submitted_report(app, team)
    response = _post(_client_for(app, "alice"), f"/expenses/reports/{report_id}/reimburse",
                     {"reimbursed_on": berlin_today().isoformat(), "reference": "T-1"})
    assert response.status_code == 409
    assert "Cannot reimburse an expense report that is submitted" in response.get_data(as_text=True)


def test_reimburse_needs_permission(app, team):
    report_id, _, _ = _submitted_report(app, team)
    _decide(_client_for(app, "petra"), report_id, team["p1"].id, "approve")
    _decide(_client_for(app, "max"), report_id, team["p2"].id, "approve")
    response = _post(_client_for(app, "petra"), f"/expenses/reports/{report_id}/reimburse",
                     {"reimbursed_on": berlin_today().isoformat(), "reference": "T-1"})
    assert response.status_code == 403


def test_approved_report_locks_expenses(app, team):
    report_id, alpha, _ = _submitted_report(app, team)
    _decide(_client_for(app, "petra"), report_id, team["p1"].id, "approve")
    _decide(_client_for(app, "max"), report_id, team["p2"].id, "approve")
    wanda = _client_for(app, "wanda")
    page = wanda.get(f"/expenses/{alpha[0]}").get_data(as_text=True)
    assert "Edit</a>" not in page
    response = wanda.post(f"/expenses/{alpha[0]}/edit", data={
        "csrf_token": csrf_token(wanda, "/expenses/"), "expense_date": "2026-01-05",
        "project_id": str(team["p1"].id), "category_id": "1", "amount": "1",
    })
    assert response.status_code == 400
    assert "this expense is approved and can no longer be changed" in response.get_data(as_text=True).lower()
    assert load_expense(app, alpha[0]).amount_minor == 1000


def test_approvals_page_lists_pending_parts(app, team):
    report_id, _, _ = _submitted_report(app, team)
    petra = _client_for(app, "petra")
    page = petra.get("/expenses/approvals").get_data(as_text=True)
    assert "Munich trip" in page
    assert "ALPHA" in page
    assert "BETA" not in page
    assert "€35.50" in page
    _decide(petra, report_id, team["p1"].id, "approve")
    page = petra.get("/expenses/approvals").get_data(as_text=True)
    assert "No expense reports are waiting for your decision." in page


def test_approvals_page_needs_permission(app, team):
    assert _client_for(app, "wanda").get("/expenses/approvals").status_code == 403


def _submit_reports(app, team, count):
    with acting_as(app, team["wanda"]):
        user = db.session.get(User, team["wanda"].id)
        for number in range(count):
            ids = []
            for project in (team["p1"], team["p2"]):
                expense = Expense(user_id=user.id, project_id=project.id, category_id=1,
                                  expense_date=date(2026, 1, 1 + number % 28), amount_minor=100 + number,
                                  currency="EUR", status=ExpenseStatus.OPEN)
                db.session.add(expense)
                db.session.flush()
                ids.append(expense.id)
            report = expense_reports.create_report(user, f"Report {number}", ids)
            expense_reports.submit_report(user, report.id)


def test_approvals_page_query_count_constant(app, team):
    petra = _client_for(app, "petra")
    _submit_reports(app, team, 2)
    with count_queries(app) as few:
        petra.get("/expenses/approvals")
    _submit_reports(app, team, 12)
    with count_queries(app) as many:
        page = petra.get("/expenses/approvals").get_data(as_text=True)
    assert page.count("Report ") >= 14
    assert many.count == few.count


def test_report_list_query_count_constant(app, team):
    wanda = _client_for(app, "wanda")
    _submit_reports(app, team, 2)
    with count_queries(app) as few:
        wanda.get("/expenses/reports/")
    _submit_reports(app, team, 12)
    with count_queries(app) as many:
        wanda.get("/expenses/reports/")
    assert many.count == few.count


def test_report_list_filters_status(app, team):
    report_id, _, _ = _submitted_report(app, team)
    make_report(app, team["wanda"], "Still a draft")
    wanda = _client_for(app, "wanda")
    page = wanda.get("/expenses/reports/?status=draft").get_data(as_text=True)
    assert "Still a draft" in page
    assert "Munich trip" not in page
    assert wanda.get("/expenses/reports/?status=bogus").status_code == 400


def test_reimburser_sees_approved_reports_only(app, make_user, team):
    report_id, alpha, _ = _submitted_report(app, team)
    make_user("rita", "Worker")
    with acting_as(app, team["alice"]):
        from app.models import ProfilePermission, SecurityProfile

        profile = SecurityProfile(name="Payroll", description="Pays out expenses")
        profile.permissions = [ProfilePermission(permission="expenses.reimburse")]
        rita = db.session.scalar(select(User).where(User.login == "rita"))
        rita.profiles = [profile]
    rita = _client_for(app, "rita")
    assert rita.get(f"/expenses/reports/{report_id}").status_code == 404
    assert rita.get(f"/expenses/{alpha[0]}").status_code == 404
    _decide(_client_for(app, "petra"), report_id, team["p1"].id, "approve")
    _decide(_client_for(app, "max"), report_id, team["p2"].id, "approve")
    assert rita.get(f"/expenses/reports/{report_id}").status_code == 200
    assert rita.get(f"/expenses/{alpha[0]}").status_code == 200


def test_concurrent_part_decisions_serialised(app, team):
    """Two managers deciding the last two parts at once must still approve the report (PostgreSQL row locks)."""
    import threading

    if app.extensions["trackerbox_engine"].dialect.name != "postgresql":
        pytest.skip("SQLite runs write transactions one at a time without row locks")
    report_id, _, _ = _submitted_report(app, team)
    first_done = threading.Event()
    release_first = threading.Event()
    errors = []

    def decide(login, project, done, release):
        try:
            person = team[login]
            with acting_as(app, person):
                expense_reports.decide_part(db.session.get(User, person.id), report_id, project.id, "approve", "")
                done.set()
                release.wait(10)
        except Exception as exc:  # reported through the assertion below
            errors.append(exc)
            done.set()

    first = threading.Thread(target=decide, args=("petra", team["p1"], first_done, release_first))
    first.start()
    assert first_done.wait(10)
    second_done = threading.Event()
    no_wait = threading.Event()
    no_wait.set()
    second = threading.Thread(target=decide, args=("max", team["p2"], second_done, no_wait))
    second.start()
    blocked = not second_done.wait(0.5)
    release_first.set()
    first.join(10)
    second.join(10)
    assert errors == []
    assert blocked
    assert load_report(app, report_id).status == ReportStatus.APPROVED


def _approved_report(app, team) -> tuple[int, list[int]]:
    report_id, alpha, beta = _submitted_report(app, team)
    _decide(_client_for(app, "petra"), report_id, team["p1"].id, "approve")
    _decide(_client_for(app, "max"), report_id, team["p2"].id, "approve")
    assert load_report(app, report_id).status == ReportStatus.APPROVED
    return report_id, alpha + beta


def test_reopen_sends_approved_report_back(app, team):
    report_id, expense_ids = _approved_report(app, team)
    petra = _client_for(app, "petra")
    response = _post(petra, f"/expenses/reports/{report_id}/reopen", {"reason": "Receipt of the taxi is missing"},
                     page=f"/expenses/reports/{report_id}")
    assert response.status_code == 302
    report = load_report(app, report_id)
    assert report.status == ReportStatus.REJECTED
    assert report.comment == "Receipt of the taxi is missing"
    assert _statuses(app, expense_ids) == [ExpenseStatus.REJECTED] * 3
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "expense_report.reopen"))
    assert event.details["before"]["status"] == "approved"
    assert event.details["after"]["status"] == "rejected"
    assert set(event.details["before"]["expenses"].values()) == {"approved"}


@pytest.mark.parametrize(("login", "reason", "status"), [
    ("petra", "", 400),
    ("alice", "no approver", 403),
])
def test_reopen_report_guards(app, team, login, reason, status):
    report_id, expense_ids = _approved_report(app, team)
    response = _post(_client_for(app, login), f"/expenses/reports/{report_id}/reopen", {"reason": reason},
                     page="/expenses/")
    assert response.status_code == status
    assert load_report(app, report_id).status == ReportStatus.APPROVED
    assert _statuses(app, expense_ids) == [ExpenseStatus.APPROVED] * 3


def test_reopen_reimbursed_report_conflicts(app, team):
    report_id, _ = _approved_report(app, team)
    alice = _client_for(app, "alice")
    _post(alice, f"/expenses/reports/{report_id}/reimburse",
          {"reimbursed_on": berlin_today().isoformat(), "reference": "SEPA 1"})
    response = _post(_client_for(app, "petra"), f"/expenses/reports/{report_id}/reopen", {"reason": "late change"},
                     page=f"/expenses/reports/{report_id}")
    assert response.status_code == 409
    assert load_report(app, report_id).status == ReportStatus.REIMBURSED
