"""The week grid and timer in headless Chromium: keyboard moves, live totals and the elapsed clock."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app import db
from app.models import Task, TimeEntry
from tests.browser import chromium_page, live_server
from tests.conftest import TEST_PASSWORD
from tests.factories import make_client, make_project

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]


def _sign_in(page, base):
    page.goto(f"{base}/login")
    page.fill("input[name=login]", "wanda")
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")


def test_browser_grid_keyboard_totals_and_save(app, make_user):
    worker = make_user("wanda", "Worker")
    project = make_project(app, make_client(app), "ACME-1", members=[worker], tasks=("Development",))
    with app.app_context():
        task_id = db.session.scalar(select(Task.id).where(Task.project_id == project.id))
    # The builders leave a write transaction open in this thread; end it so the server can write.
    db.session.remove()
    with live_server(app) as base, chromium_page() as page:
        _sign_in(page, base)
        page.goto(f"{base}/time/?week=2026-W13&row={project.id}:&row={project.id}:{task_id}")
        first = page.locator('input.cell[data-row="0"][data-col="0"]')
        first.click()
        first.type("1:30")
        page.keyboard.press("ArrowRight")
        assert page.evaluate("document.activeElement.name") == "cell-0-1"
        page.keyboard.type("90m")
        page.keyboard.press("ArrowDown")
        assert page.evaluate("document.activeElement.name") == "cell-1-1"
        page.keyboard.type("1.5")
        assert page.locator('[data-row-total="0"]').inner_text() == "3:00"
        assert page.locator('[data-day-total="1"]').inner_text() == "3:00"
        assert page.locator("[data-week-total]").inner_text() == "4:30"
        page.click("text=Save week")
        assert "entries added" in page.content()
    with app.app_context():
        totals = sorted(db.session.scalars(select(TimeEntry.duration_seconds)))
    assert totals == [5400, 5400, 5400]


def test_browser_timer_shows_elapsed_time(app, make_user):
    worker = make_user("wanda", "Worker")
    make_project(app, make_client(app), "ACME-1", members=[worker])
    db.session.remove()
    with live_server(app) as base, chromium_page() as page:
        _sign_in(page, base)
        page.goto(f"{base}/time/")
        page.click("text=Start timer")
        clock = page.locator("[data-timer-start]")
        expect(clock).to_have_text(re.compile(r"^0:00:0[1-9]$"), timeout=5000)


def test_browser_unsaved_cells_warn_before_leaving(app, make_user):
    worker = make_user("wanda", "Worker")
    project = make_project(app, make_client(app), "ACME-1", members=[worker], tasks=("Development",))
    db.session.remove()
    with live_server(app) as base, chromium_page() as page:
        _sign_in(page, base)
        page.goto(f"{base}/time/?week=2026-W13&row={project.id}:")
        dialogs = []

        def dismiss(dialog):
            dialogs.append(dialog.type)
            dialog.dismiss()

        page.on("dialog", dismiss)
        page.fill('input.cell[data-row="0"][data-col="0"]', "2:00")
        page.click("text=Week 2026-W14")
        assert dialogs == ["beforeunload"]
        assert "2026-W13" in page.url
        page.click("text=Save week")
        assert "entries added" in page.content() or "entry added" in page.content()
