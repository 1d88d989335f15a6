"""Backup and restore round trips: demo data and receipts come back identical, on both backends."""
from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tarfile
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from app import create_app, db, migrate
from app.config import Settings
from backup.archive import verify_archive, write_archive_file
from backup.keys import init_identity, load_identity
from backup.restore import restore_archive
from tests.backup_helpers import (add_receipts, drop_restore_databases, file_digest, file_hashes, fill_demo,
                                  fresh_url, new_box, settings_of, table_rows, without_restore_event)
from tests import pg_cluster
from tests.conftest import BACKENDS

_copies = itertools.count()


@pytest.fixture(scope="module")
def demo_sources(tmp_path_factory, request):
    """Build each backend's demo box once per module (the demo company takes seconds to create)."""
    built: dict[str, Settings] = {}
    databases: list[tuple[str, str]] = []

    def source(backend: str) -> Settings:
        if backend not in built:
            folder = tmp_path_factory.mktemp(f"demo-{backend}")
            if backend == "sqlite":
                url = f"sqlite:///{folder / 'demo.db'}"
                shutil.copyfile(request.getfixturevalue("sqlite_template"), folder / "demo.db")
            else:
                server = request.getfixturevalue("pg_server")
                name = f"tb_demo_{os.getpid()}"
                admin = pg_cluster.admin_engine(server)
                pg_cluster.recreate_database(admin, name, template=request.getfixturevalue("pg_template"))
                admin.dispose()
                url = pg_cluster.database_url(server, name)
                databases.append((server, name))
            settings = new_box(folder, url, name="data")
            settings.upload_dir.mkdir()
            app = create_app(settings)
            try:
                fill_demo(app)
            finally:
                app.extensions["trackerbox_engine"].dispose()
            add_receipts(settings)
            init_identity(settings)
            built[backend] = settings
        return built[backend]

    yield source
    for server, name in databases:
        admin = pg_cluster.admin_engine(server)
        pg_cluster.drop_database(admin, name)
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def demo_box(request, demo_sources, tmp_path):
    """A copy of the demo box (demo company, receipts, backup identity) for one test."""
    if request.param == "postgresql" and request.node.get_closest_marker("sqlite_only"):
        pytest.skip("this test runs on the SQLite backend only")
    source = demo_sources(request.param)
    data_dir = tmp_path / "demo"
    shutil.copytree(source.data_dir, data_dir)
    if request.param == "sqlite":
        url = f"sqlite:///{data_dir / 'demo.db'}"
        shutil.copyfile(make_url(source.database_url).database, data_dir / "demo.db")
    else:
        server = request.getfixturevalue("pg_server")
        name = f"tb_democopy_{os.getpid()}_{next(_copies)}"
        admin = pg_cluster.admin_engine(server)
        pg_cluster.recreate_database(admin, name, template=make_url(source.database_url).database)
        admin.dispose()
        url = pg_cluster.database_url(server, name)
    settings = replace(source, data_dir=data_dir, database_url=url)
    yield settings
    if request.param == "postgresql":
        drop_restore_databases(url)


def _restore_into_new_box(source, archive: Path, tmp_path: Path, url: str, key_dir: Path | None = None):
    target = new_box(tmp_path, url, key_dir=key_dir)
    report = restore_archive(target, archive, load_identity(source))
    return target, report


def test_round_trip_same_backend(demo_box, tmp_path):
    archive = tmp_path / "box.tar.age"
    manifest = write_archive_file(demo_box, archive, include_secrets=True)
    url = fresh_url(demo_box.database_url, tmp_path)
    try:
        # The new box keeps its keys outside the data directory, as an installed server does.
        (tmp_path / "keys").mkdir(mode=0o700)
        target, report = _restore_into_new_box(demo_box, archive, tmp_path, url, key_dir=tmp_path / "keys")
        assert without_restore_event(table_rows(url)) == table_rows(demo_box.database_url)
        assert file_hashes(target.upload_dir) == file_hashes(demo_box.upload_dir)
        for name in ("secret_key", "password_hmac.key", "audit_chain.key", "two_factor.key"):
            assert file_digest(target.keys_path / name) == file_digest(demo_box.keys_path / name)
            assert (target.keys_path / name).stat().st_mode & 0o777 == 0o600
        assert report.row_counts == manifest.row_counts
        assert manifest.row_counts["time_entries"] > 100
        assert report.files == 4
    finally:
        if url.startswith("postgresql"):
            drop_restore_databases(url)


def test_round_trip_records_restore_in_audit_trail(demo_box, tmp_path):
    archive = tmp_path / "box.tar.age"
    manifest = write_archive_file(demo_box, archive, include_secrets=True)
    url = fresh_url(demo_box.database_url, tmp_path)
    try:
        target, _ = _restore_into_new_box(demo_box, archive, tmp_path, url)
        engine = db.make_engine(url)
        with engine.connect() as connection:
            newest = connection.execute(text("SELECT id, action FROM audit_events ORDER BY id DESC LIMIT 1")).one()
        engine.dispose()
        assert newest.action == "backup.restore"
        assert newest.id == manifest.audit_head["id"] + 1
        assert "finished" in (target.data_dir / "restore.log").read_text()
    finally:
        if url.startswith("postgresql"):
            drop_restore_databases(url)


@pytest.mark.sqlite_only
@pytest.mark.skipif("postgresql" not in BACKENDS, reason="PostgreSQL is not among the test backends")
def test_round_trip_sqlite_to_postgresql(demo_box, tmp_path, request):
    server = request.getfixturevalue("pg_server")
    archive = tmp_path / "box.tar.age"
    write_archive_file(demo_box, archive, include_secrets=True)
    url = fresh_url(server, tmp_path)
    try:
        target = new_box(tmp_path, demo_box.database_url.replace("trackerbox.db", "unused.db"))
        report = restore_archive(target, archive, load_identity(demo_box), database_url=url)
        assert report.config_change_needed
        assert without_restore_event(table_rows(url)) == table_rows(demo_box.database_url)
        assert file_hashes(target.upload_dir) == file_hashes(demo_box.upload_dir)
        # The id sequences continue after the restored rows, so new rows get fresh ids.
        engine = db.make_engine(url)
        with engine.begin() as connection:
            new_id = connection.execute(text(
                "INSERT INTO tax_rates (name, rate_basis_points, active) VALUES ('New', 700, true) RETURNING id")).scalar()
            highest = connection.scalar(select(func.max(text("id"))).select_from(text("tax_rates")))
        engine.dispose()
        assert new_id == highest
        assert new_id > report.row_counts["tax_rates"]
    finally:
        drop_restore_databases(url)


def test_restore_over_live_data_keeps_old(app, tmp_path):
    settings = settings_of(app)
    add_receipts(settings, count=2)
    init_identity(settings)
    archive = tmp_path / "box.tar.age"
    write_archive_file(settings, archive)
    before = table_rows(settings.database_url)
    engine = app.extensions["trackerbox_engine"]
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO tax_rates (name, rate_basis_points, active) VALUES ('Later', 500, true)"))
    (settings.upload_dir / "receipts" / "later.pdf").write_bytes(b"%PDF later")
    report = restore_archive(settings, archive, load_identity(settings))
    try:
        assert without_restore_event(table_rows(settings.database_url)) == before
        assert not (settings.upload_dir / "receipts" / "later.pdf").exists()
        kept_uploads = next(Path(k) for k in report.kept if "uploads.before-restore" in k)
        assert (kept_uploads / "receipts" / "later.pdf").exists()
        assert any("before-restore" in k or "before_restore" in k for k in report.kept if "uploads" not in k)
    finally:
        if settings.database_url.startswith("postgresql"):
            drop_restore_databases(settings.database_url)


@pytest.mark.sqlite_only
def test_restore_older_revision_migrates_forward(tmp_path):
    """An archive of a box at revision 0001 restores and then gains what 0002 adds."""
    old = new_box(tmp_path, f"sqlite:///{tmp_path / 'old.db'}", name="old")
    engine = db.make_engine(old.database_url)
    migrate.upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO tax_rates (name, rate_basis_points, active) VALUES ('Old', 1900, 1)"))
    engine.dispose()
    init_identity(old)
    archive = tmp_path / "old.tar.age"
    manifest = write_archive_file(old, archive)
    assert manifest.alembic_revision == "0001"

    url = fresh_url(old.database_url, tmp_path)
    target, report = _restore_into_new_box(old, archive, tmp_path, url)
    assert report.migrated_from == "0001"
    assert report.migrated_to == migrate.head_revision()
    rows = table_rows(url)
    assert [r[1] for r in rows["tax_rates"]] == ["Old"]
    assert {r[1] for r in rows["security_profiles"]} >= {"Administrator", "Worker"}


@pytest.mark.sqlite_only
def test_stock_age_decrypts_archive(demo_box, tmp_path):
    archive = tmp_path / "box.tar.age"
    manifest = write_archive_file(demo_box, archive)
    identity = demo_box.data_dir / "backup_identity.txt"
    out = tmp_path / "plain.tar"
    subprocess.run(["age", "-d", "-i", str(identity), "-o", str(out), str(archive)], check=True, timeout=60)
    extracted = tmp_path / "extracted"
    with tarfile.open(out) as tar:
        tar.extractall(extracted, filter="data")
    root = extracted / "trackerbox-backup"
    assert file_hashes(root / "uploads") == file_hashes(demo_box.upload_dir)
    for name, entry in manifest.members.items():
        assert file_digest(extracted / name) == entry["sha256"], name
    lines = (root / "database" / "time_entries.jsonl").read_text().splitlines()
    assert len(lines) == manifest.row_counts["time_entries"] + 1
    assert not (root / "secrets").exists()


def test_verify_reports_manifest(demo_box, tmp_path):
    archive = tmp_path / "box.tar.age"
    written = write_archive_file(demo_box, archive)
    with archive.open("rb") as stream:
        checked = verify_archive(stream, load_identity(demo_box))
    assert checked == written
    assert checked.database_engine == demo_box.database_url.split(":")[0].split("+")[0]
    assert checked.alembic_revision == migrate.head_revision()
    assert checked.audit_head["id"] == checked.row_counts["audit_events"]
