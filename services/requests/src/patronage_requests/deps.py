"""Service-wide dependencies of the requests service."""

from functools import lru_cache
from pathlib import Path

from .routing.service import Router, load_router


@lru_cache
def get_router(routing_file: Path | None) -> Router:
    """The routing table (from the file, or the packaged default), loaded once."""
    return load_router(routing_file)
