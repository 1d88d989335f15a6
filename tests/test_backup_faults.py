"""Damaged, cut, foreign and newer archives are refused, and killed backups and restores harm nothing."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pyrage
import pytest
from pyrage import x25519
from sqlalchemy import text

from app import maintenance
from backup import archive as archive_module
from backup.archive import verify_archive, write_archive, write_archive_file
from backup.errors import BackupError
from backup.keys import init_identity, load_identity
from backup.restore import restore_archive
from tests.backup_helpers import (add_receipts, drop_restore_databases, file_hashes, settings_of, table_rows,
                                  without_restore_event)


@pytest.fixture
def small_box(app, make_user):
    """A box with two people, a few receipts (one of 1.5 MB) and a backup identity."""
    make_user("alice", "Administrator")
    make_user("bob")
    settings = settings_of(app)
    add_receipts(settings)
    (settings.upload_dir / "receipts" / "large.pdf").write_bytes(b"%PDF" + os.urandom(1_500_000))
    init_identity(settings)
    return settings


def _archive_bytes(settings) -> bytes:
    out = io.BytesIO()
    write_archive(settings, out)
    return out.getvalue()


def _verify(data: bytes, identity):
    return verify_archive(io.BytesIO(data), identity)


def test_cut_archive_never_verifies(small_box):
    data = _archive_bytes(small_box)
    identity = load_identity(small_box)
    _verify(data, identity)
    for cut in (0, 30, 200, len(data) // 3, len(data) // 2, len(data) - 70_000, len(data) - 1):
        with pytest.raises(BackupError) as caught:
            _verify(data[:cut], identity)
        assert "truncated" in str(caught.value) or "not an age" in str(caught.value), cut


@pytest.mark.parametrize("position", [40, 200, 70_000, -1])
def test_flipped_byte_refused(small_box, position):
    data = bytearray(_archive_bytes(small_box))
    data[position] ^= 0x01
    with pytest.raises(BackupError) as caught:
        _verify(bytes(data), load_identity(small_box))
    assert "damaged" in str(caught.value)


def test_wrong_identity_refused(small_box):
    data = _archive_bytes(small_box)
    with pytest.raises(BackupError) as caught:
        _verify(data, x25519.Identity.generate())
    assert "another box's key" in str(caught.value)


def test_newer_trackerbox_refused(small_box, monkeypatch):
    monkeypatch.setattr(archive_module, "TRACKERBOX_VERSION", "99.1.0")
    data = _archive_bytes(small_box)
    with pytest.raises(BackupError) as caught:
        _verify(data, load_identity(small_box))
    assert "TrackerBox 99.1.0, newer than this one" in str(caught.value)
    assert "upgrade TrackerBox" in str(caught.value)


def test_unknown_schema_revision_refused(small_box, monkeypatch):
    monkeypatch.setattr(archive_module, "_alembic_revision", lambda connection: "9999")
    data = _archive_bytes(small_box)
    with pytest.raises(BackupError) as caught:
        _verify(data, load_identity(small_box))
    assert "schema revision 9999 is unknown" in str(caught.value)


def _bad_archive(kind: str, settings, path: Path, monkeypatch):
    """Write an archive spoiled in the way ``kind`` names; return the identity to restore it with."""
    identity = load_identity(settings)
    if kind == "newer":
        monkeypatch.setattr(archive_module, "TRACKERBOX_VERSION", "99.0.0")
    data = bytearray(_archive_bytes(settings))
    monkeypatch.undo()
    if kind == "flipped":
        data[len(data) // 2] ^= 0x80
    if kind == "truncated":
        data = data[: len(data) - 1000]
    if kind == "wrong identity":
        identity = x25519.Identity.generate()
    path.write_bytes(bytes(data))
    return identity


@pytest.mark.parametrize("kind", ["flipped", "truncated", "wrong identity", "newer"])
def test_restore_refuses_bad_archive_unchanged(small_box, tmp_path, monkeypatch, kind):
    path = tmp_path / "bad.tar.age"
    identity = _bad_archive(kind, small_box, path, monkeypatch)
    rows = table_rows(small_box.database_url)
    files = file_hashes(small_box.upload_dir)
    with pytest.raises(BackupError):
        restore_archive(small_box, path, identity)
    assert table_rows(small_box.database_url) == rows
    assert file_hashes(small_box.upload_dir) == files
    assert not maintenance.is_active(small_box)
    assert not list(small_box.data_dir.glob(".restore-*"))
    assert "failed" in (small_box.data_dir / "restore.log").read_text()


def test_snapshot_ignores_concurrent_writes(small_box, app):
    engine = app.extensions["trackerbox_engine"]
    with engine.connect() as connection:
        users_before = connection.scalar(text("SELECT count(*) FROM users"))
    written = []

    def write_meanwhile(done, total):
        if not written:
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO tax_rates (name, rate_basis_points, active) "
                                        "VALUES ('During backup', 100, true)"))
                connection.execute(text("UPDATE users SET name = 'Changed' WHERE login = 'bob'"))
            written.append(True)

    out = io.BytesIO()
    manifest = write_archive(small_box, out, progress=write_meanwhile)
    assert written
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM tax_rates WHERE name = 'During backup'")) == 1
    checked = verify_archive(io.BytesIO(out.getvalue()), load_identity(small_box))
    assert checked.row_counts["tax_rates"] == manifest.row_counts["tax_rates"]
    assert manifest.row_counts["users"] == users_before
    plain_tar = pyrage.decrypt(out.getvalue(), [load_identity(small_box)])
    assert b"During backup" not in plain_tar
    assert b'"Bob"' in plain_tar


KILLER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from app.config import load_settings
    phase_wanted, limit = sys.argv[1], int(sys.argv[2])

    def progress(*args):
        phase, done = (args[0], args[1]) if len(args) == 3 else ("backup", args[0])
        if phase == phase_wanted and done >= limit:
            os.kill(os.getpid(), signal.SIGKILL)

    settings = load_settings()
    if phase_wanted == "backup":
        from backup.archive import write_archive_file
        write_archive_file(settings, Path(sys.argv[3]), progress=progress)
    else:
        from backup.keys import load_identity
        from backup.restore import restore_archive
        restore_archive(settings, Path(sys.argv[3]), load_identity(settings), progress=progress)
""")


def _run_killed(settings, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TRACKERBOX_DATA_DIR": str(settings.data_dir), "TRACKERBOX_DATABASE_URL": settings.database_url,
           "TRACKERBOX_LOG_LEVEL": "WARNING"}
    result = subprocess.run([sys.executable, "-c", KILLER, *args], env=env, capture_output=True, timeout=120)
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()
    return result


@pytest.mark.parametrize("limit", [1, 400_000, 1_400_000])
def test_killed_backup_leaves_nothing_that_verifies(small_box, tmp_path, limit):
    target = tmp_path / "out" / "box.tar.age"
    target.parent.mkdir()
    _run_killed(small_box, "backup", str(limit), str(target))
    assert not target.exists()
    leftovers = list(target.parent.iterdir())
    assert leftovers, "the killed backup left no partial file to check"
    for partial in leftovers:
        with partial.open("rb") as stream, pytest.raises(BackupError):
            verify_archive(stream, load_identity(small_box))
    # The next backup removes the plaintext staging folder the killed one left.
    write_archive_file(small_box, tmp_path / "next.tar.age")
    assert not list(small_box.data_dir.glob(".backup-*"))


@pytest.mark.parametrize("phase", ["unpacking", "loading"])
def test_killed_restore_keeps_old_data(small_box, app, tmp_path, phase):
    archive = tmp_path / "box.tar.age"
    write_archive_file(small_box, archive)
    with app.extensions["trackerbox_engine"].begin() as connection:
        connection.execute(text("UPDATE users SET name = 'After backup' WHERE login = 'alice'"))
    (small_box.upload_dir / "receipts" / "after.pdf").write_bytes(b"%PDF after")
    rows = table_rows(small_box.database_url)
    files = file_hashes(small_box.upload_dir)
    try:
        _run_killed(small_box, phase, "1", str(archive))
        assert table_rows(small_box.database_url) == rows
        assert file_hashes(small_box.upload_dir) == files
        assert maintenance.is_active(small_box)

        restore_archive(small_box, archive, load_identity(small_box))
        restored = without_restore_event(table_rows(small_box.database_url))
        assert [r for r in restored["users"] if "After backup" in r] == []
        assert "after.pdf" not in file_hashes(small_box.upload_dir)
        assert not maintenance.is_active(small_box)
        assert not list(small_box.data_dir.glob(".restore-*"))
    finally:
        if small_box.database_url.startswith("postgresql"):
            drop_restore_databases(small_box.database_url)


@pytest.mark.sqlite_only
def test_restore_waits_for_other_sqlite_users(small_box, tmp_path, monkeypatch):
    """A process that keeps the SQLite file open stops the swap; the live file stays as it was."""
    from backup import swap

    archive = tmp_path / "box.tar.age"
    write_archive_file(small_box, archive)
    live = Path(small_box.database_url.removeprefix("sqlite:///"))
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys, time\n"
        f"connection = sqlite3.connect({str(live)!r})\n"
        "connection.execute('SELECT count(*) FROM users').fetchall()\n"
        "print('open', flush=True)\n"
        "time.sleep(120)\n")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        monkeypatch.setattr(swap, "RELEASE_WAIT_SECONDS", 0.5)
        before = file_hashes(live.parent)
        with pytest.raises(BackupError) as caught:
            restore_archive(small_box, archive, load_identity(small_box))
        assert f"{holder.pid} (python" in str(caught.value)
        assert "systemctl stop trackerbox" in str(caught.value)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert file_digest_of(live) == before[live.name]
    assert not list(live.parent.glob(f"{live.name}.restore-*"))
    assert not maintenance.is_active(small_box)


def file_digest_of(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
