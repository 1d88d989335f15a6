"""Two-factor set-up and sign-in in headless Chromium, under the real Content-Security-Policy."""
import time

import pyotp
import pytest

from tests.browser import chromium_page, live_server
from tests.conftest import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]


def test_browser_enrols_and_signs_in_with_code(app, make_user):
    make_user("ada", "Administrator", name="Ada Admin")
    csp_violations = []
    with live_server(app) as base, chromium_page() as page:
        page.on("console", lambda message: csp_violations.append(message.text) if "Refused" in message.text else None)
        page.goto(f"{base}/login")
        page.fill("input[name=login]", "ada")
        page.fill("input[name=password]", TEST_PASSWORD)
        page.click("button[type=submit]")
        page.click("text=Two-factor")
        page.click("button:has-text('Set up')")
        secret = page.locator("code.totp-secret").inner_text().replace(" ", "")
        qr_width = page.locator("p.qr img").evaluate("image => image.naturalWidth")
        assert qr_width > 0
        page.fill("input[name=code]", pyotp.TOTP(secret).now())
        page.click("button:has-text('Switch on')")
        assert page.locator("h1").inner_text() == "Your recovery codes"
        assert page.locator("ol.recovery-codes li").count() == 10
        page.click("text=I have stored the codes")
        page.click("text=Sign out")

        page.fill("input[name=login]", "ada")
        page.fill("input[name=password]", TEST_PASSWORD)
        page.click("button[type=submit]")
        assert page.url.endswith("/login/verify")
        # The next step's code: the current one was used to switch the factor on.
        page.fill("input[name=code]", pyotp.TOTP(secret).at(time.time() + 30))
        page.click("button.primary")
        assert page.locator("h1").inner_text() == "Hello, Ada Admin"
    assert csp_violations == []
