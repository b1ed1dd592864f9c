"""FerretDB v1 (MongoDB wire protocol) built from its Go module and run as a local process."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from filelock import FileLock
from patronage_common.ports import free_port

from .paths import cache_dir
from .postgres import start_local_postgres
from .processes import (
    ProcessStartError,
    run_checked,
    running,
    temp_data_dir,
    wait_until,
)

MODULE = "github.com/FerretDB/FerretDB"
VERSIONS = ("v1.24.2", "v1.24.1")
START_TIMEOUT_S = 60.0
Backend = Literal["sqlite", "postgresql"]
BACKENDS: tuple[Backend, ...] = ("sqlite", "postgresql")
_GO_HINT = "go not found: install Go >= 1.24 (https://go.dev/dl/) to build FerretDB"


@dataclass(frozen=True)
class LocalFerretDB:
    """Connection details of a running FerretDB."""

    mongodb_url: str
    backend: Backend
    data_dir: Path
    log_path: Path
    pid: int
    backend_args: list[str]
    """The ``--handler`` and backend URL flags: a second FerretDB can share the store."""


# FerretDB v1's SQLite backend indexes `_id` as `_ferretdb_sjson->"_id"` but queries it as
# `_ferretdb_sjson->'$._id'`; SQLite only uses an expression index for the identical
# expression, so every `_id` look-up scanned the whole table (measured: 140 ms at 50k
# documents, 1 ms with the patch). The patch makes the query use the index's expression.
ID_COLUMN_FILE = Path("internal/backends/sqlite/metadata/metadata.go")
ID_COLUMN_UPSTREAM = "IDColumn = DefaultColumn + \"->'$._id'\""
ID_COLUMN_PATCHED = 'IDColumn = DefaultColumn + `->"_id"`'

# FerretDB v1's PostgreSQL backend indexes `_id` as btree `(_jsonb->'_id')` (and updates and
# deletes by `_jsonb->'_id' = $n`) but pushes a find's `{_id: x}` down as
# `_jsonb->$1 @> $2` with `$1 = '_id'`: jsonb containment is no btree operator and the key is a
# parameter, so every find by `_id` (and the look-up before each update or delete) scanned the
# whole table (measured: 100 ms at 20k documents of 3 KB, 0.1 ms through the index). The patch
# pushes string and ObjectId `_id`s down as `_jsonb->'_id' = $n`, the index's expression and
# operator; for scalars jsonb `=` matches exactly what `@>` does, and FerretDB filters the rows
# again in memory anyway. Other `_id` types keep the upstream SQL.
ID_FILTER_FILE = Path("internal/backends/postgresql/query.go")
ID_FILTER_UPSTREAM = (
    "func filterEqual(p *metadata.Placeholder, k any, v any, operator string) "
    "(filter string, args []any) {\n"
)
ID_FILTER_PATCHED = """\
// filterEqual is patched by Patronage (libs/devinfra, ferretdb.py): `_id` equality uses the
// `_id` index, see there.
func filterEqual(
    p *metadata.Placeholder, k any, v any, operator string,
) (filter string, args []any) {
    if k == "_id" && operator == "->" {
        switch v.(type) {
        case string, types.ObjectID:
            arg := string(must.NotFail(sjson.MarshalSingleValue(v)))
            return metadata.IDColumn + " = " + p.Next(), []any{arg}
        }
    }

    return filterEqualUpstream(p, k, v, operator)
}

func filterEqualUpstream(
    p *metadata.Placeholder, k any, v any, operator string,
) (filter string, args []any) {
"""
# FerretDB v1's `update` and `findAndModify` read the matching documents through an open query
# (SQLite: `database/sql` rows; PostgreSQL: a pgx pool connection) and write each one with
# another pooled connection while that query is still open; an `update` command also keeps every
# statement's query open until the command ends (a `defer` inside its loop). The pools are
# bounded (SQLite 100 connections per database, PostgreSQL `pool_max_conns` 50), so enough
# concurrent updates -- or one update command of 100 statements -- hold every connection in open
# queries while each waits for one more to write: FerretDB stops answering for good (seen as 100
# goroutines in `(*Rows).awaitDone` and every command in `(*DB).conn`). The patch reads the
# matched documents (at most one unless `multi`) and closes the query before writing, as
# FerretDB's own `delete` already does ("close read transaction before starting write
# transaction"); the update logic itself is unchanged. The list's iterator is closed with the
# command's other iterators (an unclosed one keeps its resources; before p5 FerretDB also
# panicked when it collected one).
RELEASE_FILES = (
    Path("internal/handler/msg_update.go"),
    Path("internal/handler/msg_findandmodify.go"),
)
RELEASE_UPSTREAM = (
    """\
		if !u.Multi {
			iter = common.LimitIterator(iter, closer, 1)
		}
""",
    """\
	// findAndModify modifies a single document
	iter = common.LimitIterator(iter, closer, 1)
""",
)
RELEASE_PATCHED = (
    """\
		if !u.Multi {
			iter = common.LimitIterator(iter, closer, 1)
		}

		// Patched by Patronage (libs/devinfra, ferretdb.py): close the query before writing.
		matchedDocs, err := iterator.ConsumeValues(iter)
		if err != nil {
			return 0, 0, nil, lazyerrors.Error(err)
		}

		iter = iterator.Values(iterator.ForSlice(matchedDocs))
		closer.Add(iter)
""",
    """\
	// findAndModify modifies a single document
	iter = common.LimitIterator(iter, closer, 1)

	// Patched by Patronage (libs/devinfra, ferretdb.py): close the query before writing.
	matchedDocs, err := iterator.ConsumeValues(iter)
	if err != nil {
		return nil, lazyerrors.Error(err)
	}

	iter = iterator.Values(iterator.ForSlice(matchedDocs))
	closer.Add(iter)
""",
)

# FerretDB v1 tracks the lifetime of every iterator it creates -- each document's and array's
# field iterator while it converts a stored document to BSON, so dozens per document read -- with
# `resource.Track`: a stack trace into a pprof profile and a finalizer that panics if the
# iterator is collected unclosed. A leak detector, on in release builds: measured with pprof on
# finds by `_id` of a 30-field document (GOGC=off), 24 % of FerretDB's CPU was `Track`'s stack
# walks. The patch keeps tracking in debug builds only (`debugbuild.Enabled`), as the
# detector's own trace capture already is.
TRACK_FILE = Path("internal/util/resource/resource.go")
TRACK_UPSTREAM = (
    "func Track(obj any, token *Token) {\n\tcheckArgs(obj, token)\n",
    "func Untrack(obj any, token *Token) {\n\tcheckArgs(obj, token)\n",
)
TRACK_PATCHED = tuple(
    upstream.replace(
        "{\n",
        "{\n\t// Patched by Patronage (libs/devinfra, ferretdb.py): debug builds only.\n"
        "\tif !debugbuild.Enabled {\n\t\treturn\n\t}\n\n",
        1,
    )
    for upstream in TRACK_UPSTREAM
)

# FerretDB v1 stores documents as JSON on both backends (its `sjson` format) and decodes each
# stored value -- every string, number and nested document or array -- with a `json.Decoder`
# of its own (a reader, the decoder's buffer, then a check that nothing is left over): most of
# a read's allocations. The patch decodes those values with `json.Unmarshal`, which rejects
# trailing data itself: the same values, and malformed data is still an error.
DECODE_FILES = {
    "string.go": ("o", "string", False),
    "int32.go": ("o", "int32", False),
    "int64.go": ("o", "int64", True),
    "double.go": ("f", "float64", True),
    "bool.go": ("o", "bool", False),
    "datetime.go": ("o", "int64", True),
    "array.go": ("rawMessages", "[]json.RawMessage", False),
    "document.go": ("rawMessages", "map[string]json.RawMessage", False),
}


def _decode_snippets(name: str, kind: str, disallow: bool) -> tuple[str, str]:
    """The upstream decoding of one stored value and its patched form."""
    upstream = (
        "\tr := bytes.NewReader(data)\n\tdec := json.NewDecoder(r)\n"
        + ("\tdec.DisallowUnknownFields()\n" if disallow else "")
        + f"\n\tvar {name} {kind}\n\tif err := dec.Decode(&{name}); err != nil {{\n"
        "\t\treturn lazyerrors.Error(err)\n\t}\n\n"
        "\tif err := checkConsumed(dec, r); err != nil {\n\t\treturn lazyerrors.Error(err)\n\t}\n"
    )
    patched = (
        "\t// Patched by Patronage (libs/devinfra, ferretdb.py): json.Unmarshal, no decoder.\n"
        f"\tvar {name} {kind}\n\tif err := json.Unmarshal(data, &{name}); err != nil {{\n"
        "\t\treturn lazyerrors.Error(err)\n\t}\n"
    )
    return upstream, patched


# FerretDB v1 deletes by querying the documents the filter matches, decoding each one in full to
# filter it again in memory and take its `_id`, then deleting those `_id`s. The services delete
# by `_id` alone (an outbox marker once its events are published, a claim once done): measured
# with pprof under `bench/requests.py --path intake`, deletes were a quarter of FerretDB's CPU,
# two thirds of it decoding documents about to be deleted. The patch deletes a filter of a
# single string or ObjectId `_id` directly by that `_id` (the same `DeleteAll` the upstream path
# ends in); every other filter takes the upstream path.
DELETE_FILE = Path("internal/handler/msg_delete.go")
EXEC_DELETE = (
    "func (h *Handler) execDelete("
    "ctx context.Context, c backends.Collection, p *common.Delete) (int32, error) {\n"
)
DELETE_UPSTREAM = EXEC_DELETE + "\tvar qp backends.QueryParams\n"
DELETE_PATCHED = (
    """\
// deleteByIDOnly returns the `_id` of a filter that is exactly one string or ObjectId `_id`.
// Patched by Patronage (libs/devinfra, ferretdb.py).
func deleteByIDOnly(filter *types.Document) (any, bool) {
\tif filter == nil || filter.Len() != 1 {
\t\treturn nil, false
\t}

\tid, err := filter.Get("_id")
\tif err != nil {
\t\treturn nil, false
\t}

\tswitch id.(type) {
\tcase string, types.ObjectID:
\t\treturn id, true
\t}

\treturn nil, false
}

"""
    + EXEC_DELETE
    + """\
\t// Patched by Patronage (libs/devinfra, ferretdb.py): a delete by `_id` alone reads nothing.
\tif id, ok := deleteByIDOnly(p.Filter); ok {
\t\td, err := c.DeleteAll(ctx, &backends.DeleteAllParams{IDs: []any{id}})
\t\tif err != nil {
\t\t\treturn 0, lazyerrors.Error(err)
\t\t}

\t\treturn d.Deleted, nil
\t}

\tvar qp backends.QueryParams
"""
)


# FerretDB's Go heap holds ~1-2 MB of live data, so Go's default GOGC=100 keeps a 4 MB heap
# goal while a find by `_id` allocates ~0.2-0.6 MB (JSON decoding of the stored document, BSON
# encoding of the reply): a collection every 4-9 finds, 100+ a second. Measured with
# bench/store_backends.py --compare-go-defaults (100k documents of 4 KB, both backends, two
# FerretDB processes on one store timed in alternating rounds): FerretDB's CPU per find
# 1.2-1.6 ms with the defaults, 0.95-1.06 ms with collections only at the memory limit (3-6
# per 6,000 finds, each over ~1 MB of live data); a find overlapping a collection's end is
# 1.2-2x as likely to be slow. On a machine at load 11-14 the finds' tail fell (PostgreSQL p99
# 32 -> 18 ms, finds over 10 ms 558 -> 250); at load 16-20 the p99s are alike either way: the
# slow finds' time is then the client's and FerretDB's threads waiting for a CPU. A query whose
# live data outgrows the limit (an in-memory sort of many documents) collects as often as it
# needs.
GO_RUNTIME_ENV: Mapping[str, str] = {"GOGC": "off", "GOMEMLIMIT": "256MiB"}

# Bump when a patch changes: the cached binary's directory name carries it.
PATCH_LEVEL = "p6"


def _binary_path(version: str) -> Path:
    return cache_dir() / f"ferretdb-{version.removeprefix('v')}-{PATCH_LEVEL}" / "ferretdb"


def _replace_once(path: Path, upstream: str, patched: str) -> None:
    text = path.read_text("utf-8")
    if text.count(upstream) != 1:
        raise ProcessStartError(f"FerretDB source changed: {upstream!r} not once in {path}")
    path.write_text(text.replace(upstream, patched), "utf-8")


def patch_id_lookups(source: Path) -> None:
    """Make both backends' `_id` look-ups use the `_id` index (ID_COLUMN_FILE, ID_FILTER_FILE)."""
    _replace_once(source / ID_COLUMN_FILE, ID_COLUMN_UPSTREAM, ID_COLUMN_PATCHED)
    _replace_once(source / ID_FILTER_FILE, ID_FILTER_UPSTREAM, ID_FILTER_PATCHED)


def patch_read_before_write(source: Path) -> None:
    """Make `update` and `findAndModify` close their query before writing (RELEASE_FILES)."""
    for path, upstream, patched in zip(
        RELEASE_FILES, RELEASE_UPSTREAM, RELEASE_PATCHED, strict=True
    ):
        _replace_once(source / path, upstream, patched)


def patch_delete_by_id(source: Path) -> None:
    """Delete a filter of one `_id` by that `_id`, without reading the document (DELETE_FILE)."""
    _replace_once(source / DELETE_FILE, DELETE_UPSTREAM, DELETE_PATCHED)


def patch_decoding_costs(source: Path) -> None:
    """Track iterators in debug builds only (TRACK_FILE); decode stored values without a
    decoder each (DECODE_FILES)."""
    for upstream, patched in zip(TRACK_UPSTREAM, TRACK_PATCHED, strict=True):
        _replace_once(source / TRACK_FILE, upstream, patched)
    for file, (name, kind, disallow) in DECODE_FILES.items():
        _replace_once(
            source / "internal/handler/sjson" / file, *_decode_snippets(name, kind, disallow)
        )


def cached_ferretdb_binary() -> Path | None:
    """Return an already built binary (preferred version first), if any."""
    for version in VERSIONS:
        path = _binary_path(version)
        if path.is_file() and os.access(path, os.X_OK):
            return path
    return None


def ensure_ferretdb_binary() -> Path:
    """Build FerretDB once into the cache (v1.24.2, falling back to v1.24.1); return its path."""
    cached = cached_ferretdb_binary()
    if cached is not None:
        return cached
    if shutil.which("go") is None:
        raise ProcessStartError(_GO_HINT)
    errors: list[str] = []
    for version in VERSIONS:
        try:
            return _build(version)
        except ProcessStartError as exc:
            errors.append(f"{version}: {exc}")
    raise ProcessStartError("could not build FerretDB:\n" + "\n".join(errors))


def _go_env() -> dict[str, str]:
    # -mod=mod lets the copied module resolve its own go.sum without a vendor dir;
    # FerretDB's SQLite driver is pure Go, so no C toolchain is needed.
    return {**os.environ, "GOFLAGS": "-mod=mod -buildvcs=false", "CGO_ENABLED": "0"}


def _run_go(args: list[str], cwd: Path, timeout: float) -> str:
    """Run a quick go command and return its stdout."""
    result = subprocess.run(
        ["go", *args],
        cwd=cwd,
        env=_go_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        output = (result.stdout + "\n" + result.stderr).strip()
        tail = "\n".join(output.splitlines()[-30:])
        raise ProcessStartError(f"go {' '.join(args[:2])} failed:\n{tail}")
    return result.stdout


def _build(version: str) -> Path:
    binary = _binary_path(version)
    binary.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(binary.parent) + ".lock"):
        if binary.is_file():
            return binary
        # Only the lock holder writes partial binaries, so any found now were left by a killed one.
        for stale in binary.parent.glob("ferretdb.partial-*"):
            stale.unlink(missing_ok=True)
        with temp_data_dir("ferretdbbuild") as work:
            info = json.loads(
                _run_go(["mod", "download", "-json", f"{MODULE}@{version}"], work, timeout=600)
            )
            source = work / "src"
            # The module cache is read-only; the build needs a writable copy for version.txt.
            shutil.copytree(info["Dir"], source, copy_function=shutil.copyfile)
            for root, _dirs, _files in os.walk(source):
                os.chmod(root, 0o700)
            # `go install ...@version` panics at start without this generated file.
            (source / "build" / "version" / "version.txt").write_text(version + "\n", "utf-8")
            patch_id_lookups(source)
            patch_read_before_write(source)
            patch_decoding_costs(source)
            patch_delete_by_id(source)
            staging = binary.with_name(f"ferretdb.partial-{os.getpid()}")
            try:
                run_checked(
                    "go build",
                    ["go", "build", "-trimpath", "-ldflags=-s -w", "-o", staging, "./cmd/ferretdb"],
                    log_path=work / "go-build.log",
                    env=_go_env(),
                    cwd=source,
                    timeout=1800,
                    # cmd/go passes an interrupt on to the compilers it runs.
                    stop_signal=signal.SIGINT,
                )
                os.replace(staging, binary)
            finally:
                staging.unlink(missing_ok=True)
    return binary


def mongo_ping(url: str, timeout_ms: int = 1000) -> bool:
    """Return whether a MongoDB-wire server at ``url`` answers ``ping``."""
    # Imported here: pymongo costs ~0.7 s and this module loads with every pytest run.
    from pymongo import MongoClient

    client: MongoClient[dict[str, object]] = MongoClient(
        url,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        directConnection=True,
    )
    try:
        client.admin.command("ping")
    except Exception:  # any failure just means "not ready yet"
        return False
    finally:
        client.close()
    return True


def ferretdb_env(
    go_runtime: Mapping[str, str] = GO_RUNTIME_ENV, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """FerretDB's environment: ``base`` (default: this process's) with ``go_runtime`` set.

    The GC settings of ``base`` are dropped first, so ``go_runtime={}`` is Go's defaults.
    """
    env = {
        k: v
        for k, v in (os.environ if base is None else base).items()
        if k not in ("GOGC", "GOMEMLIMIT")
    }
    return {**env, **go_runtime}


def sqlite_url(sqlite_dir: Path, pragmas: Sequence[str] = ()) -> str:
    """The ``--sqlite-url`` for a database directory, with ``pragmas`` (``name(value)``) added."""
    # WAL (FerretDB's default) with synchronous=NORMAL: a commit survives a crash of
    # any process and skips the fsync; only a power cut can lose the last commits.
    # Throwaway development and test data, like the PostgreSQL cluster's fsync=off.
    # The fsyncs come at checkpoints, run inside whichever commit crosses SQLite's
    # `wal_autocheckpoint` (1000 pages): with the passport index's page rewrites, 30-40
    # fsyncs a second during `bench/passports.py`'s creates (p50 0.5-0.9 ms, max 13-20
    # ms). `wal_autocheckpoint(10000)` cut them ~16x but not the create or raw-insert tail
    # (no slow create had a long fsync beside it), so SQLite's default stays.
    return "".join(
        [f"file:{sqlite_dir}/?_pragma=synchronous(normal)", *(f"&_pragma={p}" for p in pragmas)]
    )


def ferretdb_args(
    binary: Path, port: int, backend_args: list[str], state_dir: Path, debug_addr: str = "-"
) -> list[str | os.PathLike[str]]:
    """FerretDB's command line: listen on 127.0.0.1:``port``, no telemetry, warnings only."""
    return [
        binary,
        f"--listen-addr=127.0.0.1:{port}",
        *backend_args,
        f"--state-dir={state_dir}",
        "--telemetry=disable",
        f"--debug-addr={debug_addr}",
        "--log-level=warn",
    ]


@contextlib.contextmanager
def start_local_ferretdb(
    backend: Backend = "sqlite",
    timeout: float = START_TIMEOUT_S,
    binary: Path | None = None,
    go_runtime: Mapping[str, str] = GO_RUNTIME_ENV,
    sqlite_pragmas: Sequence[str] = (),
) -> Iterator[LocalFerretDB]:
    """Run FerretDB on a free 127.0.0.1 port with a fresh SQLite dir or PostgreSQL cluster.

    ``binary`` overrides the patched build, ``go_runtime`` the Go runtime's settings
    (GO_RUNTIME_ENV; ``{}`` is Go's defaults) and ``sqlite_pragmas`` adds SQLite pragmas
    (``name(value)``) to ``sqlite_url``'s: benchmarks compare them.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown FerretDB backend {backend!r}; expected one of {BACKENDS}")
    if binary is None:
        binary = ensure_ferretdb_binary()
    with contextlib.ExitStack() as stack:
        data_dir = stack.enter_context(temp_data_dir("ferretdb"))
        if backend == "sqlite":
            sqlite_dir = data_dir / "sqlite"
            sqlite_dir.mkdir()
            backend_args = [
                "--handler=sqlite",
                f"--sqlite-url={sqlite_url(sqlite_dir, sqlite_pragmas)}",
            ]
        else:
            postgres = stack.enter_context(start_local_postgres())
            backend_args = ["--handler=postgresql", f"--postgresql-url={postgres.url}"]
        port = free_port()
        log_path = data_dir / "ferretdb.log"
        proc = stack.enter_context(
            running(
                "ferretdb",
                ferretdb_args(binary, port, backend_args, data_dir),
                log_path=log_path,
                env=ferretdb_env(go_runtime),
                cwd=data_dir,
                stop_timeout=10.0,
            )
        )
        url = f"mongodb://127.0.0.1:{port}/"
        wait_until(proc, lambda: mongo_ping(url), timeout=timeout, what="ping answered")
        yield LocalFerretDB(
            mongodb_url=url,
            backend=backend,
            data_dir=data_dir,
            log_path=log_path,
            pid=proc.pid,
            backend_args=backend_args,
        )
