"""Cache locations and packaged resource files."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

CACHE_ENV = "PATRONAGE_CACHE"


def cache_dir() -> Path:
    """Return the download/build cache root (``$PATRONAGE_CACHE`` or ``~/.cache/patronage``)."""
    configured = os.environ.get(CACHE_ENV)
    root = Path(configured).expanduser() if configured else Path.home() / ".cache" / "patronage"
    root.mkdir(parents=True, exist_ok=True)
    return root


def resource_text(name: str) -> str:
    """Return the text of a file shipped in ``patronage_devinfra/resources``."""
    return resources.files("patronage_devinfra").joinpath("resources", name).read_text("utf-8")
