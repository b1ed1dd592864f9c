"""OpenID Connect login against a small provider served here: code, PKCE, signed ID token."""

import base64
import hashlib
import secrets
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI, Form
from fastapi.responses import RedirectResponse
from joserfc import jwt
from joserfc.jwk import RSAKey
from patronage_common.testing import free_port, serve
from patronage_gateway.main import create_app
from patronage_gateway.settings import GatewaySettings

pytestmark = pytest.mark.integration

CLIENT_ID = "patronage"


def fake_provider(issuer: str, key: RSAKey, login: str) -> FastAPI:
    """Authorization and token endpoints, and the JWKS, of a regional provider."""
    app = FastAPI()
    codes: dict[str, dict[str, str]] = {}

    @app.get("/auth")
    async def authorize(
        redirect_uri: str, state: str, nonce: str, code_challenge: str, client_id: str
    ) -> RedirectResponse:
        assert client_id == CLIENT_ID
        code = secrets.token_urlsafe(16)
        codes[code] = {"nonce": nonce, "challenge": code_challenge}
        return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}")

    @app.post("/token")
    async def token(
        code: str = Form(), code_verifier: str = Form(), grant_type: str = Form()
    ) -> dict[str, Any]:
        issued = codes.pop(code)
        digest = hashlib.sha256(code_verifier.encode()).digest()
        assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == issued["challenge"]
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": CLIENT_ID,
            "sub": "gov-123",
            "iat": now,
            "exp": now + 300,
            "nonce": issued["nonce"],
            "preferred_username": login,
        }
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
        return {"access_token": "at", "token_type": "Bearer", "id_token": id_token}

    @app.get("/certs")
    async def certs() -> dict[str, Any]:
        return {"keys": [{**key.as_dict(private=False), "kid": "k1", "alg": "RS256"}]}

    return app


@pytest.fixture
async def oidc_gateway(
    make_settings: Callable[..., Any],
) -> AsyncIterator[Callable[[str], Any]]:
    """Start a provider that vouches for ``login`` and a gateway that trusts it."""

    async def start(login: str) -> tuple[str, str]:
        idp_port, gw_port = free_port(), free_port()
        issuer = f"http://127.0.0.1:{idp_port}"
        key = RSAKey.generate_key(2048)
        settings = make_settings(
            GatewaySettings,
            http_port=gw_port,
            oidc_enabled=True,
            oidc_issuer=issuer,
            oidc_client_id=CLIENT_ID,
            oidc_client_secret="client-secret",
            oidc_authorization_endpoint=f"{issuer}/auth",
            oidc_token_endpoint=f"{issuer}/token",
            oidc_jwks_uri=f"{issuer}/certs",
            oidc_redirect_uri=f"http://127.0.0.1:{gw_port}/auth/oidc/callback",
        )
        await running.append_context(serve(fake_provider(issuer, key, login), idp_port))
        await running.append_context(serve(create_app(settings), gw_port))
        return issuer, f"http://127.0.0.1:{gw_port}"

    running = _Contexts()
    try:
        yield start
    finally:
        await running.close()


class _Contexts:
    def __init__(self) -> None:
        self._open: list[Any] = []

    async def append_context(self, context: Any) -> Any:
        value = await context.__aenter__()
        self._open.append(context)
        return value

    async def close(self) -> None:
        for context in reversed(self._open):
            await context.__aexit__(None, None, None)


async def follow_login(gateway: str) -> tuple[httpx.Response, httpx.Response]:
    """The callback's answer, and who the browser is afterwards (GET /api/me)."""
    async with httpx.AsyncClient(base_url=gateway) as browser:
        start = await browser.get("/auth/oidc/login")
        assert start.status_code == 303
        at_provider = await browser.get(start.headers["location"])
        assert at_provider.status_code == 307
        back = urlsplit(at_provider.headers["location"])
        assert parse_qs(back.query)["state"]
        response = await browser.get(f"{back.path}?{back.query}")
        return response, await browser.get("/api/me")


async def test_a_provider_login_opens_the_local_accounts_session(
    oidc_gateway: Callable[[str], Any],
) -> None:
    _, gateway = await oidc_gateway("head-elets")
    callback, me = await follow_login(gateway)
    assert callback.status_code == 303
    assert callback.headers["location"] == "/dashboard"
    assert "HttpOnly" in callback.headers["set-cookie"]
    assert me.json() == {  # the local account's role and scope
        "subject": "head-elets",
        "role": "district_head",
        "display_name": "Глава г. Ельца",
        "district": "elets",
    }


async def test_a_provider_login_without_a_local_account_is_refused(
    oidc_gateway: Callable[[str], Any],
) -> None:
    _, gateway = await oidc_gateway("stranger")
    callback, me = await follow_login(gateway)
    assert callback.status_code == 403
    assert "не зарегистрирована" in callback.text
    assert me.status_code == 401
