"""Hardening checks over every route and template: CSRF, security headers, no inline script, safe redirects,
request size limits, safe receipt serving and no shell commands."""
from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from app import db
from app.models import Expense
from tests.conftest import csrf_token, sign_in
from tests.expense_builders import HTML_BYTES, category_id
from tests.factories import make_client, make_project
from tests.routes import app_rules, rule_url

APP_DIR = Path(__file__).resolve().parent.parent / "app"
TEMPLATES = sorted((APP_DIR / "templates").rglob("*.html"))
SCRIPTS = sorted((APP_DIR / "static").rglob("*.js"))


@pytest.fixture
def admin(client, make_user):
    user = make_user("ada", "Administrator")
    sign_in(client, "ada")
    return user


# --- CSRF -----------------------------------------------------------------------------------------------------


def test_csrf_post_routes_reject_missing_token(app, client, admin):
    wrong = []
    for rule in app_rules(app, "POST"):
        url = rule_url(app, rule)
        response = client.post(url, data={"name": "x"})
        if response.status_code != 400 or "Form expired" not in response.get_data(as_text=True):
            wrong.append(f"{url}: {response.status_code}")
    assert wrong == []
    # The POST to /logout without a token did not sign the administrator out.
    assert client.get("/").status_code == 200


def test_csrf_post_forms_in_templates_carry_token():
    wrong = []
    for path in TEMPLATES:
        source = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<form\b[^>]*method=\"post\"[^>]*>(.*?)</form>", source, re.S | re.I):
            body = match.group(1)
            if "hidden_tag()" not in body and "csrf_token()" not in body:
                wrong.append(f"{path.name}: {match.group(0)[:80]}")
    assert wrong == []


def test_csrf_javascript_requests_send_token():
    """A script that sends requests itself (fetch, XMLHttpRequest, form.submit) must send the CSRF token too."""
    wrong = []
    for path in SCRIPTS:
        source = path.read_text(encoding="utf-8")
        sends = re.search(r"\bfetch\(|XMLHttpRequest|\.submit\(\)|sendBeacon", source)
        if sends and "X-CSRFToken" not in source and "csrf_token" not in source:
            wrong.append(path.name)
    assert wrong == []


# --- Headers and templates ------------------------------------------------------------------------------------


def _header_problems(response, *, signed_in: bool) -> list[str]:
    headers = response.headers
    problems = []
    policy = headers.get("Content-Security-Policy", "")
    if "frame-ancestors 'none'" not in policy or "default-src 'self'" not in policy:
        problems.append(f"CSP {policy!r}")
    if "unsafe-inline" in policy or "unsafe-eval" in policy:
        problems.append(f"CSP allows inline code: {policy!r}")
    expected = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
    problems += [f"{name}: {headers.get(name)!r}" for name, value in expected.items() if headers.get(name) != value]
    if "camera=()" not in headers.get("Permissions-Policy", ""):
        problems.append(f"Permissions-Policy: {headers.get('Permissions-Policy')!r}")
    if signed_in and headers.get("Cache-Control") != "no-store":
        problems.append(f"Cache-Control: {headers.get('Cache-Control')!r}")
    return problems


def test_headers_on_every_get_route(app, client, admin):
    wrong = {}
    for rule in app_rules(app, "GET"):
        url = rule_url(app, rule)
        problems = _header_problems(client.get(url), signed_in=True)
        if problems:
            wrong[url] = problems
    assert wrong == {}


def test_headers_on_public_and_error_pages(app, client):
    for url in ("/login", "/healthz", "/no-such-page"):
        assert _header_problems(client.get(url), signed_in=False) == []


def test_templates_have_no_inline_script_or_style():
    """The CSP (default-src 'self', no 'unsafe-inline') would block inline script, handlers and style attributes."""
    patterns = {
        "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I),
        "event handler attribute": re.compile(r"<[^>]+\son[a-z]+\s*=", re.I),
        "style attribute": re.compile(r"<[^>]+\sstyle\s*=", re.I),
        "<style> element": re.compile(r"<style\b", re.I),
        "javascript: URL": re.compile(r"javascript:", re.I),
    }
    wrong = []
    for path in TEMPLATES:
        source = path.read_text(encoding="utf-8")
        wrong += [f"{path.relative_to(APP_DIR)}: {name}" for name, pattern in patterns.items() if pattern.search(source)]
    assert wrong == []


# --- Errors, redirects and limits -----------------------------------------------------------------------------


def test_error_page_hides_details(app, client, make_user):
    def explode():
        raise RuntimeError("secret internals /etc/trackerbox")

    from app.security.permissions import signed_in

    app.add_url_rule("/explode", "explode", signed_in(explode))
    make_user("ada", "Administrator")
    sign_in(client, "ada")
    response = client.get("/explode")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in page
    assert "secret internals" not in page
    assert "Traceback" not in page
    assert app.debug is False


@pytest.mark.parametrize("target", [
    "//evil.example/", "/\\evil.example", "\\\\evil.example", "https://evil.example/", "javascript:alert(1)",
    "/\t/evil.example", "/\n/evil.example", "evil.example", "http:/evil.example", " //evil.example",
])
def test_next_accepts_only_local_paths(app, client, make_user, target):
    make_user("ada", "Administrator")
    token = csrf_token(client, "/login")
    response = client.post("/login", query_string={"next": target},
                           data={"login": "ada", "password": "correct horse battery staple 42", "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_keeps_local_path(app, client, make_user):
    make_user("ada", "Administrator")
    token = csrf_token(client, "/login")
    response = client.post("/login", query_string={"next": "/time/entries/?page=2"},
                           data={"login": "ada", "password": "correct horse battery staple 42", "csrf_token": token})
    assert response.headers["Location"] == "/time/entries/?page=2"


def test_request_over_size_limit_gets_413_page(app, client, make_user):
    settings = app.config["TRACKERBOX"]
    assert app.config["MAX_CONTENT_LENGTH"] == settings.max_upload_bytes + 1024 * 1024
    app.config["MAX_CONTENT_LENGTH"] = 4096
    make_user("wanda", "Worker")
    sign_in(client, "wanda")
    token = csrf_token(client, "/expenses/new")
    response = client.post("/expenses/new", content_type="multipart/form-data", data={
        "csrf_token": token, "receipt": (io.BytesIO(b"%PDF-" + b"0" * 8192), "big.pdf", "application/pdf")})
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "larger than the limit of" in page
    assert "max_upload_bytes" in page


def test_receipt_with_html_inside_served_as_pdf_attachment(app, client, make_user):
    """A file that starts like a PDF but carries HTML is stored as a PDF and never served as HTML."""
    worker = make_user("wanda", "Worker")
    project = make_project(app, make_client(app), members=[worker])
    sign_in(client, "wanda")
    polyglot = b"%PDF-1.4\n" + HTML_BYTES
    response = client.post("/expenses/new", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, "/expenses/new"), "expense_date": date(2026, 2, 10).isoformat(),
        "project_id": str(project.id), "category_id": str(category_id(app, "Meals")), "amount": "12.50",
        "receipt": (io.BytesIO(polyglot), "page.html", "text/html")})
    assert response.status_code == 302
    with app.app_context():
        expense_id = db.session.scalar(select(Expense.id))
    download = client.get(f"/expenses/{expense_id}/receipt")
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["Content-Disposition"].endswith(".pdf")
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_no_shell_commands_in_app():
    pattern = re.compile(r"shell\s*=\s*True|os\.system\(|os\.popen\(|subprocess\.getoutput|subprocess\.getstatusoutput")
    wrong = []
    for path in sorted(APP_DIR.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(line):
                wrong.append(f"{path.relative_to(APP_DIR)}:{number}: {line.strip()}")
    assert wrong == []
