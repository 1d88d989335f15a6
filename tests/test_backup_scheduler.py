import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger

from app import db
from app.backups import scheduler
from app.models import SchedulerJob
from backup import locks

UTC = timezone.utc
WAIT_SECONDS = 90


def test_previous_fire_time_of_daily_trigger():
    trigger = CronTrigger(hour=2, minute=0, timezone=UTC)
    now = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)
    assert scheduler.previous_fire_time(trigger, now) == datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    assert scheduler.previous_fire_time(trigger, now.replace(hour=2)) == now.replace(hour=2)


def test_missed_jobs_by_last_start(app_ctx):
    settings = app_ctx.config["TRACKERBOX"]
    specs = scheduler.job_specs(settings)
    now = datetime.now(UTC)
    with db.transaction():
        db.session.add(SchedulerJob(job_id="daily_backup", last_started_at=now - timedelta(days=3), last_message=""))
        db.session.add(SchedulerJob(job_id="weekly_backup", last_started_at=now, last_message=""))
        db.session.add(SchedulerJob(job_id="uploads_clean", last_started_at=now, last_message=""))
    missed = scheduler.missed_jobs(specs, now)
    # backup_check has no row: a job that never ran counts as missed.
    assert missed == ["daily_backup", "backup_check"]


def test_lock_is_exclusive_per_name(app):
    settings = app.config["TRACKERBOX"]
    with locks.exclusive(settings, "scheduler"):
        with pytest.raises(locks.LockHeld):
            with locks.exclusive(settings, "scheduler"):
                pass
        with locks.exclusive(settings, "backup"):
            pass
    with locks.exclusive(settings, "scheduler"):
        pass


def _config_file(app, tmp_path: Path) -> Path:
    settings = app.config["TRACKERBOX"]
    path = tmp_path / "trackerbox.conf"
    path.write_text(f"[trackerbox]\ndata_dir = {settings.data_dir}\ndatabase_url = {settings.database_url}\n"
                    "log_level = INFO\n")
    return path


def _mark_all_done_except(app, job_id: str) -> None:
    now = datetime.now(UTC)
    with app.app_context(), db.transaction():
        for spec in scheduler.job_specs(app.config["TRACKERBOX"]):
            started = now - timedelta(days=3) if spec.job_id == job_id else now
            db.session.add(SchedulerJob(job_id=spec.job_id, last_started_at=started, last_message=""))


def _orphan_receipt(app) -> Path:
    folder = app.config["TRACKERBOX"].upload_dir / "receipts"
    folder.mkdir(parents=True, exist_ok=True)
    orphan = folder / ("0123456789abcdef" * 2 + ".pdf")
    orphan.write_bytes(b"%PDF-1.4 left behind")
    old = time.time() - 7200
    os.utime(orphan, (old, old))
    return orphan


def _start(config: Path, log: Path) -> subprocess.Popen:
    env = dict(os.environ, TRACKERBOX_CONFIG=str(config))
    # One-shot commands run in this process earlier may have set a quieter level; the
    # checks below read the scheduler's INFO lines.
    env.pop("TRACKERBOX_LOG_LEVEL", None)
    with log.open("wb") as handle:
        return subprocess.Popen([str(Path(sys.executable).parent / "trackerbox"), "scheduler", "--standby-interval", "1"],
                                env=env, stdout=handle, stderr=subprocess.STDOUT)


def _wait_for(condition, what: str, *processes: subprocess.Popen) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        exited = [process.args for process in processes if process.poll() is not None]
        assert not exited, f"scheduler exited while waiting for {what}: {exited}"
        time.sleep(0.1)
    raise AssertionError(f"timed out after {WAIT_SECONDS} s waiting for {what}")


def _stop(process: subprocess.Popen) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    return process.wait(timeout=WAIT_SECONDS)


@pytest.mark.sqlite_only
def test_scheduler_catches_up_missed_run_at_start(app, tmp_path):
    _mark_all_done_except(app, "uploads_clean")
    orphan = _orphan_receipt(app)
    heartbeat = app.config["TRACKERBOX"].data_dir / "scheduler.heartbeat"
    process = _start(_config_file(app, tmp_path), tmp_path / "scheduler.log")
    try:
        _wait_for(lambda: not orphan.exists(), "the missed uploads cleanup to run", process)
        _wait_for(heartbeat.exists, "the heartbeat file", process)
    finally:
        code = _stop(process)
    log = (tmp_path / "scheduler.log").read_text()
    assert "job uploads_clean missed its last due time; running it now" in log
    assert "job daily_backup started" not in log
    assert code == 0


@pytest.mark.sqlite_only
def test_two_schedulers_run_each_job_once(app, tmp_path):
    _mark_all_done_except(app, "uploads_clean")
    orphan = _orphan_receipt(app)
    config = _config_file(app, tmp_path)
    first = _start(config, tmp_path / "first.log")
    second = _start(config, tmp_path / "second.log")
    try:
        _wait_for(lambda: not orphan.exists(), "the missed uploads cleanup to run", first, second)
        _wait_for(lambda: "standing by" in (tmp_path / "first.log").read_text()
                  + (tmp_path / "second.log").read_text(), "one scheduler to stand by")
        # Give the standby scheduler a few retries in which it must not start.
        time.sleep(2.5)
        logs = [(tmp_path / "first.log").read_text(), (tmp_path / "second.log").read_text()]
        assert sum(log.count("job uploads_clean started") for log in logs) == 1
        assert sum(log.count("scheduler started") for log in logs) == 1
        holder, standby = (first, second) if "scheduler started" in logs[0] else (second, first)
        standby_log = tmp_path / ("second.log" if holder is first else "first.log")
        _stop(holder)
        _wait_for(lambda: "scheduler started" in standby_log.read_text(), "the standby scheduler to take over", standby)
    finally:
        _stop(first)
        _stop(second)


def test_failed_scheduled_backup_stored_and_mailed_once(app, tmp_path):
    from tests.backup_builders import directory_target, with_identity
    from tests.smtp_sink import SmtpSink

    settings = with_identity(app)
    settings.backup_targets = [directory_target(tmp_path / "nas")]
    (tmp_path / "nas").rmdir()
    sink = SmtpSink()
    try:
        settings.smtp_host, settings.smtp_port = "127.0.0.1", sink.port
        settings.smtp_from, settings.smtp_to = "box@example.org", "it@example.org"
        spec = next(spec for spec in scheduler.job_specs(settings) if spec.job_id == "daily_backup")
        scheduler.run_job(app, settings, spec)
    finally:
        sink.close()
    with app.app_context():
        row = db.session.get(SchedulerJob, "daily_backup")
        assert row.last_outcome == "failed"
        assert "does not exist" in row.last_message
    assert len(sink.messages) == 1
    assert sink.messages[0]["Subject"] == "[TrackerBox] backup failed on 1 of 1 target(s)"


def test_lock_reports_dropped_database_connection(app):
    settings = app.config["TRACKERBOX"]
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("only the PostgreSQL advisory lock depends on a connection")
    from sqlalchemy import text

    engine = app.extensions["trackerbox_engine"]
    with locks.exclusive(settings, "scheduler") as still_held:
        assert still_held()
        with engine.connect() as connection:
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks JOIN pg_database ON pg_database.oid = pg_locks.database "
                "WHERE locktype = 'advisory' AND datname = current_database()"))
            connection.commit()
        assert not still_held()
    with locks.exclusive(settings, "scheduler") as still_held:
        assert still_held()
