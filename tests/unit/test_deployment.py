"""The production-like deployment files agree with the code they deploy."""

import importlib.util
import re
from pathlib import Path

import pytest
import yaml
from patronage_gateway.settings import GatewaySettings
from patronage_notifications.settings import NotificationsSettings
from patronage_passport.settings import PassportSettings
from patronage_reporting.settings import ReportingSettings
from patronage_requests.settings import RequestsSettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {
    "passport": PassportSettings,
    "requests": RequestsSettings,
    "notifications": NotificationsSettings,
    "reporting": ReportingSettings,
    "gateway": GatewaySettings,
}


@pytest.fixture(scope="module")
def compose() -> dict[str, object]:
    document = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    assert isinstance(document, dict)
    return document


def test_compose_runs_real_kafka_and_mongodb_with_health_checks(compose: dict) -> None:
    services = compose["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:4")
    assert services["mongo"]["image"].startswith("mongo:")
    for name in ("kafka", "mongo"):
        assert "healthcheck" in services[name]


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_each_service_has_its_container_built_from_its_dockerfile(
    compose: dict, service: str
) -> None:
    spec = compose["services"][service]
    dockerfile = ROOT / spec["build"]["dockerfile"]
    assert dockerfile == ROOT / "services" / service / "Dockerfile"
    text = dockerfile.read_text("utf-8")
    (module,) = re.findall(r'"-m", "([a-z_]+)"\]', text)
    assert importlib.util.find_spec(module) is not None
    assert "--package patronage-" + service in text
    assert "HEALTHCHECK" in text
    assert "/ready" in text
    assert spec["depends_on"]["kafka"]["condition"] == "service_healthy"
    fields = {name.upper() for name in SETTINGS[service].model_fields}
    unknown = set(spec["environment"]) - fields
    # Peers' URLs are shared by all services; the ones a service does not use are ignored.
    assert unknown <= {"PASSPORT_URL", "REQUESTS_URL", "NOTIFICATIONS_URL", "REPORTING_URL"}
