"""The rendering process: `python -m madoguchi.cases.render_worker`, started by `cases.sandbox` (pure).

Reads one JSON line (content type, rendering limits, CPU seconds, address-space bytes) from stdin, limits
itself, writes the line `READY` (so the caller can tell a process that never started from one the file
stopped), then reads the file from stdin and writes one JSON line and the safe copy to stdout:
`{"ok": true, "content_type", "page_count", "length"}` + bytes, or `{"ok": false, "code", "ja", "en"}` when
the file is refused. Exit status 0 either way; anything else after READY (a signal, MemoryError) means the
file asked for more than the limits allow.
"""

from __future__ import annotations

import json
import os
import resource
import sys

from madoguchi.cases import rendering

READY = b"READY\n"


def limit_self(*, cpu_seconds: int, memory_bytes: int) -> None:
    """CPU seconds (SIGXCPU at the soft limit, SIGKILL a second later), address space, no files, no core."""
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.nice(10)


def main() -> int:
    stdin = sys.stdin.buffer
    request = json.loads(stdin.readline())
    limit_self(cpu_seconds=int(request["cpu_seconds"]), memory_bytes=int(request["memory_bytes"]))
    out = sys.stdout.buffer
    out.write(READY)
    out.flush()
    data = stdin.read()
    limits = rendering.Limits(**request["limits"])
    try:
        rendered = rendering.render_safe_copy(data, request["content_type"], limits)
    except rendering.RenderingError as exc:
        out.write(
            json.dumps({"ok": False, "code": exc.code, "ja": exc.ja, "en": exc.en}).encode("utf-8") + b"\n"
        )
        return 0
    header = {
        "ok": True,
        "content_type": rendered.content_type,
        "page_count": rendered.page_count,
        "length": len(rendered.data),
    }
    out.write(json.dumps(header).encode("utf-8") + b"\n")
    out.write(rendered.data)
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
