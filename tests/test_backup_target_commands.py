"""`trackerbox backup create/list/status/prune` against directory targets."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import cli
from app.commands import context
from tests.backup_builders import config_file, directory_target, with_identity


@pytest.fixture
def run(app, monkeypatch):
    monkeypatch.setattr(context, "_app", app)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_backup_commands_report_and_exit_by_outcome(app, tmp_path, run):
    settings = with_identity(app)
    settings.backup_targets = [directory_target(tmp_path / "disk2", name="disk2"),
                               directory_target(tmp_path / "usb", name="usb")]
    (tmp_path / "usb").rmdir()

    status = run("backup", "status")
    assert status.exit_code == 1
    assert "disk2" in status.output
    assert "no verified backup yet" in status.output

    created = run("backup", "create")
    assert created.exit_code == 1
    assert "verified on 1 of 2 target(s) (disk2)" in created.output
    assert "usb does not exist" in created.output

    status = run("backup", "status")
    assert status.exit_code == 1
    assert "1 of 2 target(s) need attention: usb" in status.output
    assert "warning: no weekly (off-site) target configured" in status.output

    assert run("backup", "create", "--target", "disk2").exit_code == 0
    listed = run("backup", "list", "--target", "disk2")
    assert listed.exit_code == 0
    assert listed.output.count(" verified") == 2

    (tmp_path / "usb").mkdir()
    assert run("backup", "create", "--target", "usb").exit_code == 0
    status = run("backup", "status")
    assert status.exit_code == 0, status.output
    assert "All 2 target(s) have a current verified backup." in status.output

    pruned = run("backup", "prune")
    assert pruned.exit_code == 0
    assert "Deleted 0 archive(s) on 2 target(s)." in pruned.output


def test_backup_create_rejects_secrets_without_output(app, run):
    result = run("backup", "create", "--include-secrets")
    assert result.exit_code == 2
    assert "--include-secrets works with --output only" in result.output


@pytest.mark.sqlite_only
def test_backup_create_unknown_target_exits_2(app, tmp_path):
    config = config_file(app, tmp_path, f"[backup.target disk2]\ntype = directory\npath = {tmp_path}\n")
    env = dict(os.environ, TRACKERBOX_CONFIG=str(config))
    result = subprocess.run([str(Path(sys.executable).parent / "trackerbox"), "backup", "create", "--target", "nas"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "backup target 'nas' not found; known targets: disk2" in result.stderr
