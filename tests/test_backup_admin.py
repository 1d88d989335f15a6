"""Administration > Backups: targets from the UI and the config file, status, and the dashboard panel."""
import html
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app import db
from app.models import AuditEvent, BackupRun, BackupTarget
from tests.backup_builders import directory_target
from tests.conftest import csrf_token, sign_in

NEW_TARGET = {"name": "usb", "type": "directory", "path": "/media/usb/trackerbox", "schedule": "daily",
              "port": "22", "keep_daily": "7", "keep_weekly": "4", "keep_monthly": "12"}


@pytest.fixture
def admin(make_user, client):
    user = make_user("hq", "Administrator")
    sign_in(client, "hq")
    return user


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_backups_page_adds_target_audited(client, admin, app):
    response = client.post("/admin/backups", data={**NEW_TARGET, "csrf_token": csrf_token(client, "/admin/backups")})
    assert response.status_code == 302
    with app.app_context():
        target = db.session.scalars(select(BackupTarget)).one()
        assert (target.name, target.path, target.keep_daily) == ("usb", "/media/usb/trackerbox", 7)
        assert db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "backup.target_created")).one()
    page = text(client.get("/admin/backups"))
    assert "/media/usb/trackerbox" in page
    assert "no verified backup yet" in page


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("path", "media/usb", "path = 'media/usb' is invalid; give an absolute path"),
    ("name", "USB drive", "target name 'USB drive' is invalid"),
    ("type", "sftp", "host is missing; an sftp target needs host, user, key_file and known_hosts"),
])
def test_backups_page_rejects_bad_target(client, admin, app, field, value, expected):
    data = {**NEW_TARGET, field: value, "csrf_token": csrf_token(client, "/admin/backups")}
    response = client.post("/admin/backups", data=data)
    assert response.status_code == 400
    assert expected in text(response)
    with app.app_context():
        assert db.session.scalars(select(BackupTarget)).all() == []


def test_backups_page_shows_config_target_read_only(client, admin, app):
    app.config["TRACKERBOX"].backup_targets = [directory_target(app.config["TRACKERBOX"].data_dir / "nas")]
    page = text(client.get("/admin/backups"))
    assert "config file (read-only)" in page
    assert "/admin/backups/nas/delete" not in page
    response = client.post("/admin/backups", data={**NEW_TARGET, "name": "nas",
                                                   "csrf_token": csrf_token(client, "/admin/backups")})
    assert response.status_code == 400
    assert "a backup target named 'nas' exists already" in text(response)
    response = client.post("/admin/backups/nas/delete", data={"csrf_token": csrf_token(client, "/admin/backups")})
    assert response.status_code == 302
    assert "comes from the config file" in text(client.get("/admin/backups"))


def test_backups_page_removes_ui_target(client, admin, app):
    client.post("/admin/backups", data={**NEW_TARGET, "csrf_token": csrf_token(client, "/admin/backups")})
    response = client.post("/admin/backups/usb/delete", data={"csrf_token": csrf_token(client, "/admin/backups")})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(BackupTarget)).all() == []


def test_backups_page_forbidden_for_worker(client, make_user):
    make_user("worker", "Worker")
    sign_in(client, "worker")
    assert client.get("/admin/backups").status_code == 403


def test_dashboard_shows_age_and_failure_per_target(client, admin, app):
    settings = app.config["TRACKERBOX"]
    settings.backup_targets = [directory_target(settings.data_dir / "nas"),
                               directory_target(settings.data_dir / "usb", name="usb")]
    now = datetime.now(timezone.utc)
    with app.app_context(), db.transaction():
        db.session.add(BackupRun(target="nas", kind="daily", archive="a", started_at=now - timedelta(hours=5),
                                 finished_at=now - timedelta(hours=5), outcome="verified", message="verified a"))
        db.session.add(BackupRun(target="usb", kind="daily", archive="a", started_at=now - timedelta(hours=30),
                                 finished_at=now - timedelta(hours=30), outcome="verified", message="verified a"))
        db.session.add(BackupRun(target="usb", kind="daily", archive="b", started_at=now,
                                 finished_at=now, outcome="failed", message="target usb is full"))
    page = text(client.get("/"))
    assert "Backups" in page
    assert "5 h ago" in page
    assert "30 h ago" in page
    assert "last backup failed: target usb is full" in page
