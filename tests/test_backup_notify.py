from pathlib import Path

import pytest

from app.config import Settings
from backup.notify import send_alert
from tests.smtp_sink import SmtpSink
from tests.sshd import free_port


@pytest.fixture
def smtp():
    sink = SmtpSink()
    yield sink
    sink.close()


def _settings(tmp_path: Path, port: int) -> Settings:
    return Settings(data_dir=tmp_path, database_url="sqlite://", secret_key=None, smtp_host="127.0.0.1",
                    smtp_port=port, smtp_from="box@example.org", smtp_to="it@example.org")


def test_alert_mail_reaches_smtp_server(tmp_path, smtp):
    assert send_alert(_settings(tmp_path, smtp.port), "backup failed on 1 of 2 target(s)", "nas: target is full")
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["Subject"] == "[TrackerBox] backup failed on 1 of 2 target(s)"
    assert message["To"] == "it@example.org"
    assert "nas: target is full" in message.get_payload()
    assert smtp.envelopes[0] == ("box@example.org", ["it@example.org"])


def test_alert_mail_without_smtp_host_sends_nothing(tmp_path):
    settings = Settings(data_dir=tmp_path, database_url="sqlite://", secret_key=None)
    assert send_alert(settings, "subject", "body") is False


def test_alert_mail_closed_port_logged(tmp_path, caplog):
    assert send_alert(_settings(tmp_path, free_port()), "subject", "body") is False
    assert "alert mail 'subject' to it@example.org via 127.0.0.1" in caplog.text
