"""A throwaway PostgreSQL cluster (Debian's binaries) used as FerretDB's backend."""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock
from patronage_common.ports import free_port

from .paths import cache_dir
from .processes import (
    ProcessStartError,
    run_checked,
    running,
    temp_data_dir,
    wait_until,
)

START_TIMEOUT_S = 60.0
DATABASE = "ferretdb"
_PG_ROOT = Path("/usr/lib/postgresql")


@dataclass(frozen=True)
class LocalPostgres:
    """Connection details of a running throwaway cluster."""

    url: str
    port: int
    data_dir: Path
    log_path: Path
    pid: int


def _find_bin_dir() -> Path | None:
    def major(path: Path) -> int:
        name = path.parent.parent.name
        return int(name) if name.isdigit() else 0

    candidates = sorted(_PG_ROOT.glob("*/bin/initdb"), key=major, reverse=True)
    return candidates[0].parent if candidates else None


def ensure_postgres_binaries() -> Path:
    """Return the newest ``/usr/lib/postgresql/<v>/bin``; apt-install ``postgresql`` if absent."""
    found = _find_bin_dir()
    if found is not None:
        return found
    with FileLock(str(cache_dir() / "apt-postgresql.lock")):
        found = _find_bin_dir()
        if found is not None:
            return found
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            raise ProcessStartError(
                "PostgreSQL server binaries not found under /usr/lib/postgresql; "
                "install them with: sudo apt-get install -y postgresql"
            )
        print(
            "patronage-devinfra: PostgreSQL not found, running apt-get install -y postgresql",
            file=sys.stderr,
            flush=True,
        )
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"]
        result = subprocess.run(install, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            # A fresh machine may not have package lists yet.
            subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=False)
            result = subprocess.run(install, env=env, capture_output=True, text=True, check=False)
        found = _find_bin_dir()
        if result.returncode != 0 or found is None:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
            raise ProcessStartError(f"apt-get install -y postgresql failed:\n{tail}")
        return found


def _service_user() -> str | None:
    """Return the user to run PostgreSQL as: ``postgres`` when root (initdb refuses root)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise ProcessStartError(
            "running as root but no 'postgres' user exists; initdb refuses to run as root "
            "(the Debian postgresql package creates that user)"
        ) from None
    return "postgres"


def _chown_tree(path: Path, user: str) -> None:
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        os.chown(root, entry.pw_uid, entry.pw_gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)


def _pg_isready(bin_dir: Path, port: int) -> bool:
    result = subprocess.run(
        [str(bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port), "-t", "2"],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


@contextlib.contextmanager
def start_local_postgres(timeout: float = START_TIMEOUT_S) -> Iterator[LocalPostgres]:
    """Run a fresh cluster on a free 127.0.0.1 port with database ``ferretdb`` in the block."""
    bin_dir = ensure_postgres_binaries()
    user = _service_user()
    with temp_data_dir("postgres") as work_dir:
        pgdata = work_dir / "pgdata"
        log_path = work_dir / "postgres.log"
        if user is not None:
            _chown_tree(work_dir, user)
        # Keep the environment minimal: PG* variables of the caller must not leak in.
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("PG") and key not in {"HOME", "USER", "LOGNAME"}
        }
        env["LC_ALL"] = "C.UTF-8"
        env["HOME"] = str(work_dir)
        run_checked(
            "initdb",
            [
                bin_dir / "initdb",
                "-D",
                pgdata,
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ],
            log_path=work_dir / "initdb.log",
            env=env,
            cwd=work_dir,
            user=user,
            timeout=120,
        )
        port = free_port()
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(port),
            "unix_socket_directories": str(pgdata),
            # Throwaway data: durability only costs time here.
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
        }
        args: list[str | os.PathLike[str]] = [bin_dir / "postgres", "-D", pgdata]
        for key, value in settings.items():
            args += ["-c", f"{key}={value}"]
        with running(
            "postgres",
            args,
            log_path=log_path,
            env=env,
            cwd=work_dir,
            user=user,
            # SIGINT is PostgreSQL's "fast" shutdown; SIGTERM would wait for clients to leave.
            stop_signal=signal.SIGINT,
            stop_timeout=15.0,
        ) as proc:
            wait_until(
                proc,
                lambda: _pg_isready(bin_dir, port),
                timeout=timeout,
                what="accepting connections",
            )
            run_checked(
                "createdb",
                [
                    bin_dir / "createdb",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "-U",
                    "postgres",
                    DATABASE,
                ],
                log_path=work_dir / "createdb.log",
                env=env,
                timeout=60,
            )
            yield LocalPostgres(
                url=f"postgres://postgres@127.0.0.1:{port}/{DATABASE}",
                port=port,
                data_dir=pgdata,
                log_path=log_path,
                pid=proc.pid,
            )


def postgres_version(bin_dir: Path) -> str:
    """Return the server version reported by ``postgres --version``."""
    output = subprocess.run(
        [str(bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=False
    ).stdout
    match = re.search(r"\d+(\.\d+)*", output)
    return match.group(0) if match else output.strip()
