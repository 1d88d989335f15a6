"""Backup targets from the config file and the admin UI, backup runs, and the status per target."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from app import db
from app.audit import service as audit
from app.config import Settings
from app.errors import UserError
from app.models import BackupRun, BackupTarget
from backup.target_config import TargetConfig, TargetConfigError, parse_target

log = logging.getLogger(__name__)

# A target's newest verified archive must be younger than this, or the status is "stale":
# a daily target gets two hours of slack over a day, a weekly one over a week.
MAX_AGE = {"daily": timedelta(hours=26), "weekly": timedelta(days=7, hours=2)}


def ui_targets() -> list[TargetConfig]:
    rows = db.session.scalars(select(BackupTarget).order_by(BackupTarget.name))
    return [_config_of(row) for row in rows]


def _config_of(row: BackupTarget) -> TargetConfig:
    return TargetConfig(
        name=row.name, type=row.type, path=row.path, schedule=row.schedule, host=row.host, port=row.port,
        user=row.user, key_file=row.key_file, known_hosts=row.known_hosts, keep_daily=row.keep_daily,
        keep_weekly=row.keep_weekly, keep_monthly=row.keep_monthly, require_mount=row.require_mount, origin="web",
    )


def all_targets(settings: Settings) -> list[TargetConfig]:
    """Return the config-file targets, then the UI targets; a UI target never shadows a file target."""
    file_targets = list(settings.backup_targets)
    names = {target.name for target in file_targets}
    return file_targets + [target for target in ui_targets() if target.name not in names]


def select_targets(settings: Settings, name: str | None = None, schedule: str | None = None) -> list[TargetConfig]:
    targets = all_targets(settings)
    if name is not None:
        chosen = [target for target in targets if target.name == name]
        if not chosen:
            known = ", ".join(target.name for target in targets) or "none is configured"
            raise UserError(f"backup target {name!r} not found; known targets: {known}")
        return chosen
    if schedule is not None:
        return [target for target in targets if target.schedule == schedule]
    return targets


def create_target(settings: Settings, values: dict[str, str]) -> BackupTarget:
    """Add a target from the admin form; the same checks as a config-file section apply."""
    name = (values.get("name") or "").strip()
    raw = {key: str(value) for key, value in values.items() if key != "name" and value not in (None, "")}
    try:
        config = parse_target(name, raw, f"target {name or '(no name)'}", origin="web")
    except TargetConfigError as exc:
        raise UserError(str(exc)) from None
    if any(target.name == name for target in all_targets(settings)):
        raise UserError(f"a backup target named {name!r} exists already; choose another name", field="name")
    row = BackupTarget(
        name=config.name, type=config.type, path=config.path, schedule=config.schedule, host=config.host,
        port=config.port, user=config.user, key_file=config.key_file, known_hosts=config.known_hosts,
        keep_daily=config.keep_daily, keep_weekly=config.keep_weekly, keep_monthly=config.keep_monthly,
        require_mount=config.require_mount,
    )
    db.session.add(row)
    db.session.flush()
    audit.record("backup.target_created", row, after=_target_dict(config))
    log.info("backup target %s added in the admin UI", config.name)
    return row


def delete_target(name: str) -> None:
    row = db.session.scalar(select(BackupTarget).where(BackupTarget.name == name))
    if row is None:
        raise UserError(f"backup target {name!r} not found, or it comes from the config file and is changed there")
    before = _target_dict(_config_of(row))
    audit.record("backup.target_deleted", row, before=before)
    db.session.delete(row)
    db.session.flush()
    log.info("backup target %s removed in the admin UI", name)


def _target_dict(config: TargetConfig) -> dict:
    keys = ("type", "path", "schedule", "host", "port", "user", "key_file", "known_hosts", "keep_daily",
            "keep_weekly", "keep_monthly", "require_mount")
    return {"name": config.name, **{key: getattr(config, key) for key in keys}}


def record_results(kind: str, started_at: datetime, results) -> None:
    """Store one BackupRun row per target result (the caller commits)."""
    finished_at = datetime.now(timezone.utc)
    for result in results:
        db.session.add(BackupRun(
            target=result.target, kind=kind, archive=result.archive, started_at=started_at, finished_at=finished_at,
            outcome="verified" if result.ok else "failed", size_bytes=result.size_bytes if result.ok else None,
            message=result.message[:2000],
        ))
    db.session.flush()


@dataclass
class TargetStatus:
    target: TargetConfig
    last_verified_at: datetime | None
    last_outcome: str | None
    last_message: str
    now: datetime

    @property
    def age(self) -> timedelta | None:
        return None if self.last_verified_at is None else self.now - self.last_verified_at

    @property
    def problem(self) -> str | None:
        """Return why this target needs attention, or None when its backups are current."""
        if self.last_outcome == "failed":
            return f"last backup failed: {self.last_message}"
        if self.last_verified_at is None:
            return "no verified backup yet"
        if self.age > MAX_AGE[self.target.schedule]:
            return f"newest verified backup is {format_age(self.age)} old"
        return None


def target_statuses(settings: Settings, now: datetime | None = None) -> list[TargetStatus]:
    """Return each target's newest verified backup and last outcome, in two queries."""
    now = now or datetime.now(timezone.utc)
    targets = all_targets(settings)
    verified = dict(db.session.execute(
        select(BackupRun.target, func.max(BackupRun.finished_at)).where(BackupRun.outcome == "verified")
        .group_by(BackupRun.target)
    ).all())
    newest_ids = select(func.max(BackupRun.id)).group_by(BackupRun.target)
    last = {run.target: run for run in db.session.scalars(select(BackupRun).where(BackupRun.id.in_(newest_ids)))}
    return [
        TargetStatus(target, verified.get(target.name), getattr(last.get(target.name), "outcome", None),
                     getattr(last.get(target.name), "message", ""), now)
        for target in targets
    ]


def schedule_warnings(targets: list[TargetConfig]) -> list[str]:
    """Name the gaps between the configured targets and the recommended two daily plus one weekly."""
    warnings = []
    daily = sum(1 for target in targets if target.schedule == "daily")
    if daily < 2:
        warnings.append(f"{daily} daily target(s) configured; two independent daily targets are recommended")
    if not any(target.schedule == "weekly" for target in targets):
        warnings.append("no weekly (off-site) target configured")
    return warnings


def format_age(age: timedelta) -> str:
    hours = int(age.total_seconds() // 3600)
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} days"


def recent_runs(limit: int = 20) -> list[BackupRun]:
    return list(db.session.scalars(select(BackupRun).order_by(BackupRun.id.desc()).limit(limit)))


