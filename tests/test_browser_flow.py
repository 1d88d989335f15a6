"""Headless Chromium walks the weekly path once: sign-in, a week of time, approval, invoice issue."""
import pytest
from sqlalchemy import select

from app import db
from app.invoices.taxes import create_tax_rate
from app.models import Invoice, InvoiceStatus, TimeEntry
from tests.browser import chromium_page, live_server
from tests.conftest import TEST_PASSWORD, acting_as
from tests.factories import make_client, make_project

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]


def _sign_in(page, base, login):
    page.goto(f"{base}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    assert page.locator("h1").first.inner_text().startswith("Hello")


def _sign_out(page):
    page.click("text=Sign out")


def test_browser_week_to_issued_invoice(app, make_user):
    worker = make_user("wanda", "Worker", name="Wanda Worker")
    manager = make_user("pete", "Project Manager")
    biller = make_user("anna", "Account Manager")
    project = make_project(app, make_client(app, "Acme GmbH"), "ACME-WEB", manager=manager, members=[worker])
    with acting_as(app, biller):
        create_tax_rate("VAT 19 %", "19")
    db.session.remove()

    with live_server(app) as base, chromium_page() as page:
        page.on("dialog", lambda dialog: dialog.accept())
        _sign_in(page, base, "wanda")
        page.click("nav >> text=Timesheet")
        page.goto(f"{base}/time/?week=2026-W13&row={project.id}:{project.tasks[0].id}")
        for day, text in enumerate(("8", "7:30", "450m", "8", "6.5")):
            page.fill(f'input.cell[data-row="0"][data-col="{day}"]', text)
        page.click("text=Save week")
        page.click("text=Submit week for approval")
        assert "submitted" in page.content().lower()
        _sign_out(page)

        _sign_in(page, base, "pete")
        page.click("nav >> text=Approvals")
        assert "Wanda Worker" in page.content()
        page.click("button:has-text('Approve')")
        assert "approved" in page.content()
        _sign_out(page)

        _sign_in(page, base, "anna")
        page.click("nav >> text=Invoices")
        page.goto(f"{base}/invoices/new")
        page.select_option("select[name=client_id]", label="Acme GmbH (EUR)")
        page.fill("input[name=period_start]", "2026-03-23")
        page.fill("input[name=period_end]", "2026-03-29")
        page.check("input[name=tax_rate_ids]")
        page.click("text=Create draft")
        page.click("button:has-text('Issue invoice')")
        content = page.content()
        assert "issued" in content
        assert "€4,462.50" in content

    with app.app_context():
        invoice = db.session.scalars(select(Invoice)).one()
        assert invoice.status == InvoiceStatus.ISSUED
        assert invoice.total_minor == 446250
        assert set(db.session.scalars(select(TimeEntry.invoice_id))) == {invoice.id}
