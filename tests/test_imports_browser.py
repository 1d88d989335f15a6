"""The import and export pages in headless Chromium: upload, map, import, then download a CSV."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from app import db
from app.models import TimeEntry
from tests.browser import chromium_page, live_server
from tests.conftest import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]

TOGGL = "imports/toggl/detailed_2021_student_project.csv"


def test_browser_import_toggl_then_export(app, make_user, fixtures_dir, tmp_path):
    make_user("ada", "Administrator", name="Ada Admin", timezone="Europe/Berlin")
    # make_user leaves a transaction open in this thread; end it so the server may write.
    db.session.remove()
    with live_server(app) as base, chromium_page() as page:
        page.goto(f"{base}/login")
        page.fill("input[name=login]", "ada")
        page.fill("input[name=password]", TEST_PASSWORD)
        page.click("button[type=submit]")

        page.goto(f"{base}/import/")
        page.set_input_files("input[name=file]", str(fixtures_dir / TOGGL))
        page.click("text=Show preview")
        assert "86 problems" in page.content()

        page.check("input[name=create_missing]")
        page.fill("input[name=default_project]", "STUDENT")
        page.click("text=Update preview")
        assert "No problems found" in page.content()
        assert "<td>worker.one</td>" in page.content()

        page.click("button[value=import]")
        assert "Imported detailed_2021_student_project.csv: 43 time entries" in page.content()

        page.goto(f"{base}/export/")
        page.select_option("select[name=kind]", "time")
        with page.expect_download() as download_info:
            page.click("text=Download CSV")
        path = tmp_path / "export.csv"
        download_info.value.save_as(path)

    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    assert len(rows) == 43
    assert sum(int(r["duration_seconds"]) for r in rows) == 149_108
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TimeEntry)) == 43
