"""The PDF of an issued invoice or credit note, rendered by WeasyPrint from an HTML template.

The template receives the same Totals object as the invoice page, so every figure in
the PDF is the figure on screen. WeasyPrint is given a URL fetcher that allows no
protocol at all, so a stray URL in client data can never make the server fetch anything.
"""
from __future__ import annotations

import logging
from pathlib import Path

from flask import current_app, render_template
from weasyprint import CSS, HTML, URLFetcher

from app.errors import ConflictError
from app.invoices.pages import InvoicePage
from app.models import InvoiceKind, InvoiceStatus

log = logging.getLogger(__name__)

STYLESHEET = "css/invoice-pdf.css"


def _stylesheet(fetcher: URLFetcher) -> CSS:
    path = Path(current_app.static_folder) / STYLESHEET
    return CSS(string=path.read_text(encoding="utf-8"), url_fetcher=fetcher)


def pdf_filename(page: InvoicePage) -> str:
    prefix = "credit-note" if page.invoice.kind is InvoiceKind.CREDIT_NOTE else "invoice"
    safe_number = "".join(char if char.isalnum() or char in "-_" else "-" for char in page.invoice.number or "")
    return f"{prefix}-{safe_number}.pdf"


def render_invoice_pdf(page: InvoicePage) -> bytes:
    """Render the PDF of an issued document; drafts have no number yet and get none."""
    if page.invoice.status is InvoiceStatus.DRAFT:
        raise ConflictError("a draft has no PDF yet; issue the invoice first")
    fetcher = URLFetcher(allowed_protocols=())
    html = render_template("invoices/pdf.html", p=page, invoice=page.invoice, totals=page.totals)
    document = HTML(string=html, url_fetcher=fetcher)
    pdf = document.write_pdf(stylesheets=[_stylesheet(fetcher)])
    log.info("PDF of invoice %s rendered, %d bytes", page.invoice.number, len(pdf))
    return pdf
