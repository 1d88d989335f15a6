from datetime import datetime, timedelta, timezone

from backup.retention import ArchiveEntry, archive_name, parse_archive_name, plan_retention
from backup.target_config import TargetConfig

UTC = timezone.utc
NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # a Friday


def _target(**keep) -> TargetConfig:
    return TargetConfig(name="nas", type="directory", path="/srv/backup", **keep)


def _daily_archives(days: int, verified: bool = True) -> list[ArchiveEntry]:
    return [ArchiveEntry(archive_name(NOW - timedelta(days=n)), NOW - timedelta(days=n), verified)
            for n in range(days)]


def _kept_dates(kept: list[ArchiveEntry]) -> list[str]:
    return sorted((entry.created_at.date().isoformat() for entry in kept), reverse=True)


def test_archive_name_round_trips_its_time():
    name = archive_name(NOW)
    assert name == "trackerbox-20261204T020000.000Z.tar.age"
    assert parse_archive_name(name) == NOW
    assert parse_archive_name(name + ".partial") is None


def test_archive_names_in_one_second_differ():
    """Two runs in the same second must not overwrite each other's archive."""
    first, second = NOW.replace(microsecond=120_000), NOW.replace(microsecond=870_000)
    assert archive_name(first) != archive_name(second)
    assert parse_archive_name(archive_name(second)) == second.replace(microsecond=870_000)


def test_archive_name_without_milliseconds_still_parses():
    assert parse_archive_name("trackerbox-20261204T020000Z.tar.age") == NOW


def test_retention_keeps_7_daily_4_weekly_12_monthly():
    archives = _daily_archives(400)
    kept, deleted = plan_retention(archives, _target(), UTC)
    dates = _kept_dates(kept)
    last_seven = [(NOW - timedelta(days=n)).date().isoformat() for n in range(7)]
    assert dates[:7] == last_seven
    # Newest of each of the last 4 ISO weeks: this week (today), then the Sundays before.
    for sunday in ("2026-11-29", "2026-11-22", "2026-11-15"):
        assert sunday in dates
    # Newest of each of the last 12 months: the last day of each month before this one.
    # The 12 months include this one, so the oldest kept month end is January's.
    for month_end in ("2026-11-30", "2026-10-31", "2026-09-30", "2026-01-31"):
        assert month_end in dates
    assert "2025-12-31" not in dates
    # 7 days (Nov 28 to Dec 4, which hold this week's and Nov 29's newest and November's
    # end), 2 older Sundays (Nov 22, Nov 15) and 10 older month ends (October to January).
    assert len(kept) == 7 + 2 + 10
    assert len(kept) + len(deleted) == 400


def test_retention_with_zero_rules_keeps_last_three_verified():
    archives = _daily_archives(10)
    kept, deleted = plan_retention(archives, _target(keep_daily=0, keep_weekly=0, keep_monthly=0), UTC)
    assert _kept_dates(kept) == ["2026-12-04", "2026-12-03", "2026-12-02"]
    assert len(deleted) == 7


def test_retention_after_failures_keeps_last_verified():
    verified = [ArchiveEntry(archive_name(NOW - timedelta(days=30 + n)), NOW - timedelta(days=30 + n), True)
                for n in range(5)]
    # A month of runs that were written but never verified (full target, wrong key, killed run).
    failures = _daily_archives(30, verified=False)
    kept, deleted = plan_retention(verified + failures, _target(keep_daily=1, keep_weekly=0, keep_monthly=0), UTC)
    kept_names = {entry.name for entry in kept}
    assert {entry.name for entry in verified[:3]} <= kept_names
    assert all(entry.verified for entry in kept)
    assert {entry.name for entry in failures} <= {entry.name for entry in deleted}


def test_retention_ignores_unverified_when_counting_days():
    archives = _daily_archives(3, verified=False) + [
        ArchiveEntry(archive_name(NOW - timedelta(days=n)), NOW - timedelta(days=n), True) for n in range(3, 12)
    ]
    kept, _ = plan_retention(archives, _target(keep_daily=7, keep_weekly=0, keep_monthly=0), UTC)
    assert _kept_dates(kept) == [(NOW - timedelta(days=n)).date().isoformat() for n in range(3, 10)]
