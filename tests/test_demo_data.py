from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from app import db
from app.demo import create_demo_company
from tests.factories import berlin_today
from app.errors import UserError
from app.models import (
    Client, EntryStatus, Expense, ExpenseReport, Invoice, InvoiceStatus, Project, ReportStatus, SecurityProfile,
    TimeEntry, User, user_profiles,
)

TODAY = date(2026, 11, 18)


def _count(model, *conditions):
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def test_demo_company_covers_every_role_and_flow(app):
    with app.app_context(), db.transaction():
        create_demo_company(TODAY, password="demo password 2026")
    with app.app_context():
        assert _count(Client) == 3
        assert _count(Project) == 6
        assert _count(User) == 8
        profiles_in_use = set(db.session.scalars(
            select(SecurityProfile.name).join(user_profiles, user_profiles.c.profile_id == SecurityProfile.id)
        ))
        assert profiles_in_use == {"Administrator", "Worker", "Project Manager", "Account Manager", "Client Manager"}
        weeks = db.session.scalar(select(func.count(func.distinct(TimeEntry.work_date))))
        assert weeks >= 8 * 5
        assert _count(TimeEntry, TimeEntry.status == EntryStatus.APPROVED) > 300
        assert _count(TimeEntry, TimeEntry.status == EntryStatus.SUBMITTED) > 0
        assert _count(TimeEntry, TimeEntry.invoice_id.is_not(None)) > 0
        assert _count(Expense) == 18
        assert _count(ExpenseReport, ExpenseReport.status == ReportStatus.REIMBURSED) == 3
        statuses = sorted(db.session.scalars(select(Invoice.status)))
        assert statuses == sorted([InvoiceStatus.PAID, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.ISSUED])


@pytest.mark.sqlite_only
def test_demo_company_refuses_non_empty_box(app):
    with app.app_context(), db.transaction():
        create_demo_company(TODAY)
    with app.app_context(), pytest.raises(UserError, match="already contains clients"):
        with db.transaction():
            create_demo_company(TODAY)


@pytest.mark.sqlite_only
def test_demo_data_command_rejects_short_password(app, monkeypatch):
    from app.cli import cli
    from app.commands import context

    monkeypatch.setattr(context, "_app", app)
    result = CliRunner().invoke(cli, ["demo-data", "--password", "short"])
    assert result.exit_code == 2
    assert "5 characters is too short" in result.output


@pytest.mark.sqlite_only
def test_demo_company_has_overdue_invoice(app, client):
    from tests.conftest import sign_in

    with app.app_context(), db.transaction():
        create_demo_company(berlin_today(), password="demo password 2026")
    sign_in(client, "anna", "demo password 2026")
    page = client.get("/").get_data(as_text=True)
    assert "No invoice is overdue." not in page
    assert "Globex Logistics B.V." in page
