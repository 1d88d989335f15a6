"""E-mail to the administrator when a backup or scheduled job fails (only when SMTP is configured)."""
from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from email.message import EmailMessage

from app.config import Settings

log = logging.getLogger(__name__)
SMTP_TIMEOUT_SECONDS = 20


def send_alert(settings: Settings, subject: str, body: str) -> bool:
    """Send ``body`` to smtp_to; return False (and log why) when no mail was sent."""
    if not settings.smtp_host:
        return False
    message = EmailMessage()
    message["Subject"] = f"[TrackerBox] {subject}"
    message["From"] = settings.smtp_from
    message["To"] = settings.smtp_to
    message.set_content(body)
    try:
        if settings.smtp_security == "tls":
            server = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS,
                                      context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS)
        with server:
            if settings.smtp_security == "starttls":
                server.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                server.login(settings.smtp_user, settings.smtp_password or "")
            server.send_message(message)
    except (smtplib.SMTPException, OSError, socket.timeout) as exc:
        log.error("alert mail %r to %s via %s:%s failed: %s", subject, settings.smtp_to, settings.smtp_host,
                  settings.smtp_port, exc)
        return False
    log.info("alert mail %r sent to %s", subject, settings.smtp_to)
    return True
