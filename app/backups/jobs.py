"""The work behind `trackerbox backup create/prune` and the scheduled jobs, with alerts on failure."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from app import db
from app.backups import services
from app.config import Settings
from app.errors import UserError
from backup import locks
from backup.notify import send_alert
from backup.runs import Progress, TargetResult, prune_transport, run_backup
from backup.target_config import TargetConfig
from backup.targets import TRANSPORT_ERRORS, open_target

log = logging.getLogger(__name__)
BACKUP_LOCK = "backup"


def load_identity(settings: Settings):
    from backup.keys import load_identity as load

    return load(settings)


def create_backups(settings: Settings, targets: list[TargetConfig], kind: str, progress: Progress = None
                   ) -> list[TargetResult]:
    """Write one archive to ``targets``, record each outcome and mail the failures."""
    from backup.errors import BackupError

    if not targets:
        raise UserError("no backup target is configured; add a [backup.target NAME] section to the config file "
                        "or a target under Administration > Backups")
    started_at = datetime.now(timezone.utc)
    try:
        with locks.exclusive(settings, BACKUP_LOCK):
            try:
                identity = load_identity(settings)
            except BackupError as exc:
                results = [TargetResult(t.name, False, f"target {t.name}: cannot load the backup key: {exc}")
                           for t in targets]
            else:
                results = run_backup(settings, targets, identity, progress)
    except locks.LockHeld:
        raise UserError("another backup is running (scheduler or `trackerbox backup create`); "
                        "wait for it to finish") from None
    with db.transaction():
        services.record_results(kind, started_at, results)
    failures = [result for result in results if not result.ok]
    if failures:
        body = "\n".join(result.message for result in failures)
        send_alert(settings, f"backup failed on {len(failures)} of {len(results)} target(s)", body)
    return results


def prune_targets(settings: Settings, targets: list[TargetConfig]) -> list[tuple[str, int | None, str]]:
    """Apply retention on each target; return (target, archives deleted or None on failure, message)."""
    outcome = []
    try:
        with locks.exclusive(settings, BACKUP_LOCK):
            for config in targets:
                try:
                    with open_target(config) as transport:
                        deleted = prune_transport(transport, config)
                except TRANSPORT_ERRORS as exc:
                    log.error("retention on target %s failed: %s", config.name, exc)
                    outcome.append((config.name, None, str(exc)))
                    continue
                outcome.append((config.name, len(deleted), f"deleted {len(deleted)} archive(s)"))
    except locks.LockHeld:
        raise UserError("a backup is running; prune again when it has finished") from None
    return outcome


def check_freshness(settings: Settings) -> list[str]:
    """Return a line per target whose newest verified backup is missing, failed or too old; mail them."""
    with db.transaction(writes=False):
        problems = [f"{status.target.name}: {status.problem}" for status in services.target_statuses(settings)
                    if status.problem]
    if problems:
        log.warning("backup check found %s target(s) needing attention: %s", len(problems), "; ".join(problems))
        send_alert(settings, "backups need attention", "\n".join(problems))
    return problems
