"""No route of the gateway hands work to a worker thread on its way to the endpoint."""

from patronage_common.testing import run_in_threads
from patronage_gateway.main import create_app


def test_every_route_and_its_dependencies_run_on_the_event_loop() -> None:
    assert run_in_threads(create_app()) == {}
