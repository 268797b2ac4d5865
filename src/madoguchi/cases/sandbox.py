"""Render an untrusted upload in a separate process with CPU, memory and wall-time limits (pure: no Django).

`render_isolated` starts `madoguchi.cases.render_worker` in a fresh interpreter (`python -I`: the same Python
and the same madoguchi code as the caller, but nothing of its memory, environment, database connections or
secrets), sends it the limits and the file on stdin, and reads the safe copy from stdout. The worker limits itself before it reads a byte of the file:

- `RLIMIT_CPU`: seconds of CPU time; the kernel stops it with SIGXCPU (then SIGKILL) when they are used up;
- `RLIMIT_AS`: bytes of address space; an allocation beyond fails (PDFium gives up, Python raises MemoryError);
- `RLIMIT_FSIZE` 0 and `RLIMIT_CORE` 0: it writes no file and leaves no core dump;
- `nice` 10: web requests on the same machine get the CPU first.

The caller kills the worker's whole process group when the wall-clock limit passes (a process waiting on
nothing uses no CPU time, so the CPU limit alone would not end it). At most `concurrency` renderings run at
once on one machine: each holds an exclusive lock on one of that many slot files (`slot_dir`), across every
web and Celery worker process.

A file the worker refuses, or that uses up its CPU or memory, raises `rendering.RenderingError` (a final
answer: the same file would do the same again). A rendering that ran out of wall-clock time, could not get a
slot, or could not start raises `SandboxUnavailable`: try again later.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from madoguchi.cases import rendering
from madoguchi.cases.render_worker import READY

# The worker runs this code (not whatever `-m` would find): the caller's own copy of the package.
_CODE_DIR = str(Path(__file__).resolve().parents[2])
# numpy is blocked: pypdfium2 imports it when it can, for a converter the worker never uses (a third of
# the worker's start-up time).
WORKER_COMMAND = (
    "import sys; sys.path.insert(0, sys.argv[1]); sys.modules['numpy'] = None; "
    "from madoguchi.cases.render_worker import main; sys.exit(main())"
)
_STDERR_KEPT = 2000  # characters of the worker's stderr kept for the log


@dataclass(frozen=True)
class SandboxLimits:
    cpu_seconds: int = 30
    memory_bytes: int = 1024 * 1024 * 1024
    wall_seconds: float = 60.0
    concurrency: int = 1
    slot_dir: str = ""  # where the slot lock files live; "" for no machine-wide limit
    slot_wait_seconds: float = 600.0  # how long to wait for a free slot before giving up (try again later)


class SandboxUnavailable(Exception):
    """The rendering did not finish for reasons that are not the file's: try again later."""


@dataclass(frozen=True)
class Outcome:
    """How the worker process ended, for the log: seconds of wall time, its exit status, its stderr."""

    seconds: float
    returncode: int
    stderr: str


def render_isolated(
    data: bytes,
    content_type: str,
    *,
    limits: rendering.Limits | None = None,
    sandbox: SandboxLimits | None = None,
    outcome: list[Outcome] | None = None,
) -> rendering.RenderedFile:
    """`rendering.render_safe_copy` in a limited worker process. Appends how it ended to `outcome` if given."""
    limits = limits or rendering.Limits()
    sandbox = sandbox or SandboxLimits()
    request = {
        "content_type": content_type,
        "limits": asdict(limits),
        "cpu_seconds": sandbox.cpu_seconds,
        "memory_bytes": sandbox.memory_bytes,
    }
    with _slot(sandbox):
        started = time.monotonic()
        try:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
                [sys.executable, "-I", "-B", "-c", WORKER_COMMAND, _CODE_DIR],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group, killed as a whole
                env=_worker_environment(),
                cwd="/",
            )
        except OSError as exc:
            raise SandboxUnavailable(f"could not start the rendering process: {exc}") from exc
        try:
            stdout, stderr = process.communicate(
                json.dumps(request).encode("utf-8") + b"\n" + data, timeout=sandbox.wall_seconds
            )
        except subprocess.TimeoutExpired:
            _kill(process)
            stdout, stderr = process.communicate()
            _note(outcome, started, process.returncode, stderr)
            raise SandboxUnavailable(f"the rendering took longer than {sandbox.wall_seconds:g} s") from None
        except BaseException:
            _kill(process)
            process.communicate()
            raise
    _note(outcome, started, process.returncode, stderr)
    return _answer(process.returncode, stdout, stderr)


def _note(outcome: list[Outcome] | None, started: float, returncode: int, stderr: bytes) -> None:
    if outcome is not None:
        text = stderr.decode("utf-8", "replace")[-_STDERR_KEPT:]
        outcome.append(Outcome(time.monotonic() - started, returncode, text))


def _answer(returncode: int, stdout: bytes, stderr: bytes) -> rendering.RenderedFile:
    if not stdout.startswith(READY):
        # It died before it had read the file (a broken installation, a memory limit too small to start).
        tail = stderr.decode("utf-8", "replace").strip()[-500:]
        raise SandboxUnavailable(f"the rendering process did not start (exit {returncode}): {tail}")
    header, _, body = stdout[len(READY) :].partition(b"\n")
    try:
        answer = json.loads(header) if header else {}
    except ValueError:
        answer = {}
    if returncode == 0 and answer.get("ok") and len(body) == answer.get("length"):
        return rendering.RenderedFile(
            data=body, content_type=answer["content_type"], page_count=int(answer["page_count"])
        )
    if answer.get("ok") is False and answer.get("code"):
        raise rendering.RenderingError(answer["code"], answer.get("ja", ""), answer.get("en", ""))
    # Stopped by the CPU limit (SIGXCPU, or SIGKILL at the hard limit), out of memory (MemoryError, or
    # PDFium aborting on a failed allocation), or crashed on the file: the file asks for too much.
    raise rendering.too_complex()


def _kill(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _worker_environment() -> dict[str, str]:
    """A minimal environment: no secrets of the caller (database URL, keys) reach the worker."""
    keep = ("PATH", "LANG", "LC_ALL", "TZ", "FONTCONFIG_PATH", "FONTCONFIG_FILE", "HOME")
    environment = {name: os.environ[name] for name in keep if name in os.environ}
    environment.setdefault("LANG", "C.UTF-8")
    return environment


@contextlib.contextmanager
def _slot(sandbox: SandboxLimits) -> Iterator[None]:
    """Hold one of `concurrency` slot files exclusively (flock), waiting for one to come free."""
    if not sandbox.slot_dir or sandbox.concurrency <= 0:
        yield
        return
    directory = Path(sandbox.slot_dir)
    directory.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + sandbox.slot_wait_seconds
    while True:
        for number in range(sandbox.concurrency):
            handle = (directory / f"slot-{number}.lock").open("a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
            return
        if time.monotonic() > deadline:
            raise SandboxUnavailable(f"no rendering slot came free in {sandbox.slot_wait_seconds:g} s")
        time.sleep(0.2)
