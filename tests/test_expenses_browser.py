"""The expense form in headless Chromium: the mileage toggle under the strict CSP, and a real file upload."""
import pytest

from tests.browser import chromium_page, live_server
from tests.conftest import TEST_PASSWORD
from tests.expense_builders import png_bytes
from tests.factories import make_client, make_project

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]


def _sign_in(page, base):
    page.goto(f"{base}/login")
    page.fill("input[name=login]", "wanda")
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")


def test_browser_mileage_expense_with_receipt(app, make_user, tmp_path):
    worker = make_user("wanda", "Worker", locale="de")
    make_project(app, make_client(app), "ALPHA", members=[worker])
    receipt = tmp_path / "Tankbeleg.png"
    receipt.write_bytes(png_bytes())
    console_errors = []

    def collect_error(message):
        # The missing /favicon.ico is the browser's own request and not part of this page.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            console_errors.append(message.text)

    with live_server(app) as base, chromium_page() as page:
        page.on("console", collect_error)
        _sign_in(page, base)
        page.goto(f"{base}/expenses/new")
        assert page.is_visible("input[name=amount]")
        page.select_option("select[name=category_id]", label="Mileage")
        assert page.is_hidden("input[name=amount]")
        assert page.is_visible("input[name=distance]")
        page.select_option("select[name=project_id]", label="ALPHA Project ALPHA")
        page.fill("input[name=distance]", "12,5")
        page.set_input_files("input[name=receipt]", str(receipt))
        page.click("button.primary")
        text = page.inner_text("main")
        assert "Expense of" in text
        assert "3,75\u00a0€" in text
        assert "Tankbeleg.png" in text
    assert console_errors == []
