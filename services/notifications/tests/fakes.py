"""Local stand-ins for the outside world: Telegram's Bot API and an SMS gateway.

They are test doubles of HTTP APIs only; Kafka and the store in the tests are real.
"""

import asyncio
import contextlib
import itertools
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

BLOCKED = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}


class FakeBotApi:
    """Plays Telegram's Bot API: records every call, queues updates for getUpdates."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.blocked: set[int] = set()
        self.failures: dict[int, int] = defaultdict(int)  # chat -> 502s to answer first
        self._updates: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(100)
        self.app = web.Application()
        self.app.router.add_post("/bot{token}/{method}", self._handle)

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """sendMessage calls (to one chat)."""
        return [
            p
            for m, p in self.calls
            if m == "sendMessage" and (chat_id is None or int(p["chat_id"]) == chat_id)
        ]

    def user_says(self, chat_id: int, text: str | None = None, **extra: Any) -> None:
        """A user writes to the bot (fetched by getUpdates)."""
        self._updates.put_nowait(self.message_update(chat_id, text, **extra))

    def user_presses(self, chat_id: int, data: str) -> None:
        """A user presses an inline button (fetched by getUpdates)."""
        self._updates.put_nowait(self.button_update(chat_id, data))

    def message_update(self, chat_id: int, text: str | None = None, **extra: Any) -> dict[str, Any]:
        """The update Telegram sends when a user writes to the bot."""
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Мария"},
            **({"text": text} if text is not None else {}),
            **extra,
        }
        if text and text.startswith("/"):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        return {"update_id": next(self._update_ids), "message": message}

    def button_update(self, chat_id: int, data: str) -> dict[str, Any]:
        """The update Telegram sends when a user presses an inline button."""
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": str(next(self._update_ids)),
                "chat_instance": "1",
                "from": {"id": chat_id, "is_bot": False, "first_name": "Мария"},
                "data": data,
                "message": {
                    "message_id": next(self._message_ids),
                    "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private"},
                    "text": "…",
                },
            },
        }

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        form = await request.post()
        params: dict[str, Any] = {k: str(v) for k, v in form.items()}
        if "reply_markup" in params:
            params["reply_markup"] = json.loads(params["reply_markup"])
        self.calls.append((method, params))
        if method == "getMe":
            return _ok(
                {"id": 42, "is_bot": True, "first_name": "Патронаж", "username": "patronage_bot"}
            )
        if method == "getUpdates":
            timeout = float(params.get("timeout", 0) or 0)
            updates = []
            with contextlib.suppress(TimeoutError):
                updates.append(await asyncio.wait_for(self._updates.get(), max(timeout, 0.1)))
            return _ok(updates)
        if method == "sendMessage":
            chat_id = int(params["chat_id"])
            if chat_id in self.blocked:
                return web.json_response(BLOCKED, status=403)
            if self.failures[chat_id] > 0:
                self.failures[chat_id] -= 1
                return web.json_response(
                    {"ok": False, "error_code": 502, "description": "Bad Gateway"}, status=502
                )
            return _ok(
                {
                    "message_id": next(self._message_ids),
                    "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private"},
                    "text": params.get("text", ""),
                }
            )
        return _ok(True)


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


class FakeSmsGateway:
    """An SMS gateway: POST /messages; can fail a number a few times or refuse it, and calls
    back with delivery receipts (``report``) like a real gateway."""

    def __init__(self, *, receipts_url: str = "", receipts_secret: str = "") -> None:
        self.receipts_url = receipts_url
        self.receipts_secret = receipts_secret
        self.received: list[dict[str, Any]] = []
        self.failures: dict[str, int] = defaultdict(int)
        self.invalid: set[str] = set()
        self.app = web.Application()
        self.app.router.add_post("/messages", self._handle)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        phone = body["phone"]
        if phone in self.invalid:
            return web.json_response({"error": "invalid number"}, status=422)
        if self.failures[phone] > 0:
            self.failures[phone] -= 1
            return web.json_response({"error": "try later"}, status=503)
        self.received.append(body)
        return web.json_response({"message_id": f"sms-{len(self.received)}", "status": "accepted"})

    async def report(
        self,
        message_id: str,
        status: str,
        *,
        permanent: bool = False,
        error: str | None = None,
        secret: str | None = None,
    ) -> httpx.Response:
        """Call the service back with a delivery receipt for a message it sent."""
        async with httpx.AsyncClient(timeout=30) as client:
            return await client.post(
                self.receipts_url,
                json={
                    "id": message_id,
                    "status": status,
                    "permanent": permanent,
                    "error": error,
                    "message_id": f"gw-{message_id[-6:]}",
                },
                headers={"Authorization": f"Bearer {secret or self.receipts_secret}"},
            )


@dataclass
class Mailbox:
    """What the local SMTP server received."""

    messages: list[Envelope] = field(default_factory=list)
    unknown: set[str] = field(default_factory=set)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.unknown:
            return "550 5.1.1 Mailbox unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


def start_smtp(port: int) -> tuple[Controller, Mailbox]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1:port."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, mailbox


async def serve_aiohttp(app: web.Application, port: int) -> web.AppRunner:
    """Run an aiohttp app on 127.0.0.1:port."""
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner
