"""The ``trackerbox backup`` commands, the backup key files and the maintenance page."""
from __future__ import annotations

import io
import re
import shutil
import stat
import subprocess
import tarfile

import pyrage
import pytest
from click.testing import CliRunner

from app import maintenance
from app.cli import cli
from backup.archive import write_archive_file
from backup.errors import BackupError
from backup.keys import init_identity, load_identity, load_recipient, read_identity_file
from tests.backup_helpers import add_receipts, settings_of
from tests.conftest import csrf_token

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def box_env(app, monkeypatch):
    """Point the commands' load_settings() at the test box."""
    settings = settings_of(app)
    monkeypatch.setenv("TRACKERBOX_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TRACKERBOX_DATABASE_URL", settings.database_url)
    monkeypatch.delenv("TRACKERBOX_CONFIG", raising=False)
    add_receipts(settings, count=2)
    return settings


def test_init_prints_sheet_and_writes_owner_only_identity(box_env):
    result = CliRunner().invoke(cli, ["backup", "init"])
    assert result.exit_code == 0, result.output
    identity_file = box_env.data_dir / "backup_identity.txt"
    assert stat.S_IMODE(identity_file.stat().st_mode) == 0o600
    assert "no TrackerBox backup can ever be read" in result.output
    assert identity_file.read_text().splitlines()[-1] in result.output
    assert load_recipient(box_env) in result.output


def test_init_twice_refused(box_env):
    assert CliRunner().invoke(cli, ["backup", "init"]).exit_code == 0
    first = (box_env.data_dir / "backup_identity.txt").read_text()
    result = CliRunner().invoke(cli, ["backup", "init"])
    assert result.exit_code == 1
    assert "a backup identity exists already" in result.output
    assert (box_env.data_dir / "backup_identity.txt").read_text() == first


def test_create_verify_restore_commands(box_env, tmp_path):
    runner = CliRunner()
    assert runner.invoke(cli, ["backup", "init"]).exit_code == 0
    archive = tmp_path / "box.tar.age"

    created = runner.invoke(cli, ["backup", "create", "--output", str(archive)])
    assert created.exit_code == 0, created.output
    assert f"Wrote {archive}" in created.output
    assert "3 files" in created.output

    again = runner.invoke(cli, ["backup", "create", "--output", str(archive)])
    assert again.exit_code == 1
    assert "exists already" in again.output

    verified = runner.invoke(cli, ["backup", "verify", str(archive)])
    assert verified.exit_code == 0, verified.output
    assert "is intact" in verified.output

    refused = runner.invoke(cli, ["backup", "restore", str(archive)], input="n\n")
    assert refused.exit_code == 1
    assert "Aborted" in refused.output

    restored = runner.invoke(cli, ["backup", "restore", str(archive), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "Restored" in restored.output
    assert "kept in" in restored.output


def test_verify_damaged_archive_fails_with_reason(box_env, tmp_path):
    runner = CliRunner()
    assert runner.invoke(cli, ["backup", "init"]).exit_code == 0
    archive = tmp_path / "box.tar.age"
    assert runner.invoke(cli, ["backup", "create", "--output", str(archive)]).exit_code == 0
    data = bytearray(archive.read_bytes())
    data[-100] ^= 0x10
    archive.write_bytes(bytes(data))
    result = runner.invoke(cli, ["backup", "verify", str(archive)])
    assert result.exit_code == 1
    assert "damaged or truncated" in result.output


def test_create_without_identity_fails_with_reason(box_env, tmp_path):
    result = CliRunner().invoke(cli, ["backup", "create", "--output", str(tmp_path / "x.tar.age")])
    assert result.exit_code == 1
    assert "run `trackerbox backup init`" in result.output
    assert not (tmp_path / "x.tar.age").exists()


def test_passphrase_protects_only_the_sheet_copy(box_env, tmp_path):
    sheet = init_identity(box_env, passphrase="a long enough passphrase")
    assert sheet.passphrase_protected
    assert "BEGIN AGE ENCRYPTED FILE" in sheet.render()
    assert "AGE-SECRET-KEY" not in sheet.render()
    # The box's own file stays plain, so scheduled runs verify without anyone typing.
    assert str(load_identity(box_env).to_public()) == load_recipient(box_env)
    copy = tmp_path / "identity.txt"
    copy.write_text(sheet.identity_text)
    with pytest.raises(BackupError, match="protected by a passphrase"):
        read_identity_file(copy)
    with pytest.raises(BackupError, match="passphrase does not open"):
        read_identity_file(copy, "the wrong passphrase")
    identity = read_identity_file(copy, "a long enough passphrase")
    assert str(identity.to_public()) == load_recipient(box_env)


def test_short_passphrase_refused(box_env):
    with pytest.raises(BackupError, match="use at least 12"):
        init_identity(box_env, passphrase="short")
    assert not (box_env.data_dir / "backup_identity.txt").exists()


def test_identity_readable_by_others_refused(box_env):
    init_identity(box_env)
    path = box_env.data_dir / "backup_identity.txt"
    path.chmod(0o644)
    with pytest.raises(BackupError, match="chmod 600"):
        load_identity(box_env)


def test_maintenance_page_answers_503(app, client):
    settings = settings_of(app)
    token = csrf_token(client, "/login")
    maintenance.enter(settings, "restoring a backup")
    try:
        page = client.get("/login")
        assert page.status_code == 503
        assert "restoring a backup" in page.get_data(as_text=True)
        assert client.post("/login", data={"login": "x", "password": "y", "csrf_token": token}).status_code == 503
    finally:
        maintenance.leave(settings)
    assert client.get("/login").status_code == 200


def test_maintenance_flag_of_dead_process_taken_over(app):
    settings = settings_of(app)
    maintenance.flag_path(settings).write_text('{"reason": "restoring a backup", "pid": 999999999}')
    maintenance.enter(settings, "restoring a backup")
    assert maintenance.holder_pid(settings) != 999999999
    maintenance.leave(settings)


@pytest.mark.skipif(shutil.which("script") is None, reason="util-linux `script` is needed to give age a terminal")
def test_stock_age_reads_passphrase_identity(box_env, tmp_path):
    """age prompts for the passphrase on a terminal, so `script` provides one and types it in."""
    sheet = init_identity(box_env, passphrase="a long enough passphrase")
    copy = tmp_path / "identity.txt"
    copy.write_text(sheet.identity_text)
    archive = tmp_path / "box.tar.age"
    manifest = write_archive_file(box_env, archive)
    plain = tmp_path / "plain.tar"
    command = f"age -d -i {copy} -o {plain} {archive}"
    subprocess.run(["script", "-qec", command, "/dev/null"], input=b"a long enough passphrase\n",
                   stdout=subprocess.DEVNULL, check=True, timeout=60)
    with tarfile.open(plain) as tar:
        names = tar.getnames()
    assert "trackerbox-backup/manifest.json" in names
    assert set(manifest.members) <= set(names)


def test_secret_key_from_environment_archived(box_env, tmp_path):
    """A secret key set by TRACKERBOX_SECRET_KEY, with no key file, still enters --include-secrets archives."""
    box_env.secret_key_path.unlink()
    init_identity(box_env)
    archive = tmp_path / "box.tar.age"
    write_archive_file(box_env, archive, include_secrets=True)
    plain = pyrage.decrypt(archive.read_bytes(), [load_identity(box_env)])
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        stored = tar.extractfile("trackerbox-backup/secrets/secret_key").read()
        names = tar.getnames()
    assert stored.decode().strip() == box_env.secret_key
    assert "trackerbox-backup/secrets/password_hmac.key" in names


def test_restore_invalid_database_url_fails(box_env, tmp_path):
    runner = CliRunner()
    assert runner.invoke(cli, ["backup", "init"]).exit_code == 0
    archive = tmp_path / "box.tar.age"
    assert runner.invoke(cli, ["backup", "create", "--output", str(archive)]).exit_code == 0
    result = runner.invoke(cli, ["backup", "restore", str(archive), "--yes", "--database-url", "mysql://db/tb"])
    assert result.exit_code == 1
    assert "cannot restore into 'mysql://db/tb'" in result.output
    assert not maintenance.is_active(box_env)


def test_verify_prints_audit_head_that_audit_verify_accepts(box_env, make_user, tmp_path):
    make_user("wanda")  # writes audit records, so the manifest has a chain head
    runner = CliRunner()
    assert runner.invoke(cli, ["backup", "init"]).exit_code == 0
    archive = tmp_path / "box.tar.age"
    assert runner.invoke(cli, ["backup", "create", "--output", str(archive)]).exit_code == 0
    verified = runner.invoke(cli, ["backup", "verify", str(archive)])
    assert verified.exit_code == 0, verified.output
    head = re.search(r"Audit-chain head at backup time: (\d+:[0-9a-f]{64})", verified.output).group(1)
    checked = runner.invoke(cli, ["audit", "verify", "--expect-head", head])
    assert checked.exit_code == 0, checked.output


def test_restore_without_key_files_names_them_and_warns_against_setup(box_env, tmp_path):
    from backup.restore import restore_archive
    from tests.backup_helpers import fresh_url, new_box

    init_identity(box_env)
    archive = tmp_path / "box.tar.age"
    write_archive_file(box_env, archive)
    target = new_box(tmp_path, fresh_url(box_env.database_url, tmp_path))
    for name in ("password_hmac.key", "audit_chain.key", "two_factor.key"):
        (target.keys_path / name).unlink()
    try:
        report = restore_archive(target, archive, load_identity(box_env))
        assert report.missing_keys == ["password_hmac.key", "audit_chain.key", "two_factor.key"]
        assert not report.audit_recorded
        log_text = (target.data_dir / "restore.log").read_text()
        assert "Copy audit_chain.key from the old box" in log_text
        assert "run `trackerbox setup` to create it" not in log_text
    finally:
        if target.database_url.startswith("postgresql"):
            from tests.backup_helpers import drop_restore_databases

            drop_restore_databases(target.database_url)
