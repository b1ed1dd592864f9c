"""OpenID Connect login with a regional identity provider (authorization code + PKCE).

The provider's endpoints come from settings. The state, nonce and PKCE verifier travel in
a short-lived signed cookie; the ID token is verified against the provider's JWKS and its
login claim names the local account (which keeps the role and scope).
"""

import secrets
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from itsdangerous import BadSignature, URLSafeTimedSerializer
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from ..settings import GatewaySettings

STATE_COOKIE = "patronage_oidc"
STATE_MAX_AGE_S = 600


class OidcError(Exception):
    """The provider's answer cannot be trusted or does not name an account."""


@dataclass(frozen=True)
class AuthorizationStart:
    """Where to send the browser, and the signed cookie that must come back with it."""

    url: str
    state_cookie: str


def _serializer(settings: GatewaySettings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.session_secret, salt="patronage-oidc")


def _client(settings: GatewaySettings) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        scope=settings.oidc_scope,
        redirect_uri=settings.oidc_redirect_uri,
        code_challenge_method="S256",
    )


def start_authorization(settings: GatewaySettings) -> AuthorizationStart:
    """The provider's authorization URL and the signed state cookie."""
    if not settings.oidc_enabled:
        raise OidcError("вход через региональную учётную запись не настроен")
    state, nonce = generate_token(32), generate_token(32)
    verifier = secrets.token_urlsafe(48)
    url, _ = _client(settings).create_authorization_url(
        settings.oidc_authorization_endpoint,
        state=state,
        nonce=nonce,
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
    )
    cookie = _serializer(settings).dumps({"state": state, "nonce": nonce, "verifier": verifier})
    return AuthorizationStart(url=url, state_cookie=cookie)


def read_state_cookie(settings: GatewaySettings, cookie: str | None, state: str) -> dict[str, Any]:
    """The stored state, if the cookie is ours, fresh and for this ``state``."""
    if not cookie:
        raise OidcError("нет состояния входа: начните вход заново")
    try:
        stored: dict[str, Any] = _serializer(settings).loads(cookie, max_age=STATE_MAX_AGE_S)
    except BadSignature as exc:
        raise OidcError("состояние входа повреждено или устарело") from exc
    if not secrets.compare_digest(stored.get("state", ""), state):
        raise OidcError("состояние входа не совпадает")
    return stored


async def finish_authorization(
    settings: GatewaySettings, *, code: str, stored: dict[str, Any]
) -> str:
    """Exchange the code, verify the ID token, return the local login it names."""
    client = _client(settings)
    try:
        token = await client.fetch_token(
            settings.oidc_token_endpoint, code=code, code_verifier=stored["verifier"]
        )
        async with httpx.AsyncClient(timeout=5.0) as http:
            keys = (await http.get(settings.oidc_jwks_uri)).json()
    except httpx.HTTPError as exc:
        raise OidcError("поставщик учётных записей не отвечает") from exc
    finally:
        await client.aclose()
    id_token = token.get("id_token")
    if not id_token:
        raise OidcError("поставщик не вернул ID-токен")
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": settings.oidc_issuer},
        aud={"essential": True, "value": settings.oidc_client_id},
        nonce={"essential": True, "value": stored["nonce"]},
        exp={"essential": True},
    )
    try:
        claims = jwt.decode(id_token, KeySet.import_key_set(keys)).claims
        registry.validate(claims)
    except (JoseError, ValueError) as exc:
        raise OidcError(f"ID-токен не прошёл проверку: {exc}") from exc
    login = claims.get(settings.oidc_login_claim)
    if not isinstance(login, str) or not login:
        raise OidcError(f"в ID-токене нет {settings.oidc_login_claim}")
    return login
