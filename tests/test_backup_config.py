import pytest

from app.config import ConfigError, load_settings

def _load(tmp_path, text: str, keys: str = ""):
    path = tmp_path / "trackerbox.conf"
    path.write_text(f"[trackerbox]\nsecret_key = {'k' * 40}\n{keys}\n{text}")
    return load_settings({"TRACKERBOX_CONFIG": str(path), "TRACKERBOX_DATA_DIR": str(tmp_path / "data")})


def test_config_reads_directory_and_sftp_targets(tmp_path):
    settings = _load(tmp_path, """
[backup.target usb]
type = directory
path = /media/usb/trackerbox/
require_mount = yes
keep_daily = 10

[backup.target offsite]
type = sftp
path = /srv/tb
host = backup.example.org
port = 2222
user = tb
key_file = /etc/trackerbox/backup_ed25519
known_hosts = /etc/trackerbox/backup_known_hosts
schedule = weekly
""")
    usb, offsite = settings.backup_targets
    assert (usb.name, usb.type, usb.path, usb.require_mount, usb.keep_daily, usb.keep_weekly) == (
        "usb", "directory", "/media/usb/trackerbox", True, 10, 4)
    assert (offsite.schedule, offsite.port, offsite.user, offsite.keep_monthly) == ("weekly", 2222, "tb", 12)
    assert offsite.describe() == "sftp://tb@backup.example.org:2222/srv/tb"


@pytest.mark.parametrize(("section", "expected"), [
    ("[backup.target nas]\ntype = ftp\npath = /x\n", "section [backup.target nas]: type = 'ftp' is invalid"),
    ("[backup.target nas]\ntype = directory\npath = relative\n", "path = 'relative' is invalid"),
    ("[backup.target nas]\ntype = directory\npath = /x\nkeep_daily = many\n", "keep_daily = 'many' is not a whole"),
    ("[backup.target nas]\ntype = directory\npath = /x\nschedule = hourly\n", "schedule = 'hourly' is invalid"),
    ("[backup.target nas]\ntype = directory\npath = /x\ncolour = blue\n", "unknown key(s) colour"),
    ("[backup.target nas]\ntype = directory\npath = /x\nhost = h\n", "host applies to sftp targets only"),
    ("[backup.target off]\ntype = sftp\npath = /x\nhost = h\nuser = u\nkey_file = /k\n", "known_hosts is missing"),
    ("[backup.targets nas]\ntype = directory\npath = /x\n", "section [backup.targets nas]: unknown section"),
    ("[backup.target Nas!]\ntype = directory\npath = /x\n", "target name 'Nas!' is invalid"),
])
def test_config_rejects_bad_target_naming_section_and_key(tmp_path, section, expected):
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, section)
    assert expected in str(caught.value)
    assert "trackerbox.conf" in str(caught.value)


@pytest.mark.parametrize(("keys", "expected"), [
    ("smtp_host = mail.local\n", "smtp_from or smtp_to is missing"),
    ("smtp_host = m\nsmtp_from = a@b\nsmtp_to = c@d\nsmtp_security = ssl\n", "smtp_security = 'ssl'"),
    ("backup_time = 2am\n", "backup_time = '2am' is not a time of day"),
    ("backup_weekly_day = sunday\n", "backup_weekly_day = 'sunday'"),
])
def test_config_rejects_bad_mail_and_schedule_keys(tmp_path, keys, expected):
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, "", keys)
    assert expected in str(caught.value)

