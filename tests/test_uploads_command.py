import os
import time

import pytest
from click.testing import CliRunner

from app.cli import cli
from app.commands import context
from app.expenses import receipts

pytestmark = pytest.mark.sqlite_only


def test_uploads_clean_removes_old_orphans_only(app, monkeypatch):
    monkeypatch.setattr(context, "_app", app)
    with app.app_context():
        folder = receipts.receipt_dir()
    old = folder / ("a" * 32 + ".png")
    new = folder / ("b" * 32 + ".png")
    for path in (old, new):
        path.write_bytes(b"\x89PNG\r\n\x1a\n")
    hour_ago = time.time() - 7200
    os.utime(old, (hour_ago, hour_ago))
    result = CliRunner().invoke(cli, ["uploads", "clean", "--min-age", "3600"])
    assert result.exit_code == 0, result.output
    assert "Removed 1 orphaned receipt file(s)" in result.output
    assert not old.exists()
    assert new.exists()
