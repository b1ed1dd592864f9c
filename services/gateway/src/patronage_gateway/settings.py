"""Gateway settings (from the environment)."""

from functools import lru_cache
from pathlib import Path
from typing import Self

from patronage_common.settings import (
    DEVELOPMENT_SECRET,
    READ_PATH_GC_YOUNG_THRESHOLD,
    ServiceSettings,
)
from pydantic import Field, model_validator

DEMO_ACCOUNTS_FILE = Path(__file__).parent / "accounts" / "demo_accounts.yaml"


class GatewaySettings(ServiceSettings):
    """Settings of the gateway: the services it calls, sessions, login, OpenID Connect."""

    service_name: str = "gateway"
    http_port: int = 8000
    gc_young_threshold: int = Field(default=READ_PATH_GC_YOUNG_THRESHOLD, ge=0)
    passport_url: str = "http://127.0.0.1:8001"
    requests_url: str = "http://127.0.0.1:8002"
    notifications_url: str = "http://127.0.0.1:8003"
    reporting_url: str = "http://127.0.0.1:8004"

    session_secret: str = Field(
        default=DEVELOPMENT_SECRET, description="Signs the OpenID Connect state cookie"
    )
    cookie_secure: bool = Field(default=False, description="Secure flag on cookies (HTTPS)")
    session_ttl_s: int = Field(default=8 * 3600, gt=0)
    api_token_ttl_s: int = Field(default=3600, gt=0)
    session_cache_s: float = Field(
        default=5.0, ge=0, description="How long a replica trusts a session it read (logout lag)"
    )
    demo_accounts: bool = Field(default=True, description="Seed the demo accounts at start")
    demo_accounts_file: Path = DEMO_ACCOUNTS_FILE
    login_free_attempts: int = Field(default=5, ge=1, description="Failures before lockout")
    login_lockout_base_s: float = Field(default=30.0, gt=0)
    login_lockout_max_s: float = Field(default=900.0, gt=0)
    default_language: str = "ru"
    timezone: str = Field(
        default="Europe/Moscow", description="The region's time zone for times shown in the UI"
    )

    oidc_enabled: bool = False
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_authorization_endpoint: str = ""
    oidc_token_endpoint: str = ""
    oidc_jwks_uri: str = ""
    oidc_redirect_uri: str = "http://127.0.0.1:8000/auth/oidc/callback"
    oidc_scope: str = "openid profile"
    oidc_login_claim: str = Field(
        default="preferred_username", description="Claim naming the local account"
    )

    @model_validator(mode="after")
    def _production_is_configured(self) -> Self:
        if self.environment != "production":
            return self
        if self.session_secret == DEVELOPMENT_SECRET:
            raise ValueError("SESSION_SECRET must be set to a real secret in production")
        if not self.cookie_secure:
            raise ValueError("COOKIE_SECURE must be true in production (HTTPS only)")
        if self.demo_accounts:
            raise ValueError("DEMO_ACCOUNTS must be false in production (no demo logins)")
        return self


@lru_cache
def get_settings() -> GatewaySettings:
    """Settings read once from the environment."""
    return GatewaySettings()
