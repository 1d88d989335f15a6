"""GET /healthz: database, schema, disk space and scheduler heartbeat, as JSON without secrets."""
import os
import shutil
import time
from collections import namedtuple

import pytest

from app import migrate
from app.api import health

Usage = namedtuple("Usage", "total used free")


@pytest.fixture
def free_disk(monkeypatch):
    """Pretend the data directory's file system has this many bytes free."""
    def set_free(free: int) -> None:
        monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(100 * health.GIB, 0, free))

    set_free(50 * health.GIB)
    return set_free


def beat(app, seconds_ago: float = 0) -> None:
    path = app.config["TRACKERBOX"].data_dir / health.HEARTBEAT_FILE
    path.write_text("")
    stamp = time.time() - seconds_ago
    os.utime(path, (stamp, stamp))


def test_healthz_reports_ok(app, client, free_disk):
    beat(app, 30)
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok", "schema": "ok", "disk": "ok", "scheduler": "ok"}
    assert body["checks"]["scheduler"]["detail"] == "last heartbeat 30 s ago"
    assert body["checks"]["disk"]["detail"] == "50.0 GiB free in the data directory"


def test_healthz_reports_old_schema(app, client, free_disk):
    beat(app)
    migrate.downgrade(app.extensions["trackerbox_engine"], "0001")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["schema"]["detail"].startswith("at 0001")


def test_healthz_scheduler_never_ran_is_warning(client, free_disk):
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 200
    assert body["status"] == "warning"
    assert body["checks"]["scheduler"]["status"] == "warning"
    assert body["checks"]["scheduler"]["detail"].startswith("not running: it has never run")


def test_healthz_stale_scheduler_fails(app, client, free_disk):
    beat(app, 10 * 60 + 5)
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 503
    assert body["status"] == "failing"
    assert body["checks"]["scheduler"]["detail"].startswith("not running: last heartbeat 10 min ago")


@pytest.mark.parametrize(("free", "status", "code"), [
    (health.GIB // 4, "failing", 503),
    (health.GIB, "warning", 200),
    (3 * health.GIB, "ok", 200),
])
def test_healthz_disk_space_thresholds(app, client, free_disk, free, status, code):
    beat(app)
    free_disk(free)
    response = client.get("/healthz")
    assert response.status_code == code
    assert response.get_json()["checks"]["disk"]["status"] == status


def test_healthz_shows_no_secrets_or_paths(app, client, free_disk):
    beat(app)
    text = client.get("/healthz").get_data(as_text=True)
    settings = app.config["TRACKERBOX"]
    assert str(settings.data_dir) not in text
    assert settings.secret_key not in text
    assert "sqlite" not in text
    assert "postgresql" not in text
