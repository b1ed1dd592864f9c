"""No route of the requests service hands work to a worker thread before its endpoint."""

from patronage_common.testing import run_in_threads
from patronage_requests.main import create_app


def test_every_route_and_its_dependencies_run_on_the_event_loop() -> None:
    assert run_in_threads(create_app()) == {}
