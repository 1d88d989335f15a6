"""`trackerbox scheduler`: daily backup, weekly off-site copy, monthly restore drill, backup check, cleanup.

One scheduler runs per installation: it holds the "scheduler" lock (see backup.locks)
for as long as it lives, and a second one stands by until the lock is free. Jobs run one
at a time on a single worker thread, so they never overlap. Each job's last start is
stored in the scheduler_jobs table; a job whose latest due time passed while no
scheduler ran (the box was off at 02:00) runs once at start-up.
"""
from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask
from sqlalchemy import select

from app import db
from app.backups import jobs
from app.backups.services import select_targets
from app.config import Settings
from app.models import SchedulerJob
from backup import locks
from backup.notify import send_alert

log = logging.getLogger(__name__)

HEARTBEAT_FILE = "scheduler.heartbeat"
HEARTBEAT_SECONDS = 60
SCHEDULER_LOCK = "scheduler"
# How far back start-up looks for a missed due time; longer than the longest period (a month).
CATCH_UP_WINDOW = timedelta(days=32)


class ReportedFailure(Exception):
    """A job failed and has already logged and mailed the details itself."""


@dataclass(frozen=True)
class JobSpec:
    job_id: str
    trigger: CronTrigger
    run: Callable[[Settings], str]
    # Whether start-up runs a job that has never run; the drill waits for its first due
    # time, because a new box has no archive to drill with yet.
    run_if_never_ran: bool = True


def _daily_backup(settings: Settings) -> str:
    return _backup(settings, "daily")


def _weekly_backup(settings: Settings) -> str:
    return _backup(settings, "weekly")


def _backup(settings: Settings, schedule: str) -> str:
    with db.transaction(writes=False):
        targets = select_targets(settings, schedule=schedule)
    results = jobs.create_backups(settings, targets, schedule)
    failed = [result for result in results if not result.ok]
    if failed:
        raise ReportedFailure("; ".join(result.message for result in failed))
    return f"verified on {len(results)} target(s)"


def _restore_drill(settings: Settings) -> str:
    from app.backups.drill import run_drill

    with db.transaction(writes=False):
        targets = select_targets(settings)
    # Prefer the daily targets: they hold the newest archive and are usually the nearest.
    targets.sort(key=lambda target: target.schedule != "daily")
    return run_drill(settings, targets, jobs.load_identity(settings))


def _backup_check(settings: Settings) -> str:
    problems = jobs.check_freshness(settings)
    if problems:
        raise ReportedFailure("; ".join(problems))
    return "every target has a current verified backup"


def _uploads_clean(settings: Settings) -> str:
    from app.expenses.receipts import remove_orphan_receipts
    from app.imports.uploads import remove_stale_uploads

    with db.transaction(writes=False):
        receipts = remove_orphan_receipts(3600)
        imports = remove_stale_uploads()
    return f"removed {len(receipts)} orphaned receipt file(s) and {imports} stale import upload(s)"


def job_specs(settings: Settings) -> list[JobSpec]:
    """Return the scheduled jobs; times are the box's local time."""
    hour, minute = (int(part) for part in settings.backup_time.split(":"))
    weekly_hour = (hour + 1) % 24
    return [
        JobSpec("daily_backup", CronTrigger(hour=hour, minute=minute), _daily_backup),
        JobSpec("weekly_backup", CronTrigger(day_of_week=settings.backup_weekly_day, hour=weekly_hour,
                                             minute=minute), _weekly_backup),
        JobSpec("uploads_clean", CronTrigger(hour=(hour + 2) % 24, minute=minute), _uploads_clean),
        JobSpec("backup_check", CronTrigger(hour=(hour + 6) % 24, minute=minute), _backup_check),
        JobSpec("restore_drill", CronTrigger(day=1, hour=(hour + 3) % 24, minute=minute), _restore_drill,
                run_if_never_ran=False),
    ]


def previous_fire_time(trigger: CronTrigger, now: datetime) -> datetime | None:
    """Return the latest time at or before ``now`` when ``trigger`` was due."""
    previous = None
    candidate = trigger.get_next_fire_time(None, now - CATCH_UP_WINDOW)
    while candidate is not None and candidate <= now:
        previous = candidate
        candidate = trigger.get_next_fire_time(candidate, candidate + timedelta(seconds=1))
    return previous


def missed_jobs(specs: list[JobSpec], now: datetime) -> list[str]:
    """Return the ids of jobs due since their last recorded start.

    A job that never ran counts as missed unless its spec says otherwise.
    """
    with db.transaction(writes=False):
        last = {row.job_id: row.last_started_at for row in db.session.scalars(select(SchedulerJob))}
    missed = []
    for spec in specs:
        due = previous_fire_time(spec.trigger, now)
        started = last.get(spec.job_id)
        if started is None and not spec.run_if_never_ran:
            continue
        if due is not None and (started is None or started < due):
            missed.append(spec.job_id)
    return missed


def run_job(app: Flask, settings: Settings, spec: JobSpec) -> None:
    """Run one job in an application context, store its start and outcome, and alert on failure."""
    with app.app_context():
        _store(spec.job_id, started=True)
        log.info("job %s started", spec.job_id)
        try:
            message = spec.run(settings)
        except ReportedFailure as exc:
            log.error("job %s failed: %s", spec.job_id, exc)
            _store(spec.job_id, outcome="failed", message=str(exc))
            return
        except Exception as exc:  # noqa: BLE001  (a job failure is reported, the scheduler goes on)
            log.exception("job %s failed", spec.job_id)
            _store(spec.job_id, outcome="failed", message=str(exc))
            send_alert(settings, f"scheduled job {spec.job_id} failed", str(exc))
            return
        _store(spec.job_id, outcome="ok", message=message)
        log.info("job %s finished: %s", spec.job_id, message)


def _store(job_id: str, *, started: bool = False, outcome: str | None = None, message: str = "") -> None:
    now = datetime.now(timezone.utc)
    with db.transaction():
        row = db.session.get(SchedulerJob, job_id) or SchedulerJob(job_id=job_id, last_message="")
        if started:
            row.last_started_at = now
        else:
            row.last_finished_at = now
            row.last_outcome = outcome
            row.last_message = message[:2000]
        db.session.add(row)


def touch_heartbeat(settings: Settings, still_held: Callable[[], bool] = lambda: True,
                    scheduler: BlockingScheduler | None = None) -> None:
    """Rewrite the heartbeat file; stop the scheduler instead when its lock was lost."""
    if not still_held():
        log.error("scheduler lost its lock (database connection dropped); stopping the jobs to take the lock again")
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        return
    path = settings.data_dir / HEARTBEAT_FILE
    path.write_text(datetime.now(timezone.utc).isoformat(timespec="seconds") + "\n", encoding="utf-8")


def build_scheduler(app: Flask, settings: Settings, still_held: Callable[[], bool] = lambda: True
                    ) -> BlockingScheduler:
    scheduler = BlockingScheduler(
        executors={"default": ThreadPoolExecutor(1), "heartbeat": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    specs = job_specs(settings)
    for spec in specs:
        scheduler.add_job(run_job, spec.trigger, args=(app, settings, spec), id=spec.job_id, name=spec.job_id)
    scheduler.add_job(touch_heartbeat, "interval", seconds=HEARTBEAT_SECONDS, args=(settings, still_held, scheduler),
                      id="heartbeat", executor="heartbeat")
    now = datetime.now(timezone.utc).astimezone()
    with app.app_context():
        missed = missed_jobs(specs, now)
    by_id = {spec.job_id: spec for spec in specs}
    for job_id in missed:
        log.info("job %s missed its last due time; running it now", job_id)
        scheduler.add_job(run_job, "date", run_date=now, args=(app, settings, by_id[job_id]),
                          id=f"{job_id}-catch-up", misfire_grace_time=None)
    return scheduler


def serve(app: Flask, settings: Settings, standby_seconds: int = 30) -> None:
    """Run the scheduler while holding the lock; stand by while another scheduler holds it."""
    stop = threading.Event()
    current: list[BlockingScheduler] = []

    def on_signal(signum, _frame):
        log.info("scheduler received signal %s; stopping", signum)
        stop.set()
        if current and current[0].running:
            current[0].shutdown(wait=False)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    announced = False
    while not stop.is_set():
        try:
            with locks.exclusive(settings, SCHEDULER_LOCK) as still_held:
                log.info("scheduler started; heartbeat file %s", settings.data_dir / HEARTBEAT_FILE)
                scheduler = build_scheduler(app, settings, still_held)
                current[:] = [scheduler]
                if stop.is_set():  # the signal came while the scheduler was being built
                    return
                touch_heartbeat(settings)
                scheduler.start()
                log.info("scheduler stopped")
                if stop.is_set():
                    return
                announced = False
        except locks.LockHeld:
            if not announced:
                log.info("another scheduler holds the lock; standing by, retrying every %s s", standby_seconds)
                announced = True
            stop.wait(standby_seconds)
