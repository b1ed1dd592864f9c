"""The one place that decides where Kafka and the document store come from."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Literal, TypeVar, cast

from .containers import docker_available, kafka_container, mongodb_container
from .ferretdb import BACKENDS, Backend, start_local_ferretdb
from .kafka import start_local_kafka
from .processes import install_cleanup_hooks

KAFKA_ENV = "KAFKA_BOOTSTRAP_SERVERS"
MONGODB_ENV = "MONGODB_URL"
STORE_BACKEND_ENV = "PATRONAGE_STORE_BACKEND"
MODE_ENV = "PATRONAGE_INFRA"
Mode = Literal["auto", "local", "containers"]
_MODES: tuple[Mode, ...] = ("auto", "local", "containers")

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class Infrastructure:
    """Where the broker and the document store are, and how they were provided."""

    kafka_bootstrap_servers: str
    mongodb_url: str
    # external | containers | local; "<kafka kind>+<store kind>" when the two parts differ.
    kind: str
    # external | mongodb | sqlite | postgresql
    store_backend: str

    def as_env(self) -> dict[str, str]:
        """Return the variables that point services at this infrastructure."""
        return {KAFKA_ENV: self.kafka_bootstrap_servers, MONGODB_ENV: self.mongodb_url}


def store_backend_from_env() -> Backend:
    """Return FerretDB's backend from ``PATRONAGE_STORE_BACKEND`` (default ``sqlite``)."""
    value = os.environ.get(STORE_BACKEND_ENV, "").strip().lower() or "sqlite"
    if value not in BACKENDS:
        raise ValueError(f"{STORE_BACKEND_ENV}={value!r}: expected one of {', '.join(BACKENDS)}")
    return value


def mode_from_env() -> Mode:
    """Return ``PATRONAGE_INFRA``: ``auto`` (default), ``local`` or ``containers``."""
    value = os.environ.get(MODE_ENV, "").strip().lower() or "auto"
    if value not in _MODES:
        raise ValueError(f"{MODE_ENV}={value!r}: expected one of {', '.join(_MODES)}")
    return value


def _enter_both(
    stack: contextlib.ExitStack, first: AbstractContextManager[T], second: AbstractContextManager[U]
) -> tuple[T, U]:
    """Enter two context managers concurrently (startup is mostly waiting); both join ``stack``."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="patronage-start") as pool:
        second_future = pool.submit(second.__enter__)
        first_error: BaseException | None = None
        first_value: T | None = None
        try:
            first_value = stack.enter_context(first)
        except BaseException as exc:
            first_error = exc
        # Wait even if the first failed: a second that came up must join the stack to be stopped.
        second_value: U | None = None
        try:
            second_value = second_future.result()
        except BaseException:
            if first_error is None:
                raise
        else:
            stack.push(second)
    if first_error is not None:
        raise first_error
    return cast(T, first_value), cast(U, second_value)


@contextlib.contextmanager
def resolve() -> Iterator[Infrastructure]:
    """Provide Kafka and a MongoDB-wire store: env vars, else Docker, else local processes."""
    install_cleanup_hooks()
    kafka_url = os.environ.get(KAFKA_ENV, "").strip()
    mongodb_url = os.environ.get(MONGODB_ENV, "").strip()
    kafka_kind = store_kind = "external"
    store_backend = "external"
    with contextlib.ExitStack() as stack:
        if not (kafka_url and mongodb_url):
            mode = mode_from_env()
            use_containers = mode == "containers" or (mode == "auto" and docker_available())
            kafka_cm: AbstractContextManager[str] | None = None
            store_cm: AbstractContextManager[str] | None = None
            if use_containers:
                if not kafka_url:
                    kafka_cm, kafka_kind = kafka_container(), "containers"
                if not mongodb_url:
                    store_cm, store_backend = mongodb_container(), "mongodb"
                    store_kind = "containers"
            else:
                backend = store_backend_from_env()
                if not kafka_url:
                    kafka_cm, kafka_kind = _local_kafka_url(), "local"
                if not mongodb_url:
                    store_cm, store_backend = _local_store_url(backend), backend
                    store_kind = "local"
            if kafka_cm is not None and store_cm is not None:
                kafka_url, mongodb_url = _enter_both(stack, kafka_cm, store_cm)
            elif kafka_cm is not None:
                kafka_url = stack.enter_context(kafka_cm)
            elif store_cm is not None:
                mongodb_url = stack.enter_context(store_cm)
        kind = kafka_kind if kafka_kind == store_kind else f"{kafka_kind}+{store_kind}"
        yield Infrastructure(
            kafka_bootstrap_servers=kafka_url,
            mongodb_url=mongodb_url,
            kind=kind,
            store_backend=store_backend,
        )


@contextlib.contextmanager
def _local_kafka_url() -> Iterator[str]:
    with start_local_kafka() as kafka:
        yield kafka.bootstrap_servers


@contextlib.contextmanager
def _local_store_url(backend: Backend) -> Iterator[str]:
    with start_local_ferretdb(backend) as ferretdb:
        yield ferretdb.mongodb_url
