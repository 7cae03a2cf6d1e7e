"""A real SMTP server for tests (aiosmtpd on 127.0.0.1, a free port): what arrived, parsed."""

from __future__ import annotations

import email
import re
import socket
import threading
import time
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

LINK = re.compile(r"https?://\S+")


@dataclass
class Received:
    """One message as the server got it: envelope recipients and the parsed message."""

    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    def links(self) -> list[str]:
        return LINK.findall(self.text)


class SmtpServer:
    """Starts aiosmtpd in a thread and keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self.port = _free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook
        parsed = email.message_from_bytes(envelope.original_content, policy=policy.default)
        with self._lock:
            self.messages.append(Received(list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """The messages once `count` have arrived (a sender may still be talking)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.messages)

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.recipients]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
