"""OpenID Connect configuration: the redirect to the regional provider and its state."""

from urllib.parse import parse_qs, urlsplit

import pytest
from patronage_gateway.accounts import oidc
from patronage_gateway.settings import GatewaySettings

pytestmark = pytest.mark.unit


def configured(**overrides: object) -> GatewaySettings:
    fields: dict[str, object] = {
        "oidc_enabled": True,
        "oidc_issuer": "https://idp.region.example/realms/gov",
        "oidc_client_id": "patronage",
        "oidc_client_secret": "s3cret",
        "oidc_authorization_endpoint": "https://idp.region.example/realms/gov/auth",
        "oidc_token_endpoint": "https://idp.region.example/realms/gov/token",
        "oidc_jwks_uri": "https://idp.region.example/realms/gov/certs",
        "oidc_redirect_uri": "https://patronage.example/auth/oidc/callback",
        "session_secret": "a-session-secret-for-tests-0123456789",
    }
    fields.update(overrides)
    return GatewaySettings(**fields)  # type: ignore[arg-type]


def test_the_redirect_asks_for_a_code_with_pkce_state_and_nonce() -> None:
    settings = configured()
    start = oidc.start_authorization(settings)
    url = urlsplit(start.url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == settings.oidc_authorization_endpoint
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == "patronage"
    assert query["redirect_uri"] == settings.oidc_redirect_uri
    assert query["scope"] == "openid profile"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) >= 43
    assert "client_secret" not in query
    stored = oidc.read_state_cookie(settings, start.state_cookie, query["state"])
    assert stored["nonce"] == query["nonce"]
    assert stored["verifier"] not in start.url  # only the challenge leaves


def test_a_foreign_or_mismatched_state_is_refused() -> None:
    settings = configured()
    start = oidc.start_authorization(settings)
    state = parse_qs(urlsplit(start.url).query)["state"][0]
    with pytest.raises(oidc.OidcError):
        oidc.read_state_cookie(settings, start.state_cookie, "another-state")
    other = configured(session_secret="another-session-secret-0123456789")
    with pytest.raises(oidc.OidcError):
        oidc.read_state_cookie(other, start.state_cookie, state)
    with pytest.raises(oidc.OidcError):
        oidc.read_state_cookie(settings, None, state)


def test_disabled_oidc_builds_no_redirect() -> None:
    with pytest.raises(oidc.OidcError):
        oidc.start_authorization(configured(oidc_enabled=False))


def test_production_refuses_unsafe_gateway_settings() -> None:
    with pytest.raises(ValueError, match="SESSION_SECRET"):
        GatewaySettings(environment="production", identity_secret="x" * 40)
    with pytest.raises(ValueError, match="COOKIE_SECURE"):
        GatewaySettings(environment="production", identity_secret="x" * 40, session_secret="y" * 40)
    with pytest.raises(ValueError, match="DEMO_ACCOUNTS"):
        GatewaySettings(
            environment="production",
            identity_secret="x" * 40,
            session_secret="y" * 40,
            cookie_secure=True,
        )
