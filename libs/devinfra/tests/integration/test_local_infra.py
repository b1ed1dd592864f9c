"""Integration tests: real Kafka, FerretDB on both backends, and no process left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import psutil
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from bson import Int64, ObjectId
from patronage_devinfra import Infrastructure, start_local_ferretdb
from patronage_devinfra.ferretdb import Backend
from pymongo import MongoClient, ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

pytestmark = pytest.mark.integration


async def test_kafka_produce_consume(infrastructure: Infrastructure, unique_prefix: str) -> None:
    topic = f"{unique_prefix}.devinfra.ping"
    producer = AIOKafkaProducer(bootstrap_servers=infrastructure.kafka_bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"hello", key=b"k")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=infrastructure.kafka_bootstrap_servers,
        group_id=f"{unique_prefix}-group",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        message = await consumer.getone()
    finally:
        await consumer.stop()
    assert (message.key, message.value) == (b"k", b"hello")


def test_resolved_store_insert_find(infrastructure: Infrastructure, unique_prefix: str) -> None:
    client: MongoClient[dict[str, object]] = MongoClient(infrastructure.mongodb_url)
    try:
        collection = client[unique_prefix]["things"]
        collection.insert_one({"name": "resolved", "n": 1})
        assert collection.find_one({"name": "resolved"}, {"_id": 0}) == {"name": "resolved", "n": 1}
    finally:
        client.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_ferretdb_backend_insert_find(backend: Backend, unique_prefix: str) -> None:
    with start_local_ferretdb(backend) as ferretdb:
        client: MongoClient[dict[str, object]] = MongoClient(ferretdb.mongodb_url)
        try:
            collection = client[unique_prefix]["docs"]
            collection.insert_many([{"i": i, "backend": backend} for i in range(5)])
            found = list(collection.find({"i": {"$gte": 3}}, {"_id": 0}).sort("i", 1))
            assert found == [{"i": 3, "backend": backend}, {"i": 4, "backend": backend}]
            assert client.admin.command("ping")["ok"] == 1.0
            _check_id_operations(client, unique_prefix, backend)
            _check_values_round_trip(client, unique_prefix)
        finally:
            client.close()
        _check_writes_close_queries(ferretdb.mongodb_url, unique_prefix)
        environ = Path(f"/proc/{ferretdb.pid}/environ").read_bytes().split(b"\0")
        assert {b"GOGC=off", b"GOMEMLIMIT=256MiB"} <= set(environ)
        data_dir, pid = ferretdb.data_dir, ferretdb.pid
    assert not data_dir.exists()
    assert not _alive(pid)


def _check_id_operations(
    client: MongoClient[dict[str, object]], database: str, backend: Backend
) -> None:
    """What the services do by `_id`, on the patched `_id` look-ups of both backends."""
    collection = client[database]["by_id"]
    oid = ObjectId()
    collection.insert_many([{"_id": "a:1", "n": 1}, {"_id": "a:2", "n": 2}, {"_id": oid, "n": 3}])
    assert collection.find_one({"_id": "a:2"}) == {"_id": "a:2", "n": 2}
    assert collection.find_one({"_id": {"$eq": "a:1"}}) == {"_id": "a:1", "n": 1}
    assert collection.find_one({"_id": oid}) == {"_id": oid, "n": 3}
    # The same characters as another type are a different `_id`.
    assert collection.find_one({"_id": str(oid)}) is None
    assert collection.find_one({"_id": "a:3"}) is None
    assert collection.find_one({"n": 2}, {"_id": 1}) == {"_id": "a:2"}
    collection.update_one({"_id": "a:1"}, {"$set": {"n": 10}})
    assert collection.find_one({"_id": "a:1"}) == {"_id": "a:1", "n": 10}
    with pytest.raises(DuplicateKeyError):
        collection.insert_one({"_id": "a:1", "n": 11})
    assert collection.delete_one({"_id": "a:2"}).deleted_count == 1
    assert collection.delete_one({"_id": "a:2"}).deleted_count == 0
    # The p6 patch deletes a lone `_id` directly; a filter with more than the `_id` is read.
    collection.insert_many([{"_id": "b:1", "n": 1}, {"_id": "b:2", "n": 2}, {"_id": 7, "n": 7}])
    assert collection.delete_one({"_id": "b:1", "n": 2}).deleted_count == 0
    assert collection.delete_many({"_id": "b:1"}).deleted_count == 1
    assert collection.delete_one({"_id": {"$eq": "b:2"}}).deleted_count == 1
    assert collection.delete_one({"_id": "7"}).deleted_count == 0
    assert collection.delete_one({"_id": 7}).deleted_count == 1
    assert sorted(str(doc["_id"]) for doc in collection.find({})) == sorted(["a:1", str(oid)])
    plan = str(client[database].command("explain", {"find": "by_id", "filter": {"_id": "a:1"}}))
    # Without the source patch both backends scan the table for an `_id`.
    assert ("Index Scan" if backend == "postgresql" else "USING INDEX") in plan, plan
    assert collection.delete_one({"_id": oid}).deleted_count == 1
    assert collection.find_one({"_id": oid}) is None


def _check_values_round_trip(client: MongoClient[dict[str, object]], database: str) -> None:
    """Every kind of value the services store reads back as written (p5's decoding patch)."""
    values: dict[str, object] = {
        "strings": ["", "Иванова Анна", 'quote " backslash \\ tab \t newline \n', "😀 \u2028 <b>"],
        "int32": [0, -1, 2**31 - 1, -(2**31)],
        "int64": [Int64(2**31), Int64(-(2**63)), Int64(2**63 - 1)],
        "doubles": [0.5, 3.0, -2.25, 1e300, 1.5e-300],
        "flags": [True, False],
        "at": datetime(2026, 11, 24, 10, 30, 15, 123000),
        "missing": None,
        "nested": {"a": [1, "x", {"b": [{}, {"c": []}]}], "empty": {}, "list": []},
    }
    collection = client[database]["values"]
    collection.insert_one({"_id": "v", **values})
    stored = collection.find_one({"_id": "v"}, {"_id": 0})
    assert stored == values
    assert stored is not None
    assert isinstance(stored["doubles"], list)
    assert all(isinstance(v, float) for v in stored["doubles"])
    assert all(type(v) is bool for v in stored["flags"])
    with pytest.raises(DuplicateKeyError):
        collection.insert_one({"_id": "v"})


def _check_writes_close_queries(url: str, database: str) -> None:
    """More updates at once than the backend's pool has connections: all answer (p3 patch).

    Unpatched, an update command of 150 statements holds 150 open queries and never answers.
    """
    client: MongoClient[dict[str, object]] = MongoClient(
        url, socketTimeoutMS=30_000, maxPoolSize=250
    )
    try:
        collection = client[database]["writes"]
        collection.insert_many([{"_id": f"d{i}", "n": 0} for i in range(150)])
        one_command = [UpdateOne({"_id": f"d{i}"}, {"$inc": {"n": 1}}) for i in range(150)]
        assert collection.bulk_write(one_command).modified_count == 150
        upserts = [UpdateOne({"_id": f"u{i}"}, {"$set": {"n": 1}}, upsert=True) for i in range(60)]
        again = UpdateOne({"_id": "u0"}, {"$inc": {"n": 1}}, upsert=True)
        result = collection.bulk_write([*upserts, again])
        assert (result.upserted_count, result.modified_count) == (60, 1)

        def bump(i: int) -> int:
            if i % 2:
                after = collection.find_one_and_update(
                    {"_id": f"d{i}"}, {"$inc": {"n": 1}}, return_document=ReturnDocument.AFTER
                )
                assert after is not None
                return int(str(after["n"]))
            return collection.update_one({"_id": f"d{i}"}, {"$inc": {"n": 1}}).modified_count + 1

        with ThreadPoolExecutor(200) as pool:
            assert set(pool.map(bump, range(150))) == {2}
        assert {doc["n"] for doc in collection.find({"_id": {"$regex": "^d"}})} == {2}
        assert collection.find_one({"_id": "u0"}) == {"_id": "u0", "n": 2}
    finally:
        client.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_patched_writes_survive_collections(backend: Backend, unique_prefix: str) -> None:
    """Updates keep answering while Go collects every few commands (GOGC=5).

    Before p5, FerretDB's release builds panicked in a finalizer on an iterator collected
    unclosed (p3's bug); p5 tracks iterators in debug builds only, and this stays a check that
    the patched writes neither hang nor kill FerretDB under constant collections.
    """
    with start_local_ferretdb(backend, go_runtime={"GOGC": "5"}) as ferretdb:
        _check_writes_close_queries(ferretdb.mongodb_url, unique_prefix)
        client: MongoClient[dict[str, object]] = MongoClient(
            ferretdb.mongodb_url, socketTimeoutMS=30_000
        )
        try:
            collection = client[unique_prefix]["writes"]
            for i in range(150):
                collection.update_one({"_id": f"d{i}"}, {"$inc": {"n": 1}})
                collection.find_one_and_update({"_id": f"d{i}"}, {"$inc": {"n": 1}})
            time.sleep(0.5)  # finalizers run in their own goroutine after a collection
            assert client.admin.command("ping")["ok"] == 1.0
            assert {doc["n"] for doc in collection.find({"_id": {"$regex": "^d"}})} == {4}
        finally:
            client.close()
        assert _alive(ferretdb.pid)
        assert "panic" not in ferretdb.log_path.read_text("utf-8")


_CHILD_SCRIPT = """
import json, os, signal, sys, time
import psutil
# SIGINT may arrive ignored (background job of a shell without job control).
signal.signal(signal.SIGINT, signal.default_int_handler)
from patronage_devinfra import resolve

with resolve() as infra:
    me = psutil.Process()
    children = [p.pid for p in me.children(recursive=True)]
    dirs = sorted(str(p) for p in __import__("pathlib").Path("/tmp").glob(
        f"patronage-devinfra-*-{os.getpid()}-*"))
    print(json.dumps({"children": children, "dirs": dirs, "kind": infra.kind}), flush=True)
    while True:
        time.sleep(1)
"""


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


@pytest.mark.parametrize(
    ("sig", "backend"),
    [
        (signal.SIGKILL, "sqlite"),
        (signal.SIGINT, "postgresql"),
        (signal.SIGTERM, "sqlite"),
    ],
    ids=["sigkill-sqlite", "sigint-postgresql", "sigterm-sqlite"],
)
def test_children_die_with_parent(sig: signal.Signals, backend: str) -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in {"KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URL"}
    }
    env.update(PATRONAGE_INFRA="local", PATRONAGE_STORE_BACKEND=backend)
    parent = subprocess.Popen(
        [sys.executable, "-c", _CHILD_SCRIPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
        text=True,
    )
    try:
        assert parent.stdout is not None
        line = parent.stdout.readline()
        assert line, f"child failed: {parent.stderr.read() if parent.stderr else ''}"
        report = json.loads(line)
        children: list[int] = report["children"]
        names = {psutil.Process(pid).name() for pid in children}
        assert report["kind"] == "local"
        assert {"java", "ferretdb"} <= names
        if backend == "postgresql":
            assert "postgres" in names
        parent.send_signal(sig)
        parent.wait(60)
        deadline = time.monotonic() + 20
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        survivors = {pid: psutil.Process(pid).cmdline()[:2] for pid in children if _alive(pid)}
        assert survivors == {}
        if sig != signal.SIGKILL:
            assert [d for d in report["dirs"] if Path(d).exists()] == []
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
