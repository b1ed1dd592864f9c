"""Routes whose endpoint or dependencies would wait for a worker thread are named."""

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI
from patronage_common.testing import run_in_threads


def plain_clock() -> str:
    return "now"


async def async_clock() -> str:
    return "now"


def test_plain_functions_among_dependencies_and_endpoints_are_named() -> None:
    router = APIRouter(prefix="/inner")

    @router.get("/threaded")
    async def nested(clock: Annotated[str, Depends(plain_clock)]) -> str:
        return clock

    app = FastAPI()
    app.include_router(router)

    @app.get("/fine")
    async def fine(clock: Annotated[str, Depends(async_clock)]) -> str:
        return clock

    @app.get("/plain")
    def plain() -> str:
        return "x"

    assert run_in_threads(app) == {
        "GET /inner/threaded": ["plain_clock"],
        "GET /plain": ["plain"],
    }
