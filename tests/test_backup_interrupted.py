"""A backup killed (SIGKILL) at several points leaves nothing that counts as verified."""
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import select

from app import db
from app.backups import jobs
from app.models import BackupRun
from backup.runs import list_archives
from backup.targets import open_target
from tests.backup_builders import config_file, directory_target, with_identity

# Each entry patches one step so that the process kills itself with SIGKILL right there.
KILL_POINTS = {
    "writing the archive": "backup.archive.write_archive",
    "copying to the target": "backup.targets._copy",
    "after the rename, before verifying": "backup.runs.verify_on_target",
    "writing the sidecar": "backup.targets.DirectoryTarget.write_text",
}

SCRIPT = textwrap.dedent("""
    import os, signal, sys
    from unittest import mock

    point, target_dir = sys.argv[1], sys.argv[2]

    def die(*args, **kwargs):
        if point.endswith("write_archive") or point.endswith("_copy"):
            # Write part of the output first, so a partial file exists when the process dies.
            sink = args[1]
            sink.write(b"age-encryption.org/v1 partial bytes")
            sink.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    from app import create_app
    from app.backups import jobs
    from backup.target_config import TargetConfig

    app = create_app()
    target = TargetConfig(name="nas", type="directory", path=target_dir)
    with mock.patch(point, die), app.app_context():
        jobs.create_backups(app.config["TRACKERBOX"], [target], "daily")
    sys.exit(3)
""")


@pytest.mark.sqlite_only
@pytest.mark.parametrize("point", list(KILL_POINTS), ids=list(KILL_POINTS))
def test_killed_backup_counts_nothing_as_verified(app, tmp_path, point):
    settings = with_identity(app)
    nas = directory_target(tmp_path / "nas")
    env = dict(os.environ, TRACKERBOX_CONFIG=str(config_file(app, tmp_path)))
    process = subprocess.run([sys.executable, "-c", SCRIPT, KILL_POINTS[point], nas.path], env=env,
                             capture_output=True, timeout=120)
    assert process.returncode == -signal.SIGKILL, process.stderr.decode()[-2000:]

    with open_target(nas) as transport:
        entries = list_archives(transport)
    assert not [entry for entry in entries if entry.verified]
    with app.app_context():
        assert not db.session.scalars(select(BackupRun).where(BackupRun.outcome == "verified")).all()

    # The next run succeeds and clears what the killed one left behind.
    with app.app_context():
        [result] = jobs.create_backups(settings, [nas], "daily")
    assert result.ok, result.message
    leftovers = sorted(name for name in os.listdir(nas.path) if not name.startswith(result.archive))
    assert leftovers == []
