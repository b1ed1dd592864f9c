"""Gateway settings (from the environment)."""

from functools import lru_cache

from patronage_common.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    """Settings of the gateway: where the services it calls live."""

    service_name: str = "gateway"
    http_port: int = 8000
    passport_url: str = "http://127.0.0.1:8001"
    requests_url: str = "http://127.0.0.1:8002"
    notifications_url: str = "http://127.0.0.1:8003"
    reporting_url: str = "http://127.0.0.1:8004"


@lru_cache
def get_settings() -> GatewaySettings:
    """Settings read once from the environment."""
    return GatewaySettings()
