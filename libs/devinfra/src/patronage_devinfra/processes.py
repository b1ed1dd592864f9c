"""Spawning and stopping child processes that never outlive their parent."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import ctypes.util
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

_PR_SET_PDEATHSIG = 1
_TEMP_PREFIX = "patronage-devinfra-"

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_prctl = _libc.prctl
_prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
_prctl.restype = ctypes.c_int


class ProcessStartError(RuntimeError):
    """A child process could not be started or did not become ready."""


def _pdeathsig_preexec(sig: int) -> Callable[[], None]:
    """Return a preexec_fn that makes the kernel send ``sig`` to the child when its parent dies."""
    parent = os.getpid()

    def preexec() -> None:
        _prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
        # The parent may already have died between fork and prctl.
        if os.getppid() != parent:
            os.kill(os.getpid(), sig)

    return preexec


@dataclass
class ManagedProcess:
    """A running child process with its log file and stop policy."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    stop_signal: int = signal.SIGTERM
    stop_timeout: float = 10.0
    _stopped: bool = field(default=False, repr=False)

    @property
    def pid(self) -> int:
        """Return the child's pid."""
        return self.popen.pid

    def alive(self) -> bool:
        """Return whether the child is still running."""
        return self.popen.poll() is None

    def stop(self) -> None:
        """Stop the child: its stop signal, then SIGKILL after the timeout; reap its group."""
        if self._stopped:
            return
        self._stopped = True
        try:
            if self.popen.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    self.popen.send_signal(self.stop_signal)
                try:
                    self.popen.wait(self.stop_timeout)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        self.popen.kill()
                    self.popen.wait(5)
        finally:
            # start_new_session made the child a group leader; its helpers (postgres backends)
            # share the group and must not linger after it.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            _registry.forget_process(self)


class _Registry:
    """Tracks live children and temp dirs so that exit paths can clean them up."""

    def __init__(self) -> None:
        # Re-entrant: the SIGTERM handler may interrupt the main thread while it holds the lock.
        self._lock = threading.RLock()
        self._processes: list[ManagedProcess] = []
        self._dirs: list[Path] = []
        self._atexit_installed = False
        self._sigterm_checked = False

    def add_process(self, proc: ManagedProcess) -> None:
        with self._lock:
            self._processes.append(proc)
        self.install_hooks()

    def forget_process(self, proc: ManagedProcess) -> None:
        with self._lock, contextlib.suppress(ValueError):
            self._processes.remove(proc)

    def add_dir(self, path: Path) -> None:
        with self._lock:
            self._dirs.append(path)
        self.install_hooks()

    def forget_dir(self, path: Path) -> None:
        with self._lock, contextlib.suppress(ValueError):
            self._dirs.remove(path)

    def cleanup(self) -> None:
        """Stop every tracked process (newest first) and remove every tracked dir."""
        with self._lock:
            processes = list(reversed(self._processes))
            dirs = list(reversed(self._dirs))
        for proc in processes:
            with contextlib.suppress(Exception):
                proc.stop()
        for path in dirs:
            shutil.rmtree(path, ignore_errors=True)
            self.forget_dir(path)

    def install_hooks(self) -> None:
        """Register the atexit cleanup and, from the main thread, the SIGTERM cleanup."""
        on_main = threading.current_thread() is threading.main_thread()
        with self._lock:
            register_atexit = not self._atexit_installed
            self._atexit_installed = True
            check_sigterm = on_main and not self._sigterm_checked
            self._sigterm_checked = self._sigterm_checked or on_main
        if register_atexit:
            atexit.register(self.cleanup)
        # Only replace the default action: a host program's own SIGTERM handler stays in charge.
        if check_sigterm and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, self._on_sigterm)

    def _on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        self.cleanup()
        # Die of SIGTERM as the default action would have, now that the children are gone.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)


_registry = _Registry()


def install_cleanup_hooks() -> None:
    """Make interpreter exit and (if unhandled) SIGTERM stop tracked children and remove dirs."""
    _registry.install_hooks()


def cleanup_all() -> None:
    """Stop every child process and remove every temp dir this module still tracks."""
    _registry.cleanup()


class _Spawner:
    """Runs Popen on one long-lived thread: PR_SET_PDEATHSIG fires when the forking thread ends."""

    def __init__(self) -> None:
        self._requests: queue.Queue[
            tuple[Callable[[], subprocess.Popen[bytes]], queue.Queue[object]]
        ] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run(self, factory: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
        if threading.current_thread() is threading.main_thread():
            return factory()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="patronage-spawner", daemon=True
                )
                self._thread.start()
        reply: queue.Queue[object] = queue.Queue(maxsize=1)
        self._requests.put((factory, reply))
        result = reply.get()
        if isinstance(result, BaseException):
            raise result
        assert isinstance(result, subprocess.Popen)
        return result

    def _loop(self) -> None:
        while True:
            factory, reply = self._requests.get()
            try:
                reply.put(factory())
            except BaseException as exc:  # handed back to the calling thread
                reply.put(exc)


_spawner = _Spawner()


def spawn(
    name: str,
    args: Sequence[str | os.PathLike[str]],
    *,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
    stop_signal: int = signal.SIGTERM,
    stop_timeout: float = 10.0,
) -> ManagedProcess:
    """Start a child in its own session, bound to die with this process, output to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)

    def factory() -> subprocess.Popen[bytes]:
        with log_path.open("ab") as log:
            return subprocess.Popen(
                [os.fspath(a) for a in args],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                cwd=cwd,
                user=user,
                group=user,
                extra_groups=[] if user is not None else None,
                start_new_session=True,
                # Runs after the uid switch, which would otherwise clear the death signal.
                preexec_fn=_pdeathsig_preexec(stop_signal),
            )

    try:
        popen = _spawner.run(factory)
    except FileNotFoundError as exc:
        raise ProcessStartError(f"{name}: executable not found: {args[0]}") from exc
    proc = ManagedProcess(
        name=name,
        popen=popen,
        log_path=log_path,
        stop_signal=stop_signal,
        stop_timeout=stop_timeout,
    )
    _registry.add_process(proc)
    return proc


@contextlib.contextmanager
def running(
    name: str,
    args: Sequence[str | os.PathLike[str]],
    *,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
    stop_signal: int = signal.SIGTERM,
    stop_timeout: float = 10.0,
) -> Iterator[ManagedProcess]:
    """Run a child for the duration of the block and stop it afterwards."""
    proc = spawn(
        name,
        args,
        log_path=log_path,
        env=env,
        cwd=cwd,
        user=user,
        stop_signal=stop_signal,
        stop_timeout=stop_timeout,
    )
    try:
        yield proc
    finally:
        proc.stop()


def run_checked(
    name: str,
    args: Sequence[str | os.PathLike[str]],
    *,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
    timeout: float = 120.0,
    stop_signal: int = signal.SIGTERM,
) -> None:
    """Run a short-lived child to completion; raise with its log tail if it fails."""
    with running(
        name, args, log_path=log_path, env=env, cwd=cwd, user=user, stop_signal=stop_signal
    ) as proc:
        try:
            code = proc.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            raise ProcessStartError(
                f"{name} did not finish within {timeout:.0f} s; log {log_path}:\n"
                f"{log_tail(log_path)}"
            ) from None
    if code != 0:
        raise ProcessStartError(
            f"{name} failed with exit code {code}; log {log_path}:\n{log_tail(log_path)}"
        )


def wait_until(
    proc: ManagedProcess,
    probe: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    interval: float = 0.2,
) -> None:
    """Poll ``probe`` until it returns True; fail early if ``proc`` exits, or after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        if not proc.alive():
            raise ProcessStartError(
                f"{proc.name} exited with code {proc.popen.returncode} before {what}; "
                f"log {proc.log_path}:\n{log_tail(proc.log_path)}"
            )
        if probe():
            return
        if time.monotonic() > deadline:
            raise ProcessStartError(
                f"{proc.name} did not reach '{what}' within {timeout:.0f} s; "
                f"log {proc.log_path}:\n{log_tail(proc.log_path)}"
            )
        time.sleep(interval)


def log_tail(path: Path, lines: int = 40) -> str:
    """Return the last lines of a log file, or a note if it cannot be read."""
    try:
        text = path.read_text("utf-8", errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


@contextlib.contextmanager
def temp_data_dir(kind: str) -> Iterator[Path]:
    """Create a fresh temp dir (named after this pid); remove it on exit or at interpreter exit."""
    _sweep_stale_dirs()
    path = Path(tempfile.mkdtemp(prefix=f"{_TEMP_PREFIX}{kind}-{os.getpid()}-"))
    _registry.add_dir(path)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        _registry.forget_dir(path)


def _sweep_stale_dirs() -> None:
    """Remove temp dirs left by owners that were SIGKILLed (their pid is in the name)."""
    root = Path(tempfile.gettempdir())
    for path in root.glob(f"{_TEMP_PREFIX}*-*-*"):
        # Name layout: patronage-devinfra-<kind>-<pid>-<random>.
        parts = path.name[len(_TEMP_PREFIX) :].split("-")
        if len(parts) != 3 or not parts[1].isdigit():
            continue
        pid = int(parts[1])
        if pid == os.getpid() or _pid_alive(pid):
            continue
        shutil.rmtree(path, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
