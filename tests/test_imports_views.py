"""The import pages: upload, preview with problems and mappings, confirm and cancel."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from app import db
from app.models import AuditEvent, Client, TimeEntry, User
from tests.conftest import csrf_token, sign_in
from tests.factories import make_client, make_project

TOGGL = "imports/toggl/detailed_2021_student_project.csv"


@pytest.fixture
def admin(make_user, client):
    user = make_user("ada", "Administrator", timezone="Europe/Berlin")
    sign_in(client, "ada")
    return user


def upload(client, data: bytes, filename: str = "export.csv", **options):
    token = csrf_token(client, "/import/")
    fields = {"csrf_token": token, "timezone": "Europe/Berlin", "date_order": "", "default_project": "",
              "file": (io.BytesIO(data), filename)}
    fields.update(options)
    return client.post("/import/", data=fields, content_type="multipart/form-data")


def pending_token(html: str) -> str:
    match = re.search(r'id="token" name="token" type="hidden" value="([0-9a-f]{32})"', html)
    assert match, "no upload token on the preview page"
    return match.group(1)


def confirm(client, html: str, action: str, **fields):
    data = {"csrf_token": csrf_token(client, "/import/"), "token": pending_token(html), "action": action,
            "timezone": "Europe/Berlin", "date_order": "", "default_project": ""}
    data.update(fields)
    return client.post("/import/confirm", data=data)


def _pending_files(app) -> list[str]:
    folder = app.config["TRACKERBOX"].upload_dir / "imports-pending"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _entry_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(TimeEntry))


def test_import_page_needs_data_import(client, make_user):
    make_user("wanda")
    sign_in(client, "wanda")
    assert client.get("/import/").status_code == 403


def test_import_page_prefills_own_timezone(client, admin):
    page = client.get("/import/").get_data(as_text=True)

    assert 'value="Europe/Berlin"' in page
    assert "Toggl Track and Clockify detailed reports" in page


def test_upload_toggl_preview_lists_problems(app, client, admin, fixtures_dir):
    response = upload(client, (fixtures_dir / TOGGL).read_bytes(), "toggl.csv")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "Import preview: toggl.csv" in html
    assert "Toggl Track detailed report, utf-8," in html
    assert "86 problems: nothing will be imported" in html
    assert "43 time entries of 41:25 hours in the file, times read in Europe/Berlin." in html
    assert "to create" not in html
    every_line = ", ".join(str(line) for line in range(2, 45))
    assert f"<td>lines {every_line}</td>" in html
    assert "person &#39;Worker One (worker.one@example.test)&#39; is not a TrackerBox user" in html
    assert 'name="map_user_name-0" value="Worker One"' in html
    assert 'value="import"' not in html
    assert _entry_count(app) == 0
    assert len(_pending_files(app)) == 2


def test_preview_mapping_then_import(app, client, admin, make_user, fixtures_dir):
    make_user("wone", name="W. One")
    project = make_project(app, make_client(app), "ACME-1")
    html = upload(client, (fixtures_dir / TOGGL).read_bytes(), "toggl.csv").get_data(as_text=True)

    preview = confirm(client, html, "preview", default_project="ACME-1", **{
        "map_user_name-0": "Worker One", "map_user-0": "wone"})
    preview_html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "No problems found" in preview_html
    assert "43 time entries to create (41:25 hours), 0 already imported." in preview_html
    assert '<option value="wone" selected>' in preview_html
    assert "the entry overlaps the entry on line 17 of the same person; both are imported" in preview_html
    assert _entry_count(app) == 0

    done = confirm(client, preview_html, "import", default_project="ACME-1", **{
        "map_user_name-0": "Worker One", "map_user-0": "wone"})
    assert done.status_code == 302
    assert _entry_count(app) == 43
    assert _pending_files(app) == []
    page = client.get("/import/").get_data(as_text=True)
    assert "Imported toggl.csv: 43 time entries (0 already imported)." in page
    with app.app_context():
        assert set(db.session.scalars(select(TimeEntry.project_id))) == {project.id}
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "data.import"))
        assert event.login == "ada"


def test_upload_with_create_missing_imports(app, client, admin, fixtures_dir):
    html = upload(client, (fixtures_dir / TOGGL).read_bytes(), "toggl.csv", create_missing="y",
                  default_project="STUDENT").get_data(as_text=True)
    assert "People to create" in html
    assert "<td>worker.one</td>" in html
    assert "<td>STUDENT</td>" in html

    response = confirm(client, html, "import", create_missing="y", default_project="STUDENT")
    assert response.status_code == 302
    assert _entry_count(app) == 43
    page = client.get("/import/").get_data(as_text=True)
    assert "The new people have no password yet" in page
    with app.app_context():
        assert db.session.scalar(select(User).where(User.login == "worker.one")).must_change_password


def test_upload_same_file_again_skips_rows(app, client, admin, fixtures_dir):
    html = upload(client, (fixtures_dir / TOGGL).read_bytes(), create_missing="y",
                  default_project="STUDENT").get_data(as_text=True)
    confirm(client, html, "import", create_missing="y", default_project="STUDENT")

    again = upload(client, (fixtures_dir / TOGGL).read_bytes(), create_missing="y",
                   default_project="STUDENT").get_data(as_text=True)
    assert "0 time entries to create (0:00 hours), 43 already imported." in again
    assert _entry_count(app) == 43


def test_import_with_problems_is_rejected(app, client, admin, fixtures_dir):
    html = upload(client, (fixtures_dir / TOGGL).read_bytes()).get_data(as_text=True)
    response = confirm(client, html, "import")

    assert response.status_code == 400
    assert "86 problems" in response.get_data(as_text=True)
    assert _entry_count(app) == 0


@pytest.mark.parametrize("data, message", [
    (b"", "export.csv is empty"),
    (b"Foo,Bar\n1,2\n", "export.csv line 1: the header is not one TrackerBox can import"),
    (b"PK\x03\x04zip", "export.csv is a zip archive"),
])
def test_upload_bad_file_shows_reason(app, client, admin, data, message):
    response = upload(client, data)

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _pending_files(app) == []


def test_upload_without_file_asks_for_one(client, admin):
    token = csrf_token(client, "/import/")
    response = client.post("/import/", data={"csrf_token": token, "timezone": "UTC"},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose the CSV file to import." in response.get_data(as_text=True)


def test_upload_unknown_timezone_named(client, admin, fixtures_dir):
    response = upload(client, (fixtures_dir / TOGGL).read_bytes(), timezone="Mars/Olympus")

    assert response.status_code == 400
    assert "time zone &#39;Mars/Olympus&#39; is unknown" in response.get_data(as_text=True)


def test_confirm_with_bad_token_is_rejected(client, admin):
    data = {"csrf_token": csrf_token(client, "/import/"), "token": "../../etc/passwd", "action": "import",
            "timezone": "UTC", "date_order": "", "default_project": ""}
    response = client.post("/import/confirm", data=data)

    assert response.status_code == 400
    assert "the upload reference is invalid; upload the file again" in response.get_data(as_text=True)


def test_confirm_other_users_upload_is_not_found(app, client, admin, make_user, fixtures_dir):
    html = upload(client, (fixtures_dir / TOGGL).read_bytes()).get_data(as_text=True)
    make_user("second", "Administrator")
    other = app.test_client()
    sign_in(other, "second")

    response = confirm(other, html, "import")
    assert response.status_code == 400
    assert "the uploaded file is no longer available" in response.get_data(as_text=True)


def test_cancel_deletes_upload(app, client, admin, fixtures_dir):
    html = upload(client, (fixtures_dir / TOGGL).read_bytes()).get_data(as_text=True)
    assert len(_pending_files(app)) == 2

    response = client.post("/import/cancel", data={"csrf_token": csrf_token(client, "/import/"),
                                                   "token": pending_token(html)})
    assert response.status_code == 302
    assert _pending_files(app) == []


def test_upload_kimai_customers_preview_shows_details(app, client, admin, fixtures_dir):
    html = upload(client, (fixtures_dir / "imports/kimai/customers.csv").read_bytes(),
                  "customers.csv").get_data(as_text=True)

    assert "10 clients to create, 0 already present." in html
    assert "<td>Kub, Lowe and Daugherty</td>" in html
    assert "Pacific/Pitcairn" in html
    assert "archived (hidden in the file)" in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Client)) == 0


def test_upload_grandtotal_german_imports_client(app, client, admin, fixtures_dir):
    html = upload(client, (fixtures_dir / "imports/kimai/grandtotal_de.csv").read_bytes(),
                  "kunden.csv").get_data(as_text=True)
    assert "GrandTotal customer export (German), utf-8, semicolon-separated: 2 rows read." in html

    assert confirm(client, html, "import").status_code == 302
    with app.app_context():
        names = list(db.session.scalars(select(Client.name).order_by(Client.name)))
        assert names == ["Keleo", "Test"]
