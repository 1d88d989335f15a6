"""The installed ``trackerbox`` entry point, run as a real process, exits non-zero on failure."""
import errno
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.sqlite_only


def _run(app, *args):
    settings = app.config["TRACKERBOX"]
    env = {**os.environ, "TRACKERBOX_DATA_DIR": str(settings.data_dir), "TRACKERBOX_DATABASE_URL": settings.database_url}
    return subprocess.run([sys.executable, "-c", "from app.cli import main; main()", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_cli_import_of_bad_file_exits_two(app, tmp_path, make_user):
    make_user("ada", "Administrator")
    bad = tmp_path / "binary.csv"
    bad.write_bytes(b"\x00\x01\x02 not a csv \xff\xfe")
    result = _run(app, "import", str(bad))
    assert result.returncode == 2, result.stdout + result.stderr


def test_cli_import_with_problem_rows_exits_one(app, tmp_path, make_user):
    make_user("ada", "Administrator")
    rows = tmp_path / "toggl.csv"
    rows.write_text("User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,"
                    "Duration,Tags,Amount ()\nAda,ada@example.test,,Nowhere,,Work,No,2026-02-30,09:00:00,"
                    "2026-02-30,10:00:00,01:00:00,,\n")
    result = _run(app, "import", str(rows))
    assert result.returncode == 1, result.stdout + result.stderr


def test_cli_unknown_user_reset_exits_one(app):
    result = _run(app, "user", "reset-password", "nobody")
    assert result.returncode == 1
    assert "no user with login 'nobody'" in result.stderr


@pytest.mark.sqlite_only
@pytest.mark.parametrize(("error", "fix"), [
    (errno.EADDRINUSE, "stop the program using that port or choose another with --port"),
    (errno.EADDRNOTAVAIL, "choose one of its own with --host"),
    (errno.EACCES, "ports below 1024 need root"),
])
def test_serve_names_the_fix_when_it_cannot_listen(app, monkeypatch, error, fix):
    """The socket error decides the advice. (A real failed bind leaves waitress's sockets open, so it is faked.)"""
    from click.testing import CliRunner

    from app.cli import cli
    from app.commands import context, serve

    def refuse(*_args, **_kwargs):
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(context, "_app", app)
    monkeypatch.setattr(serve, "make_server", refuse)
    result = CliRunner().invoke(cli, ["serve", "--host", "127.0.0.1", "--port", "8000"])
    assert result.exit_code == 1
    assert fix in result.output
