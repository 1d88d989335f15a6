import json

import pytest
from sqlalchemy import select

from app import db
from app.backups import jobs
from app.models import BackupRun
from backup.retention import SIDECAR_SUFFIX
from backup.runs import list_archives
from backup.targets import open_target
from tests import sshd
from tests.backup_builders import directory_target, sftp_target, small_filesystem, with_identity
from tests.smtp_sink import SmtpSink


@pytest.fixture(scope="module")
def ssh_server(tmp_path_factory):
    server = sshd.start(tmp_path_factory.mktemp("sshd"))
    yield server
    server.stop()


@pytest.fixture
def smtp():
    sink = SmtpSink()
    yield sink
    sink.close()


def _runs(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(run.target, run.outcome) for run in db.session.scalars(select(BackupRun).order_by(BackupRun.id))]


def test_backup_verifies_on_directory_and_sftp(app, tmp_path, ssh_server):
    settings = with_identity(app)
    nas = directory_target(tmp_path / "nas")
    offsite = sftp_target(ssh_server)
    with app.app_context():
        results = jobs.create_backups(settings, [nas, offsite], "daily")
    assert [(r.target, r.ok) for r in results] == [("nas", True), ("offsite", True)], [r.message for r in results]
    name = results[0].archive
    for folder in (tmp_path / "nas", ssh_server.remote_dir):
        sidecar = json.loads((folder / (name + SIDECAR_SUFFIX)).read_text())
        assert sidecar["archive"] == name
        assert sidecar["size_bytes"] == (folder / name).stat().st_size
        assert not list(folder.glob("*.partial"))
    assert _runs(app) == [("nas", "verified"), ("offsite", "verified")]
    assert not list((settings.data_dir / "backup-spool").iterdir())


@pytest.mark.sqlite_only
def test_failing_targets_never_stop_the_good_one(app, tmp_path, ssh_server, smtp):
    settings = with_identity(app)
    settings.smtp_host, settings.smtp_port = "127.0.0.1", smtp.port
    settings.smtp_from, settings.smtp_to = "box@example.org", "it@example.org"
    with small_filesystem(tmp_path / "full") as full, small_filesystem(tmp_path / "ro", read_only=True) as ro:
        targets = [
            sftp_target(ssh_server, name="unreachable", port=sshd.free_port()),
            directory_target(full, name="full"),
            directory_target(ro, name="readonly"),
            sftp_target(ssh_server, name="wrongkey", key_file=str(ssh_server.base / "host_ed25519")),
            directory_target(tmp_path / "good", name="good"),
        ]
        with app.app_context():
            results = jobs.create_backups(settings, targets, "daily")
        assert not list(full.iterdir())
    outcome = {result.target: result for result in results}
    assert outcome["good"].ok
    assert "cannot reach 127.0.0.1" in outcome["unreachable"].message
    assert "target full is full" in outcome["full"].message
    assert "target readonly" in outcome["readonly"].message
    assert "not writable" in outcome["readonly"].message
    assert "SSH connection to 127.0.0.1" in outcome["wrongkey"].message
    assert _runs(app) == [("unreachable", "failed"), ("full", "failed"), ("readonly", "failed"),
                          ("wrongkey", "failed"), ("good", "verified")]
    assert len(smtp.messages) == 1
    assert smtp.messages[0]["Subject"] == "[TrackerBox] backup failed on 4 of 5 target(s)"
    assert "target full is full" in smtp.messages[0].get_payload()


def test_wrong_identity_leaves_archive_unverified(app, tmp_path):
    settings = with_identity(app)
    nas = directory_target(tmp_path / "nas")
    import pyrage

    other = pyrage.x25519.Identity.generate()
    from backup.runs import run_backup

    with app.app_context():
        [result] = run_backup(settings, [nas], other)
    assert not result.ok
    assert "verification of" in result.message
    with open_target(nas) as transport:
        entries = list_archives(transport)
    assert [entry.verified for entry in entries] == [False]


def test_failures_never_rotate_away_verified_archives(app, tmp_path):
    settings = with_identity(app)
    nas = directory_target(tmp_path / "nas", keep_daily=1, keep_weekly=0, keep_monthly=0)
    with app.app_context():
        first = [jobs.create_backups(settings, [nas], "daily")[0].archive]
    # Three older verified archives, as earlier days' runs would have left them.
    folder = tmp_path / "nas"
    older = []
    for day in (1, 2, 3):
        name = f"trackerbox-2026010{day}T020000Z.tar.age"
        (folder / name).write_bytes((folder / first[0]).read_bytes())
        (folder / (name + SIDECAR_SUFFIX)).write_text(json.dumps({"archive": name}))
        older.append(name)
    # A series of failed runs: a wrong key, then a missing target directory.
    import pyrage

    from backup.runs import run_backup

    with app.app_context():
        for _ in range(3):
            assert not run_backup(settings, [nas], pyrage.x25519.Identity.generate())[0].ok
    names = {entry.name: entry.verified for entry in _entries(nas)}
    assert all(names[name] for name in older + first)
    assert sum(1 for verified in names.values() if not verified) >= 1

    # The next verified run prunes: newest 3 verified stay, unverified leftovers go.
    with app.app_context():
        [result] = jobs.create_backups(settings, [nas], "daily")
    # Names have one-second resolution, so the new archive may replace a failed one of the same second.
    unverified = {name for name, verified in names.items() if not verified} - {result.archive}
    assert result.ok
    assert result.pruned == 2 + len(unverified)
    remaining = _entries(nas)
    assert all(entry.verified for entry in remaining)
    assert sorted(entry.name for entry in remaining)[0] == older[2]
    assert len(remaining) == 3


def _entries(config):
    with open_target(config) as transport:
        return list_archives(transport)


def test_restore_drill_loads_newest_verified_archive(app, tmp_path, make_user):
    from app.backups.drill import DrillError, run_drill
    from backup.keys import load_identity

    make_user("drilled", "Worker")
    settings = with_identity(app)
    empty = directory_target(tmp_path / "empty", name="empty")
    nas = directory_target(tmp_path / "nas")
    with pytest.raises(DrillError) as caught:
        run_drill(settings, [empty], load_identity(settings))
    assert "no verified archive to drill with: empty: no verified archive" in str(caught.value)

    with app.app_context():
        [result] = jobs.create_backups(settings, [nas], "daily")
    report = run_drill(settings, [empty, nas], load_identity(settings))
    assert f"restore drill of {result.archive} from nas passed" in report
    assert not list(settings.data_dir.glob(".drill-*"))

    # A damaged archive fails the drill: flip one byte in the middle.
    archive = tmp_path / "nas" / result.archive
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    with pytest.raises(DrillError) as caught:
        run_drill(settings, [nas], load_identity(settings))
    assert f"restore drill of {result.archive} from nas failed" in str(caught.value)
