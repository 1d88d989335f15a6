"""Shared fixtures: an application per test on a freshly migrated SQLite or PostgreSQL database.

Every database test runs once per backend. TRACKERBOX_TEST_BACKENDS=sqlite (or
postgresql) limits a run to one of them.
"""
from __future__ import annotations

import itertools
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask_login import login_user
from sqlalchemy import select

from app import create_app, db, migrate
from app.config import Settings
from app.keys import ensure_keys
from tests import pg_cluster

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures"
TEST_PASSWORD = "correct horse battery staple 42"
BACKENDS = [b for b in os.environ.get("TRACKERBOX_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
_database_counter = itertools.count()


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: runs on the SQLite backend only")


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    if not FIXTURES.is_dir():
        pytest.fail(f"shared fixtures not found at {FIXTURES}; the repository must sit next to shared/")
    return FIXTURES


def _settings(data_dir: Path, url: str) -> Settings:
    settings = Settings(data_dir=data_dir, database_url=url, secret_key=None, bcrypt_rounds=4)
    data_dir.mkdir(parents=True, exist_ok=True)
    settings.upload_dir.mkdir(exist_ok=True)
    ensure_keys(settings)
    return settings


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = db.make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    url = os.environ.get("TRACKERBOX_TEST_DATABASE_URL")
    if url:
        yield url
        return
    cluster = pg_cluster.Cluster(Path(f"/tmp/trackerbox-pg-{os.getpid()}"))
    try:
        yield cluster.start()
    finally:
        cluster.stop()
        shutil.rmtree(cluster.base_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_template(pg_server) -> str:
    admin = pg_cluster.admin_engine(pg_server)
    name = f"tb_template_{os.getpid()}"
    pg_cluster.recreate_database(admin, name)
    engine = db.make_engine(pg_cluster.database_url(pg_server, name))
    migrate.upgrade(engine)
    engine.dispose()
    yield name
    pg_cluster.drop_database(admin, name)
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """A new, migrated database for one test."""
    if request.param == "sqlite":
        path = tmp_path / "trackerbox.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    if request.node.get_closest_marker("sqlite_only"):
        pytest.skip("this test runs on the SQLite backend only")
    server = request.getfixturevalue("pg_server")
    template = request.getfixturevalue("pg_template")
    admin = pg_cluster.admin_engine(server)
    name = f"tb_test_{os.getpid()}_{next(_database_counter)}"
    pg_cluster.recreate_database(admin, name, template=template)
    yield pg_cluster.database_url(server, name)
    db.session.remove()
    pg_cluster.drop_database(admin, name)
    admin.dispose()


@pytest.fixture
def app(database_url, tmp_path):
    application = create_app(_settings(tmp_path / "data", database_url))
    application.config.update(TESTING=True)
    yield application
    db.session.remove()
    application.extensions["trackerbox_engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def make_user(app):
    """Create a user with a known password and no forced change; returns the User."""
    from app.auth import services
    from app.models import User
    from app.security import passwords

    def factory(login: str, *profiles: str, name: str | None = None, timezone: str = "Europe/Berlin", **fields):
        with app.app_context(), db.transaction():
            user, _ = services.create_user(login, name or login.title(), profiles=list(profiles or ["Worker"]),
                                           timezone=timezone, **fields)
            user.password_hash = passwords.hash_password(TEST_PASSWORD, app.extensions["trackerbox_keys"]["password"], 4)
            user.must_change_password = False
            user_id = user.id
        with app.app_context():
            return db.session.get(User, user_id)

    return factory


def sign_in(client, login: str, password: str = TEST_PASSWORD):
    """Sign in through the real form, CSRF token included; returns the response."""
    page = client.get("/login")
    token = _csrf_token(page.get_data(as_text=True))
    return client.post("/login", data={"login": login, "password": password, "csrf_token": token})


def _csrf_token(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def csrf_token(client, path: str = "/") -> str:
    return _csrf_token(client.get(path).get_data(as_text=True))


@contextmanager
def acting_as(app, user):
    """Run service code as ``user`` inside a request context and one transaction."""
    from app.models import User

    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        with db.transaction():
            login_user(db.session.get(User, user.id))
            yield db.session


def one(statement):
    return db.session.scalars(statement).one()


__all__ = ["TEST_PASSWORD", "acting_as", "csrf_token", "one", "select", "sign_in"]
