"""Command line: ``up`` runs the infrastructure until interrupted; ``prepare`` warms the caches."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from .ferretdb import BACKENDS, cached_ferretdb_binary, ensure_ferretdb_binary
from .kafka import KAFKA_VERSION, ensure_kafka_jars, kafka_home
from .postgres import ensure_postgres_binaries, postgres_version
from .processes import ProcessStartError
from .resolver import STORE_BACKEND_ENV, resolve, store_backend_from_env


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _up(env_file: Path | None) -> int:
    signal.signal(signal.SIGTERM, _raise_interrupt)
    # A shell without job control starts background jobs with SIGINT ignored; take it back.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    started = time.monotonic()
    try:
        with resolve() as infra:
            lines = [f"{key}={value}" for key, value in infra.as_env().items()]
            print("\n".join(lines), flush=True)
            if env_file is not None:
                env_file.write_text("\n".join(lines) + "\n", "utf-8")
            _say(
                f"infrastructure up ({infra.kind}, store {infra.store_backend}) in "
                f"{time.monotonic() - started:.1f} s; Ctrl-C or SIGTERM stops it"
            )
            try:
                while True:
                    signal.pause()
            finally:
                _say("stopping…")
                if env_file is not None:
                    env_file.unlink(missing_ok=True)
    except KeyboardInterrupt:
        pass
    _say("stopped")
    return 0


def _timed(label: str, action: Callable[[], str]) -> None:
    started = time.monotonic()
    detail = action()
    _say(f"{label}: {detail} ({time.monotonic() - started:.1f} s)")


def _prepare(with_postgres: bool) -> int:
    def kafka() -> str:
        cached = (kafka_home() / ".complete").exists()
        libs = ensure_kafka_jars()
        jars = len(list(libs.glob("*.jar")))
        return f"{'cached' if cached else 'downloaded'} {jars} jars in {libs}"

    def ferretdb() -> str:
        cached = cached_ferretdb_binary() is not None
        binary = ensure_ferretdb_binary()
        return f"{'cached' if cached else 'built'} {binary}"

    def postgres() -> str:
        bin_dir = ensure_postgres_binaries()
        return f"PostgreSQL {postgres_version(bin_dir)} in {bin_dir}"

    _timed(f"Kafka {KAFKA_VERSION}", kafka)
    _timed("FerretDB", ferretdb)
    if with_postgres:
        _timed("PostgreSQL", postgres)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``up`` or ``prepare`` command."""
    parser = argparse.ArgumentParser(prog="python -m patronage_devinfra", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start Kafka and the document store, wait for Ctrl-C")
    up.add_argument("--env-file", type=Path, help="also write the variables to this file")
    up.add_argument(
        "--store-backend", choices=BACKENDS, help=f"FerretDB backend (default ${STORE_BACKEND_ENV})"
    )
    prepare = commands.add_parser("prepare", help="download and build only, to warm the caches")
    prepare.add_argument(
        "--with-postgres",
        action="store_true",
        help="also make sure the PostgreSQL server is installed",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            if args.store_backend:
                os.environ[STORE_BACKEND_ENV] = args.store_backend
            return _up(args.env_file)
        return _prepare(args.with_postgres or store_backend_from_env() == "postgresql")
    except (ProcessStartError, ValueError) as exc:
        _say(f"error: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
