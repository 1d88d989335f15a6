"""The `trackerbox` fixture: the real entry point run in this process, for the appliance command tests."""
from __future__ import annotations

import sys

import pytest

from app.cli import main


@pytest.fixture
def trackerbox(capsys, monkeypatch, tmp_path):
    """Run the real `trackerbox` entry point in this process; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("TRACKERBOX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRACKERBOX_LOG_LEVEL", "WARNING")

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["trackerbox", *args])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code or 0
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
