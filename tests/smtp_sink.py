"""A minimal SMTP server on loopback that stores each message it receives, for alert-mail tests."""
from __future__ import annotations

import socket
import threading
from email import message_from_bytes
from email.message import Message


class SmtpSink:
    """Accept SMTP sessions on 127.0.0.1 in a thread; ``messages`` contains the parsed messages."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.2)
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._server.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(5)
                self._session(connection.makefile("rwb"))

    def _session(self, stream) -> None:
        def reply(line: str) -> None:
            stream.write(line.encode() + b"\r\n")
            stream.flush()

        reply("220 sink ESMTP")
        sender, recipients = "", []
        for _ in range(100):
            line = stream.readline().decode().strip()
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                reply("250 sink")
            elif verb == "MAIL":
                sender = line.split(":", 1)[1].strip(" <>")
                reply("250 ok")
            elif verb == "RCPT":
                recipients.append(line.split(":", 1)[1].strip(" <>"))
                reply("250 ok")
            elif verb == "DATA":
                reply("354 go on")
                body = b""
                while (chunk := stream.readline()) not in (b".\r\n", b""):
                    body += chunk
                self.messages.append(message_from_bytes(body))
                self.envelopes.append((sender, recipients))
                reply("250 queued")
            elif verb == "QUIT" or not line:
                reply("221 bye")
                return
            else:
                reply("250 ok")
