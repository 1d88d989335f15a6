import pytest

from app import db
from app.auth.services import create_user
from tests.browser import chromium_page, live_server

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]


def test_browser_first_sign_in_changes_password(app):
    with app.app_context(), db.transaction():
        _, one_time = create_user("ada", "Ada Admin", profiles=["Administrator"])
    with live_server(app) as base, chromium_page() as page:
        page.goto(f"{base}/")
        assert page.url.startswith(f"{base}/login")
        page.fill("input[name=login]", "ada")
        page.fill("input[name=password]", one_time)
        page.click("button[type=submit]")
        assert page.url.endswith("/account/password")
        page.fill("input[name=current_password]", one_time)
        page.fill("input[name=new_password]", "a long browser passphrase 1")
        page.fill("input[name=confirm_password]", "a long browser passphrase 1")
        page.click("button.primary")
        assert page.locator("h1").inner_text() == "Hello, Ada Admin"
        page.click("text=Sign out")
        assert "You are signed out." in page.content()
