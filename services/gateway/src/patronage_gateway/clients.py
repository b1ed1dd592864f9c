"""HTTP clients of the services behind the gateway, stating the caller's signed identity."""

import asyncio
import json as jsonlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote
from uuid import UUID

import aiohttp
import httpx
from patronage_common.identity import IDENTITY_HEADER, Identity, IdentitySigner

from .settings import GatewaySettings

TIMEOUT_S = 5.0
# Connections to one service. Each is a single process, which more parallel calls would
# not make faster. Calls beyond this wait in the gateway instead of in the service.
POOL_CONNECTIONS = 16
# A live stream is quiet between notifications; the notifications service pings every 15 s,
# so a read waiting much longer than that means the connection is dead.
STREAM_TIMEOUT = httpx.Timeout(TIMEOUT_S, read=45.0)


class ServiceUnavailableError(RuntimeError):
    """A service behind the gateway did not answer."""


@dataclass
class ServiceError(Exception):
    """A service refused the call: its status, detail and (for 403) its refusal code and,
    when a stated reason would open it, the family."""

    status_code: int
    detail: Any
    code: str = ""
    family_id: str = ""

    def __str__(self) -> str:
        return f"{self.status_code}: {self.detail}"


@dataclass(frozen=True)
class ReportFile:
    """An exported report: its bytes and how to hand them to the browser."""

    content: bytes
    media_type: str
    disposition: str


def _query(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Query parameters as pairs: a list repeats its key, booleans are ``true``/``false``."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            pairs.append((key, str(item).lower() if isinstance(item, bool) else str(item)))
    return pairs


@dataclass
class Services:
    """One pooled HTTP client for the calls to the services; every call carries the
    caller's identity.

    The calls go through aiohttp: measured, a call through httpx cost the gateway 1.4-1.7 ms
    of CPU and one through aiohttp 0.23 ms, and a page read makes two. The webhook relay
    and the live streams keep httpx (rare, or long-lived).
    """

    settings: GatewaySettings
    _session: aiohttp.ClientSession | None = None
    _clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)
    # Live streams hold their connection for as long as a page is open: their own client,
    # so that open pages never use up the pool the ordinary calls need.
    _streams: httpx.AsyncClient = field(
        default_factory=lambda: httpx.AsyncClient(
            timeout=STREAM_TIMEOUT, limits=httpx.Limits(max_connections=None)
        )
    )

    def _client(self, base_url: str) -> httpx.AsyncClient:
        client = self._clients.get(base_url)
        if client is None:
            limits = httpx.Limits(
                max_connections=POOL_CONNECTIONS, max_keepalive_connections=POOL_CONNECTIONS
            )
            client = httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT_S, limits=limits)
            self._clients[base_url] = client
        return client

    def _calls(self) -> aiohttp.ClientSession:
        # Made on first use: a session belongs to the event loop that runs the app.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, limit_per_host=POOL_CONNECTIONS),
                timeout=aiohttp.ClientTimeout(total=TIMEOUT_S),
                # The services' answers are relayed or parsed as they are: no cookies kept.
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def close(self) -> None:
        """Close every pooled connection."""
        await asyncio.gather(*(c.aclose() for c in self._clients.values()), self._streams.aclose())
        self._clients.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def __post_init__(self) -> None:
        self._signer = IdentitySigner(self.settings.identity_secret)

    def _headers(self, identity: Identity | None) -> dict[str, str]:
        if identity is None:
            return {}
        return {
            IDENTITY_HEADER: self._signer.token(identity),
            "X-Actor": identity.subject,
        }

    async def call(
        self,
        base_url: str,
        method: str,
        path: str,
        identity: Identity | None,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        raw: bool = False,
    ) -> Any:
        """The JSON answer (its bytes if ``raw``); raises ``ServiceError`` on 4xx,
        ``ServiceUnavailableError`` else."""
        try:
            async with self._calls().request(
                method,
                base_url.rstrip("/") + path,
                json=json,
                params=_query(params) if params else None,
                headers=self._headers(identity),
            ) as response:
                status, content = response.status, await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ServiceUnavailableError(f"{base_url} не отвечает") from exc
        if status >= 500:
            raise ServiceUnavailableError(f"{base_url} ответил ошибкой {status}")
        if raw and status < 400:
            return content
        body = jsonlib.loads(content) if content else None
        if status >= 400:
            detail = body.get("detail") if isinstance(body, dict) else body
            code = body.get("code", "") if isinstance(body, dict) else ""
            family_id = body.get("family_id", "") if isinstance(body, dict) else ""
            raise ServiceError(status, detail, code, family_id)
        return body

    # --- passport service -------------------------------------------------------------

    async def read_passport(self, identity: Identity, family_id: UUID) -> dict[str, Any]:
        """A passport, as much of it as the identity may see."""
        data: dict[str, Any] = await self.call(
            self.settings.passport_url, "GET", f"/passports/{family_id}", identity
        )
        return data

    async def read_passport_json(self, identity: Identity, family_id: UUID) -> bytes:
        """A passport as the service's JSON bytes (relayed as they are, never re-encoded)."""
        data: bytes = await self.call(
            self.settings.passport_url, "GET", f"/passports/{family_id}", identity, raw=True
        )
        return data

    async def passport_overview(self, identity: Identity, family_id: UUID) -> dict[str, Any]:
        """A passport with the family's eligible measures and its history, in one call."""
        data: dict[str, Any] = await self.call(
            self.settings.passport_url, "GET", f"/passports/{family_id}/overview", identity
        )
        return data

    async def search_passports(self, identity: Identity, **criteria: Any) -> dict[str, Any]:
        """A page of passport summaries matching every given criterion."""
        params = {k: v for k, v in criteria.items() if v not in (None, "")}
        data: dict[str, Any] = await self.call(
            self.settings.passport_url, "GET", "/passports", identity, params=params
        )
        return data

    async def create_passport(self, identity: Identity, payload: dict[str, Any]) -> dict[str, Any]:
        """Register a family."""
        data: dict[str, Any] = await self.call(
            self.settings.passport_url, "POST", "/passports", identity, json=payload
        )
        return data

    async def replace_section(
        self, identity: Identity, family_id: UUID, section: str, payload: Any
    ) -> dict[str, Any]:
        """Replace one section of a passport."""
        data: dict[str, Any] = await self.call(
            self.settings.passport_url,
            "PUT",
            f"/passports/{family_id}/{section}",
            identity,
            json=payload,
        )
        return data

    # --- requests service -------------------------------------------------------------

    async def read_request(self, identity: Identity, request_id: UUID) -> dict[str, Any] | None:
        """A help request with its agency tasks; None if there is none."""
        try:
            data: dict[str, Any] = await self.call(
                self.settings.requests_url, "GET", f"/requests/{request_id}", identity
            )
        except ServiceError as exc:
            if exc.status_code == 404:
                return None
            raise
        return data

    async def create_request(self, identity: Identity, payload: dict[str, Any]) -> dict[str, Any]:
        """Register a help request (the requests service routes it)."""
        data: dict[str, Any] = await self.call(
            self.settings.requests_url, "POST", "/requests", identity, json=payload
        )
        return data

    async def list_requests(self, identity: Identity, **query: Any) -> list[dict[str, Any]]:
        """A page of requests (of a family, a curator's families or an agency), newest first."""
        params = {k: v for k, v in query.items() if v not in (None, "", [])}
        data: list[dict[str, Any]] = await self.call(
            self.settings.requests_url, "GET", "/requests", identity, params=params
        )
        return data

    async def family_requests(self, identity: Identity, family_id: UUID) -> list[dict[str, Any]]:
        """A family's requests as its page lists them (id, category, status, creation time),
        newest first."""
        data: list[dict[str, Any]] = await self.call(
            self.settings.requests_url, "GET", f"/families/{family_id}/requests", identity
        )
        return data

    async def read_task(self, identity: Identity, task_id: UUID) -> dict[str, Any] | None:
        """The request an agency task belongs to (a worker: their agency's view); None if none."""
        try:
            data: dict[str, Any] = await self.call(
                self.settings.requests_url, "GET", f"/requests/tasks/{task_id}", identity
            )
        except ServiceError as exc:
            if exc.status_code == 404:
                return None
            raise
        return data

    async def report_task(
        self,
        identity: Identity,
        request_id: UUID | str,
        task_id: UUID | str,
        action: str,
        payload: dict[str, Any],
    ) -> dict[str, Any]:
        """An agency worker's decision on a task (accept, start, ask, resolve or reject)."""
        data: dict[str, Any] = await self.call(
            self.settings.requests_url,
            "POST",
            f"/requests/{request_id}/tasks/{task_id}/{action}",
            identity,
            json=payload,
        )
        return data

    # --- notifications service --------------------------------------------------------

    async def open_curator_stream(
        self, identity: Identity, last_event_id: str | None
    ) -> httpx.Response:
        """The curator's live notifications (server-sent events), opened: the caller closes it.

        The curator is the identity's own subject, never a parameter.
        """
        headers = self._headers(identity) | {"Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        url = (
            f"{self.settings.notifications_url}/curators/{quote(identity.subject, safe='')}/stream"
        )
        try:
            response = await self._streams.send(
                self._streams.build_request("GET", url, headers=headers), stream=True
            )
        except httpx.HTTPError as exc:
            raise ServiceUnavailableError(f"{self.settings.notifications_url} не отвечает") from exc
        if response.status_code != 200:
            await response.aclose()
            raise ServiceUnavailableError(
                f"{self.settings.notifications_url} ответил ошибкой {response.status_code}"
            )
        return response

    async def relay_to_notifications(
        self, path: str, body: bytes, headers: dict[str, str]
    ) -> httpx.Response:
        """An outside system's webhook call passed on unchanged (no identity: the
        notifications service checks the caller's own secret)."""
        try:
            return await self._client(self.settings.notifications_url).post(
                path, content=body, headers=headers
            )
        except httpx.HTTPError as exc:
            raise ServiceUnavailableError(f"{self.settings.notifications_url} не отвечает") from exc

    # --- reporting service ------------------------------------------------------------

    async def requests_by_status(self, identity: Identity) -> dict[str, int]:
        """Live number of help requests in each status, as far as the viewer may see."""
        data: dict[str, Any] = await self.call(
            self.settings.reporting_url, "GET", "/reports/requests", identity
        )
        return dict(data["live"]["by_status"])

    async def report(self, identity: Identity, path: str, params: dict[str, str]) -> Any:
        """One of the reporting service's dashboards (``/reports/<path>``), in the
        identity's scope (the reporting service narrows or refuses)."""
        return await self.call(
            self.settings.reporting_url, "GET", f"/reports/{path}", identity, params=params
        )

    async def report_file(
        self, identity: Identity, report: str, params: dict[str, str]
    ) -> ReportFile:
        """A report exported by the reporting service (CSV or XLSX), as it sent it."""
        url = self.settings.reporting_url
        try:
            response = await self._client(url).get(
                f"/reports/export/{report}", params=params, headers=self._headers(identity)
            )
        except httpx.HTTPError as exc:
            raise ServiceUnavailableError(f"{url} не отвечает") from exc
        if response.status_code >= 500:
            raise ServiceUnavailableError(f"{url} ответил ошибкой {response.status_code}")
        if response.status_code >= 400:
            body = response.json() if response.content else None
            detail = body.get("detail") if isinstance(body, dict) else body
            raise ServiceError(response.status_code, detail)
        return ReportFile(
            content=response.content,
            media_type=response.headers.get("content-type", "application/octet-stream"),
            disposition=response.headers.get("content-disposition", "attachment"),
        )

    # --- dispatcher line (requests service) ------------------------------------------

    async def register_call(self, identity: Identity, payload: dict[str, Any]) -> dict[str, Any]:
        """Log a call (and create its request or book its appointment)."""
        data: dict[str, Any] = await self.call(
            self.settings.requests_url, "POST", "/calls", identity, json=payload
        )
        return data

    async def call_log(self, identity: Identity) -> dict[str, Any]:
        """Today's calls on the line."""
        data: dict[str, Any] = await self.call(
            self.settings.requests_url, "GET", "/calls", identity
        )
        return data

    async def free_slots(self, identity: Identity, first: str, last: str) -> list[dict[str, Any]]:
        """Every specialist with their free slots between two local dates."""
        url = self.settings.requests_url
        specialists: list[dict[str, Any]] = await self.call(url, "GET", "/specialists", identity)
        slots = await asyncio.gather(
            *(
                self.call(
                    url,
                    "GET",
                    f"/specialists/{quote(s['specialist_id'], safe='')}/slots",
                    identity,
                    params={"from": first, "to": last},
                )
                for s in specialists
            )
        )
        return [
            {**s, "free": [slot for slot in found["slots"] if slot["status"] == "free"]}
            for s, found in zip(specialists, slots, strict=True)
        ]
