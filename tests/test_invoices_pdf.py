"""The invoice PDF and CSV export: read back and compared with the figures on the invoice page."""
import csv
import html
import io
import re
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest

from app import company, db
from app.models import Client, User
from tests.conftest import acting_as, csrf_token, sign_in
from tests.invoice_builders import add_entry, add_expense, create_draft, issue, load_invoice, make_tax_rate, make_world

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")


def _pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "invoice.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=60)
    return _normalize(result.stdout.decode("utf-8"))


def _normalize(text: str) -> str:
    return re.sub(r"[ \t\u00a0\u202f]+", " ", text)


def _screen_totals(page_html: str) -> list[tuple[str, str]]:
    """The (label, amount) rows of the first totals table on the invoice page."""
    table = page_html.split('<table class="totals">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<th>(.*?)</th><td class=\"num\">(.*?)</td>", table)
    return [(_normalize(html.unescape(label)), _normalize(html.unescape(amount))) for label, amount in rows]


@pytest.fixture
def issued_invoice(app, make_user):
    world = make_world(app, make_user)
    vat = make_tax_rate(app, "VAT 19 %", 1900)
    swiss = make_tax_rate(app, "MWST 7.7 %", 770)
    add_entry(app, world.worker, world.project, 6000, date(2026, 3, 10))
    add_entry(app, world.worker, world.project, 900, date(2026, 3, 11), task="Design")
    add_expense(app, world.worker, world.project, 11900, 1900)
    with acting_as(app, world.biller):
        company.set_value("company_name", "Example Consulting GmbH")
        company.set_value("company_address", "Beispielweg 5\n80331 München")
        company.set_value("company_bank_details", "IBAN DE02 1203 0000 0000 2020 51")
        client = db.session.get(Client, world.client.id)
        client.address = "Hauptstrasse 1\n10115 Berlin"
    invoice_id, _ = create_draft(app, world.biller, world.client, tax_rate_ids=[vat, swiss], discount="5")
    number = issue(app, world.biller, invoice_id)
    return world, invoice_id, number


@needs_pdftotext
@pytest.mark.parametrize("locale", ["en", "de"])
def test_pdf_matches_invoice_page(client, app, issued_invoice, tmp_path, locale):
    world, invoice_id, number = issued_invoice
    with app.app_context(), db.transaction():
        db.session.get(User, world.biller.id).locale = locale
    sign_in(client, "anna")
    response = client.get(f"/invoices/{invoice_id}/pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == f'inline; filename="invoice-{number}.pdf"'
    assert response.data.startswith(b"%PDF-")
    text = _pdf_text(response.data, tmp_path)
    screen = client.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    totals = _screen_totals(screen)
    invoice = load_invoice(app, invoice_id)
    assert [label.split(" ")[0] for label, _ in totals] == ["Subtotal", "Discount", "Net", "VAT", "MWST", "Total"]
    for label, amount in totals:
        assert re.search(re.escape(label) + r"\s+" + re.escape(amount), text), (label, amount, text)
    assert f"Invoice {number}" in text
    assert "Example Consulting GmbH" in text
    assert "Hauptstrasse 1" in text
    assert "10115 Berlin" in text
    assert "IBAN DE02 1203 0000 0000 2020 51" in text
    assert f"Due date {invoice.due_date.isoformat()}" in text
    assert "Payment terms: 14 days." in text
    assert len(invoice.lines) == 3
    for line in invoice.lines:
        assert line.description.split(":")[0] in text


@needs_pdftotext
def test_credit_note_pdf_shows_negative_totals(client, app, issued_invoice, tmp_path):
    world, invoice_id, number = issued_invoice
    sign_in(client, "anna")
    response = client.post(f"/invoices/{invoice_id}/void", data={"csrf_token": csrf_token(client, "/invoices/")})
    credit_page = client.get(response.headers["Location"])
    credit_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    credit = load_invoice(app, credit_id)
    pdf = client.get(f"/invoices/{credit_id}/pdf")
    assert pdf.status_code == 200
    assert pdf.headers["Content-Disposition"] == f'inline; filename="credit-note-{credit.number}.pdf"'
    text = _pdf_text(pdf.data, tmp_path)
    assert f"Credit note {credit.number}" in text
    assert f"Cancels invoice {number}" in text
    for label, amount in _screen_totals(credit_page.get_data(as_text=True)):
        # The discount row shows the discount taken off, which a credit note gives back.
        assert amount.startswith("€" if label.startswith("Discount") else "-"), (label, amount)
        assert re.search(re.escape(label) + r"\s+" + re.escape(amount), text), (label, amount)
    voided = _pdf_text(client.get(f"/invoices/{invoice_id}/pdf").data, tmp_path)
    assert f"VOID: cancelled by credit note {credit.number}" in voided


def test_draft_has_no_pdf(client, app, make_user):
    world = make_world(app, make_user)
    invoice_id, _ = create_draft(app, world.biller, world.client)
    sign_in(client, "anna")
    response = client.get(f"/invoices/{invoice_id}/pdf")
    assert response.status_code == 409
    assert "a draft has no PDF yet; issue the invoice first" in response.get_data(as_text=True)


@needs_pdftotext
def test_pdf_ignores_urls_in_client_data(client, app, make_user, tmp_path):
    world = make_world(app, make_user)
    add_entry(app, world.worker, world.project, 3600)
    with app.app_context(), db.transaction():
        db.session.get(Client, world.client.id).name = '<img src="http://127.0.0.1:9/x.png"> Acme'
    invoice_id, _ = create_draft(app, world.biller, world.client)
    issue(app, world.biller, invoice_id)
    sign_in(client, "anna")
    response = client.get(f"/invoices/{invoice_id}/pdf")
    assert response.status_code == 200
    assert '<img src="http://127.0.0.1:9/x.png"> Acme' in _pdf_text(response.data, tmp_path)


def test_csv_export_matches_invoice_page(client, app, issued_invoice):
    world, invoice_id, number = issued_invoice
    sign_in(client, "anna")
    screen = dict(_screen_totals(client.get(f"/invoices/{invoice_id}").get_data(as_text=True)))
    token = csrf_token(client, "/export/")
    response = client.post("/export/download", data={"csrf_token": token, "kind": "invoices"})
    assert response.status_code == 200
    # The export starts with a byte order mark so that spreadsheet programs detect UTF-8.
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    [row] = [row for row in rows if row["number"] == number]

    def plain(screen_amount: str) -> str:
        return screen_amount.replace("€", "").replace(",", "")

    assert row["subtotal"] == plain(screen["Subtotal"])
    assert "-" + row["discount"] == plain(screen["Discount 5 %"])
    assert row["total"] == plain(screen["Total"])
    taxes = [amount for label, amount in screen.items() if " on " in label]
    assert Decimal(row["tax"]) == sum(Decimal(plain(amount)) for amount in taxes)
