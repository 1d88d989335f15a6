"""Public-terminal sign-out in a real Chromium: the back button and storage show nothing of the session."""
import pytest

from tests.browser import chromium_page, live_server
from tests.conftest import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]
NAME = "Zebulon Quartermain"


def sign_in(page, base: str, *, public: bool) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=login]", "zeb")
    page.fill("input[name=password]", TEST_PASSWORD)
    if public:
        page.check("input[name=public]")
    page.click("button[type=submit]")


def test_public_sign_out_then_back_shows_nothing(app, make_user):
    make_user("zeb", name=NAME)
    with live_server(app) as base, chromium_page() as page:
        sign_in(page, base, public=True)
        page.goto(f"{base}/account/sessions")
        assert NAME in page.content()
        assert "127.0.0.1" in page.content()
        page.evaluate("localStorage.setItem('draft', 'x'); sessionStorage.setItem('draft', 'y')")
        page.click("text=Sign out")
        page.wait_for_selector("text=You are signed out")
        assert page.evaluate("localStorage.length + sessionStorage.length") == 0
        assert page.context.cookies() == []
        page.go_back()
        page.wait_for_load_state()
        assert NAME not in page.content()
        assert "/login" in page.url
        assert page.evaluate("localStorage.getItem('draft')") is None


def test_normal_sign_out_keeps_no_session_either(app, make_user):
    make_user("zeb", name=NAME)
    with live_server(app) as base, chromium_page() as page:
        sign_in(page, base, public=False)
        page.goto(f"{base}/account/sessions")
        assert NAME in page.content()
        page.click("text=Sign out")
        page.wait_for_selector("text=You are signed out.")
        page.go_back()
        page.wait_for_load_state()
        assert NAME not in page.content()


def test_public_window_closes_after_sign_out(app, make_user):
    make_user("zeb", name=NAME)
    with live_server(app) as base, chromium_page() as page:
        page.goto(f"{base}/login")
        with page.expect_popup() as popup_info:
            page.click("#open-public-window")
        popup = popup_info.value
        popup.wait_for_load_state()
        assert popup.is_checked("input[name=public]")
        popup.fill("input[name=login]", "zeb")
        popup.fill("input[name=password]", TEST_PASSWORD)
        popup.click("button[type=submit]")
        popup.wait_for_selector(f"text={NAME}")
        with popup.expect_event("close"):
            popup.click("text=Sign out")
        assert popup.is_closed()
