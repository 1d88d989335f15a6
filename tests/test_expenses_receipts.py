"""Receipt uploads and downloads: content checked by magic bytes, safe storage, files that follow the transaction."""
import io
import os
import stat
import time
from datetime import date

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from app import db
from app.errors import UserError
from app.expenses import receipts, services
from app.expenses.services import ExpenseInput
from app.models import Expense, User
from tests.conftest import acting_as, csrf_token, sign_in
from tests.expense_builders import HTML_BYTES, PDF_BYTES, category_id, jpeg_bytes, load_expense, png_bytes
from tests.factories import make_client, make_project


@pytest.fixture
def worker(app, make_user):
    return make_user("wanda", "Worker")


@pytest.fixture
def project(app, worker):
    return make_project(app, make_client(app), members=[worker])


def _receipt_dir(app):
    return app.config["TRACKERBOX"].upload_dir / receipts.RECEIPT_SUBDIR


def _stored_files(app) -> list[str]:
    folder = _receipt_dir(app)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _post_expense(app, client, project, upload, *, url="/expenses/new", **fields):
    data = {
        "csrf_token": csrf_token(client, url), "expense_date": "2026-02-10", "project_id": str(project.id),
        "category_id": str(category_id(app, "Meals")), "amount": "12.50", "billable": "y", "reimbursable": "y",
    }
    data.update(fields)
    if upload is not None:
        content, name, content_type = upload
        data["receipt"] = (io.BytesIO(content), name, content_type)
    return client.post(url, data=data, content_type="multipart/form-data")


def _only_expense(app) -> Expense:
    with app.app_context():
        return db.session.scalars(select(Expense)).one()


@pytest.mark.parametrize(
    ("content_factory", "name", "browser_type", "expected_type", "expected_name"),
    [
        (lambda: PDF_BYTES, "Hotel Köln.pdf", "application/pdf", "application/pdf", "Hotel Köln.pdf"),
        (png_bytes, "taxi.png", "image/png", "image/png", "taxi.png"),
        (jpeg_bytes, "lunch.JPG", "image/jpeg", "image/jpeg", "lunch.jpg"),
        (png_bytes, "scan.pdf", "application/pdf", "image/png", "scan.png"),
        (lambda: PDF_BYTES, "receipt", "application/octet-stream", "application/pdf", "receipt.pdf"),
    ],
)
def test_upload_accepted_by_magic_bytes(app, client, worker, project, content_factory, name, browser_type,
                                        expected_type, expected_name):
    content = content_factory()
    sign_in(client, "wanda")
    response = _post_expense(app, client, project, (content, name, browser_type))
    assert response.status_code == 302
    expense = _only_expense(app)
    assert expense.receipt_content_type == expected_type
    assert expense.receipt_original_name == expected_name
    assert expense.receipt_size == len(content)
    path = _receipt_dir(app) / expense.receipt_name
    assert path.read_bytes() == content
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert receipts.STORED_NAME.fullmatch(expense.receipt_name)


def test_upload_stored_outside_web_root(app, client, worker, project):
    sign_in(client, "wanda")
    _post_expense(app, client, project, (PDF_BYTES, "a.pdf", "application/pdf"))
    path = (_receipt_dir(app) / _only_expense(app).receipt_name).resolve()
    assert path.is_relative_to(app.config["TRACKERBOX"].upload_dir.resolve())
    assert not path.is_relative_to(os.path.realpath(app.static_folder))
    assert not path.is_relative_to(os.path.realpath(app.root_path))


@pytest.mark.parametrize(
    ("content", "name", "browser_type", "message"),
    [
        (HTML_BYTES, "receipt.pdf", "application/pdf", "is not a PDF, PNG or JPEG file"),
        (HTML_BYTES, "photo.png", "image/png", "is not a PDF, PNG or JPEG file"),
        (b"MZ\x90\x00" + b"\x00" * 60, "setup.exe", "application/octet-stream", "is not a PDF, PNG or JPEG file"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "logo.svg", "image/svg+xml", "is not a PDF, PNG or JPEG file"),
        (b"GIF89a" + b"\x00" * 20, "anim.gif", "image/gif", "is not a PDF, PNG or JPEG file"),
        (b"", "empty.pdf", "application/pdf", "is empty"),
    ],
)
def test_bad_upload_rejected_and_nothing_saved(app, client, worker, project, content, name, browser_type, message):
    sign_in(client, "wanda")
    response = _post_expense(app, client, project, (content, name, browser_type))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert "has-error" in page
    with app.app_context():
        assert db.session.scalar(select(Expense.id)) is None
    assert _stored_files(app) == []


def test_upload_over_limit_rejected(app, client, worker, project):
    app.config["TRACKERBOX"].max_upload_bytes = 2048
    sign_in(client, "wanda")
    too_large = PDF_BYTES + b"%" * (2049 - len(PDF_BYTES))
    response = _post_expense(app, client, project, (too_large, "big.pdf", "application/pdf"))
    assert response.status_code == 400
    assert "larger than the upload limit of 2 KB" in response.get_data(as_text=True)
    assert _stored_files(app) == []
    with app.app_context():
        assert db.session.scalar(select(Expense.id)) is None


def test_upload_at_limit_accepted(app, client, worker, project):
    app.config["TRACKERBOX"].max_upload_bytes = 2048
    sign_in(client, "wanda")
    exactly = PDF_BYTES + b"%" * (2048 - len(PDF_BYTES))
    response = _post_expense(app, client, project, (exactly, "fits.pdf", "application/pdf"))
    assert response.status_code == 302
    assert _only_expense(app).receipt_size == 2048


def test_expense_without_receipt_saved(app, client, worker, project):
    sign_in(client, "wanda")
    response = _post_expense(app, client, project, (b"", "", "application/octet-stream"))
    assert response.status_code == 302
    assert _only_expense(app).receipt_name is None
    assert _stored_files(app) == []


def test_bad_amount_leaves_no_file(app, client, worker, project):
    sign_in(client, "wanda")
    response = _post_expense(app, client, project, (PDF_BYTES, "a.pdf", "application/pdf"), amount="twelve")
    assert response.status_code == 400
    assert _stored_files(app) == []


def test_failed_insert_leaves_no_orphan_file(app, worker, project):
    def fail_insert(mapper, connection, target):
        raise OperationalError("INSERT INTO expenses", {}, Exception("disk I/O error"))

    event.listen(Expense, "before_insert", fail_insert)
    try:
        with pytest.raises(OperationalError):
            with acting_as(app, worker):
                data = ExpenseInput(expense_date=date(2026, 2, 10), project_id=project.id,
                                    category_id=category_id(app, "Meals"), amount="5",
                                    receipt=_file_storage(PDF_BYTES, "a.pdf"))
                services.create_expense(db.session.get(User, worker.id), data)
    finally:
        event.remove(Expense, "before_insert", fail_insert)
    assert _stored_files(app) == []


def test_failed_request_leaves_no_orphan_file(app, client, worker, project):
    def fail_insert(mapper, connection, target):
        raise OperationalError("INSERT INTO expenses", {}, Exception("disk I/O error"))

    sign_in(client, "wanda")
    event.listen(Expense, "before_insert", fail_insert)
    try:
        response = _post_expense(app, client, project, (PDF_BYTES, "a.pdf", "application/pdf"))
    finally:
        event.remove(Expense, "before_insert", fail_insert)
    assert response.status_code == 500
    assert "nothing was saved" in response.get_data(as_text=True)
    assert _stored_files(app) == []


def _file_storage(content: bytes, name: str):
    from werkzeug.datastructures import FileStorage

    return FileStorage(stream=io.BytesIO(content), filename=name, content_type="application/octet-stream")


def _create_with_receipt(app, worker, project, content=PDF_BYTES, name="first.pdf") -> int:
    with acting_as(app, worker):
        data = ExpenseInput(expense_date=date(2026, 2, 10), project_id=project.id,
                            category_id=category_id(app, "Meals"), amount="5", receipt=_file_storage(content, name))
        return services.create_expense(db.session.get(User, worker.id), data).id


def _edit_input(project, app, **fields) -> ExpenseInput:
    values = {"expense_date": date(2026, 2, 10), "project_id": project.id, "category_id": category_id(app, "Meals"),
              "amount": "5"}
    values.update(fields)
    return ExpenseInput(**values)


def test_replaced_receipt_removed_after_commit(app, worker, project):
    expense_id = _create_with_receipt(app, worker, project)
    old_name = load_expense(app, expense_id).receipt_name
    with acting_as(app, worker):
        user = db.session.get(User, worker.id)
        services.update_expense(user, expense_id, _edit_input(project, app, receipt=_file_storage(png_bytes(), "b.png")))
        assert old_name in _stored_files(app)
    new_name = load_expense(app, expense_id).receipt_name
    assert _stored_files(app) == [new_name]
    assert new_name != old_name


def test_failed_replace_keeps_old_receipt(app, worker, project):
    expense_id = _create_with_receipt(app, worker, project)
    old_name = load_expense(app, expense_id).receipt_name
    with pytest.raises(UserError):
        with acting_as(app, worker):
            user = db.session.get(User, worker.id)
            services.update_expense(user, expense_id, _edit_input(
                project, app, amount="5", tax="6", receipt=_file_storage(png_bytes(), "b.png")))
    assert _stored_files(app) == [old_name]
    assert load_expense(app, expense_id).receipt_name == old_name


def test_receipt_error_after_store_rolls_back_file(app, worker, project):
    expense_id = _create_with_receipt(app, worker, project)
    old_name = load_expense(app, expense_id).receipt_name
    with pytest.raises(RuntimeError):
        with acting_as(app, worker):
            user = db.session.get(User, worker.id)
            services.update_expense(user, expense_id, _edit_input(project, app,
                                                                  receipt=_file_storage(png_bytes(), "b.png")))
            assert len(_stored_files(app)) == 2
            raise RuntimeError("request failed after the service returned")
    assert _stored_files(app) == [old_name]


def test_removed_receipt_deleted_after_commit(app, worker, project):
    expense_id = _create_with_receipt(app, worker, project)
    with acting_as(app, worker):
        services.update_expense(db.session.get(User, worker.id), expense_id,
                                _edit_input(project, app, remove_receipt=True))
    expense = load_expense(app, expense_id)
    assert (expense.receipt_name, expense.receipt_original_name, expense.receipt_size) == (None, "", None)
    assert _stored_files(app) == []


def test_deleted_expense_removes_receipt_after_commit(app, worker, project):
    expense_id = _create_with_receipt(app, worker, project)
    with acting_as(app, worker):
        services.delete_expense(db.session.get(User, worker.id), expense_id)
        assert len(_stored_files(app)) == 1
    assert _stored_files(app) == []


def test_download_sends_checked_type_as_attachment(app, client, worker, project):
    expense_id = _create_with_receipt(app, worker, project, png_bytes(), "taxi.pdf")
    sign_in(client, "wanda")
    response = client.get(f"/expenses/{expense_id}/receipt")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"] == "attachment; filename=taxi.png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data == png_bytes()
    inline = client.get(f"/expenses/{expense_id}/receipt?inline=1")
    assert inline.headers["Content-Disposition"].startswith("attachment")


def test_pdf_download_may_open_inline(app, client, worker, project):
    expense_id = _create_with_receipt(app, worker, project, PDF_BYTES, "hotel.pdf")
    sign_in(client, "wanda")
    response = client.get(f"/expenses/{expense_id}/receipt?inline=1")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == "inline; filename=hotel.pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/expenses/{expense_id}/receipt").headers["Content-Disposition"].startswith("attachment")


def test_download_non_ascii_name_encoded(app, client, worker, project):
    expense_id = _create_with_receipt(app, worker, project, PDF_BYTES, "Quittung Müller.pdf")
    sign_in(client, "wanda")
    disposition = client.get(f"/expenses/{expense_id}/receipt").headers["Content-Disposition"]
    assert "filename*=UTF-8''Quittung%20M%C3%BCller.pdf" in disposition


def test_other_worker_gets_not_found(app, client, make_user, worker, project):
    expense_id = _create_with_receipt(app, worker, project)
    make_user("otto", "Worker")
    sign_in(client, "otto")
    assert client.get(f"/expenses/{expense_id}/receipt").status_code == 404
    assert client.get(f"/expenses/{expense_id}").status_code == 404
    assert client.get(f"/expenses/{expense_id}/edit").status_code == 404


def test_project_manager_may_download(app, client, make_user, worker):
    manager = make_user("petra", "Project Manager")
    project = make_project(app, make_client(app), manager=manager, members=[worker])
    expense_id = _create_with_receipt(app, worker, project)
    sign_in(client, "petra")
    assert client.get(f"/expenses/{expense_id}/receipt").status_code == 200
    assert client.get(f"/expenses/{expense_id}/edit").status_code == 403


def test_missing_receipt_gives_not_found(app, client, worker, project):
    expense_id = _create_with_receipt(app, worker, project)
    (_receipt_dir(app) / load_expense(app, expense_id).receipt_name).unlink()
    sign_in(client, "wanda")
    assert client.get(f"/expenses/{expense_id}/receipt").status_code == 404


@pytest.mark.parametrize(
    ("given", "extension", "expected"),
    [
        ("../../etc/passwd.pdf", ".pdf", "passwd.pdf"),
        ("C:\\Users\\ana\\Quittung Müller.PDF", ".pdf", "Quittung Müller.pdf"),
        ("invoice\u202egnp.pdf", ".pdf", "invoicegnp.pdf"),
        ("<script>alert(1)</script>.png", ".png", "script.png"),
        ("<img src=x onerror=alert(1)>.png", ".png", "img src_x onerror_alert(1).png"),
        ("", ".jpg", "receipt.jpg"),
        (".hidden.png", ".png", "hidden.png"),
        ("tab\tand\nnewline.pdf", ".pdf", "tabandnewline.pdf"),
        ("a" * 300 + ".pdf", ".pdf", "a" * 116 + ".pdf"),
    ],
)
def test_sanitise_file_name_table(given, extension, expected):
    assert receipts.sanitise_file_name(given, extension) == expected


def test_orphan_cleanup_removes_only_old_unreferenced(app, worker, project):
    expense_id = _create_with_receipt(app, worker, project)
    kept = load_expense(app, expense_id).receipt_name
    folder = _receipt_dir(app)
    orphan = folder / ("a" * 32 + ".pdf")
    fresh = folder / ("b" * 32 + ".pdf")
    stray_temp = folder / (receipts.TEMP_PREFIX + "x1")
    foreign = folder / "notes.txt"
    for path in (orphan, fresh, stray_temp, foreign):
        path.write_bytes(b"x")
    an_hour_ago = time.time() - 7200
    for path in (orphan, stray_temp, foreign, folder / kept):
        os.utime(path, (an_hour_ago, an_hour_ago))
    with app.app_context():
        removed = receipts.remove_orphan_receipts()
    assert sorted(removed) == sorted([orphan.name, stray_temp.name])
    assert sorted(_stored_files(app)) == sorted([kept, fresh.name, foreign.name])
