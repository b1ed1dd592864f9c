import socket

import pytest
from patronage_common import ports
from patronage_common.ports import ephemeral_range, free_port


def test_ports_lie_outside_the_range_outgoing_connections_take_theirs_from() -> None:
    low, high = ephemeral_range()
    given = [free_port() for _ in range(50)]
    assert all(not low <= port <= high for port in given)
    assert all(ports.LOWEST <= port <= 65535 for port in given)


def test_a_port_is_not_given_twice_and_a_server_can_bind_it() -> None:
    given = [free_port() for _ in range(200)]
    assert len(set(given)) == len(given)
    with socket.socket() as server:
        server.bind(("127.0.0.1", given[-1]))
        server.listen()


def test_a_port_someone_listens_on_is_not_given(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # The taken port is the only one outside the (pretended) range.
        monkeypatch.setattr(ports, "LOWEST", port)
        monkeypatch.setattr(ports, "ephemeral_range", lambda: (port + 1, 65535))
        given = free_port()
    assert given != port


def test_without_room_outside_the_range_the_kernel_chooses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ports, "ephemeral_range", lambda: (1024, 65535))
    monkeypatch.setattr(ports, "_handed_out", set())
    port = free_port()
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
    assert port in ports._handed_out
