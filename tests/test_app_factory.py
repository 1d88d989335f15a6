import pytest

from app import create_app
from app.config import ConfigError, Settings, load_settings


@pytest.mark.parametrize("key", [None, "", "dev", "short-key", "a" * 64])
def test_create_app_refuses_weak_secret_key(tmp_path, key):
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/x.db", secret_key=key)
    with pytest.raises(ConfigError):
        create_app(settings)


def test_load_settings_defaults_to_instance_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings({})
    assert settings.data_dir == tmp_path / "instance"
    assert settings.database_url == f"sqlite:///{tmp_path / 'instance' / 'trackerbox.db'}"


def test_load_settings_reads_file_then_environment(tmp_path):
    config = tmp_path / "trackerbox.conf"
    config.write_text(f"[trackerbox]\ndata_dir = {tmp_path}/data\nbcrypt_rounds = 10\n")
    settings = load_settings({"TRACKERBOX_CONFIG": str(config), "TRACKERBOX_BCRYPT_ROUNDS": "11"})
    assert settings.data_dir == tmp_path / "data"
    assert settings.bcrypt_rounds == 11


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("[trackerbox]\nbcrypt_rounds = many\n", "not a whole number"),
        ("[trackerbox]\ncolour = blue\n", "unknown setting(s) colour"),
        ("no section here\n", "not valid INI"),
        ("[other]\nx = 1\n", "no [trackerbox] section"),
        ("[trackerbox]\ndatabase_url = mysql://x/y\n", "not supported"),
    ],
)
def test_load_settings_names_bad_config_values(tmp_path, content, fragment):
    config = tmp_path / "trackerbox.conf"
    config.write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_settings({"TRACKERBOX_CONFIG": str(config)})
    assert fragment in str(caught.value)


def test_load_settings_rejects_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not name a file"):
        load_settings({"TRACKERBOX_CONFIG": str(tmp_path / "absent.conf")})


def test_secret_key_file_written_owner_only(tmp_path):
    from app.config import write_secret_key

    path = tmp_path / "secret_key"
    write_secret_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
