"""Unit tests: FerretDB's command line and environment, built without starting it."""

from __future__ import annotations

from pathlib import Path

import pytest
from patronage_devinfra.ferretdb import (
    GO_RUNTIME_ENV,
    ferretdb_args,
    ferretdb_env,
    sqlite_url,
)

pytestmark = pytest.mark.unit


def test_go_runtime_collects_at_the_memory_limit_only() -> None:
    env = ferretdb_env(base={"PATH": "/bin", "GOGC": "50", "GOMEMLIMIT": "1GiB"})
    assert env == {"PATH": "/bin", "GOGC": "off", "GOMEMLIMIT": "256MiB"}
    assert env["GOGC"] == GO_RUNTIME_ENV["GOGC"]


def test_empty_go_runtime_is_gos_defaults() -> None:
    env = ferretdb_env({}, base={"PATH": "/bin", "GOGC": "50", "GOMEMLIMIT": "1GiB"})
    assert env == {"PATH": "/bin"}


def test_env_defaults_to_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATRONAGE_PROBE", "1")
    monkeypatch.setenv("GOGC", "25")
    env = ferretdb_env({"GOGC": "200"})
    assert env["PATRONAGE_PROBE"] == "1"
    assert env["GOGC"] == "200"
    assert "GOMEMLIMIT" not in env


def test_args(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    assert url == f"file:{tmp_path}/?_pragma=synchronous(normal)"
    assert sqlite_url(tmp_path, ["wal_autocheckpoint(4000)"]) == (
        f"file:{tmp_path}/?_pragma=synchronous(normal)&_pragma=wal_autocheckpoint(4000)"
    )
    args = ferretdb_args(
        Path("/bin/ferretdb"), 27018, ["--handler=sqlite", f"--sqlite-url={url}"], tmp_path
    )
    assert args == [
        Path("/bin/ferretdb"),
        "--listen-addr=127.0.0.1:27018",
        "--handler=sqlite",
        f"--sqlite-url={url}",
        f"--state-dir={tmp_path}",
        "--telemetry=disable",
        "--debug-addr=-",
        "--log-level=warn",
    ]
