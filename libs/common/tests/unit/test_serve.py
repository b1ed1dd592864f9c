import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from patronage_common.testing import free_port, serve


async def test_an_app_is_served_until_the_block_ends() -> None:
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"answer": "pong"}

    port = free_port()
    async with serve(app, port) as url, httpx.AsyncClient(base_url=url) as client:
        assert (await client.get("/ping")).json() == {"answer": "pong"}
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient(base_url=url) as client:
            await client.get("/ping")


async def test_a_port_in_use_is_a_clear_error_not_an_exit_of_the_event_loop() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match=f"could not start on port {port}"):
            async with serve(FastAPI(), port):
                pass  # pragma: no cover - it never starts


async def test_the_event_loop_goes_on_after_a_port_in_use() -> None:
    # Runs after the test above on the same (session) event loop.
    port = free_port()
    async with serve(FastAPI(), port) as url, httpx.AsyncClient(base_url=url) as client:
        assert (await client.get("/docs")).status_code == 200


async def test_a_failed_start_up_is_a_clear_error_too() -> None:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        raise ValueError("the store is not there")
        yield  # pragma: no cover

    with pytest.raises(RuntimeError, match="could not start on port"):
        async with serve(FastAPI(lifespan=lifespan), free_port()):
            pass  # pragma: no cover - it never starts
