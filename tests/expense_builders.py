"""Builders and sample files for the expense tests."""
from __future__ import annotations

import io
import struct
import zlib
from datetime import date

from sqlalchemy import select

from app import db
from app.models import Expense, ExpenseCategory, ExpenseReport, ExpenseStatus, Project, ReportStatus, User

# A complete one-page PDF: header, catalog, page tree, page, cross-reference table and trailer.
PDF_BYTES = (
    b"%PDF-1.4\n"
    b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
    b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n"
)
HTML_BYTES = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A valid RGB PNG image built with zlib only."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def jpeg_bytes() -> bytes:
    """A valid small JPEG image made with Pillow."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


def category_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(ExpenseCategory.id).where(ExpenseCategory.name == name))


def make_category(app, name: str, *, unit: str = "", unit_rate_minor: int | None = None, currency: str = "EUR",
                  active: bool = True) -> int:
    with app.app_context(), db.transaction():
        category = ExpenseCategory(name=name, unit=unit, unit_rate_minor=unit_rate_minor, currency=currency,
                                   active=active)
        db.session.add(category)
        db.session.flush()
        return category.id


def make_expense(app, user: User, project: Project, *, category: str = "Travel", amount_minor: int = 1000,
                 currency: str = "EUR", expense_date: date = date(2026, 1, 5),
                 status: ExpenseStatus = ExpenseStatus.OPEN, report_id: int | None = None, **fields) -> int:
    """Insert an expense straight through the ORM and return its id."""
    with app.app_context(), db.transaction():
        expense = Expense(
            user_id=user.id, project_id=project.id,
            category_id=db.session.scalar(select(ExpenseCategory.id).where(ExpenseCategory.name == category)),
            expense_date=expense_date, amount_minor=amount_minor, tax_minor=fields.pop("tax_minor", 0),
            currency=currency, status=status, report_id=report_id, notes=fields.pop("notes", ""), **fields,
        )
        db.session.add(expense)
        db.session.flush()
        return expense.id


def make_report(app, user: User, title: str = "March trip", *, status: ReportStatus = ReportStatus.DRAFT) -> int:
    with app.app_context(), db.transaction():
        report = ExpenseReport(user_id=user.id, title=title, status=status, comment="", reimbursement_reference="")
        db.session.add(report)
        db.session.flush()
        return report.id


def load_expense(app, expense_id: int) -> Expense | None:
    with app.app_context():
        return db.session.get(Expense, expense_id)


def load_report(app, report_id: int) -> ExpenseReport | None:
    with app.app_context():
        return db.session.get(ExpenseReport, report_id)
