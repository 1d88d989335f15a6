"""The key_dir setting: key files apart from the data directory (the server keeps them in /etc)."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from app.config import load_settings

KEY_FILES = ("secret_key", "password_hmac.key", "audit_chain.key", "two_factor.key")


def test_setup_writes_keys_to_key_dir(tmp_path):
    config = tmp_path / "trackerbox.conf"
    config.write_text(f"[trackerbox]\ndata_dir = {tmp_path / 'data'}\nkey_dir = {tmp_path / 'keys'}\nbcrypt_rounds = 4\n")
    environment = {"PATH": os.environ["PATH"], "TRACKERBOX_CONFIG": str(config), "LANG": "C.UTF-8"}

    trackerbox = Path(sys.executable).parent / "trackerbox"
    result = subprocess.run([str(trackerbox), "setup", "--admin-login", "boss", "--timezone", "UTC"],
                            env=environment, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert f"Created {tmp_path / 'keys' / 'password_hmac.key'} (mode 0600)." in result.stdout
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    for name in KEY_FILES:
        assert stat.S_IMODE((tmp_path / "keys" / name).stat().st_mode) == 0o600, name
        assert not (tmp_path / "data" / name).exists(), name
    assert stat.S_IMODE((tmp_path / "data" / "trackerbox.db").stat().st_mode) == 0o600
    settings = load_settings({"TRACKERBOX_CONFIG": str(config)})
    assert settings.secret_key == (tmp_path / "keys" / "secret_key").read_text().strip()


def test_key_dir_defaults_to_data_dir(tmp_path):
    settings = load_settings({"TRACKERBOX_DATA_DIR": str(tmp_path)})
    assert settings.secret_key_path == tmp_path / "secret_key"


def test_db_upgrade_adds_the_two_factor_key_to_an_older_box(tmp_path):
    """A box set up before two-factor sign-in has no two_factor.key; `db upgrade` makes it, and only it."""
    config = tmp_path / "trackerbox.conf"
    config.write_text(f"[trackerbox]\ndata_dir = {tmp_path / 'data'}\nkey_dir = {tmp_path / 'keys'}\nbcrypt_rounds = 4\n")
    environment = {"PATH": os.environ["PATH"], "TRACKERBOX_CONFIG": str(config), "LANG": "C.UTF-8"}
    trackerbox = Path(sys.executable).parent / "trackerbox"
    setup = subprocess.run([str(trackerbox), "setup", "--admin-login", "boss", "--timezone", "UTC"],
                           env=environment, capture_output=True, text=True, timeout=120)
    assert setup.returncode == 0, setup.stderr
    (tmp_path / "keys" / "two_factor.key").unlink()
    password_key = (tmp_path / "keys" / "password_hmac.key").read_bytes()

    result = subprocess.run([str(trackerbox), "db", "upgrade"], env=environment, capture_output=True, text=True,
                            timeout=120)

    assert result.returncode == 0, result.stderr
    assert "Created the key file two_factor.key" in result.stdout
    assert stat.S_IMODE((tmp_path / "keys" / "two_factor.key").stat().st_mode) == 0o600
    assert (tmp_path / "keys" / "password_hmac.key").read_bytes() == password_key
