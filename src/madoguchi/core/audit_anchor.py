"""Anchors of the audit log outside the database: how long each chain was, and its newest hash, over time.

The hash chains (core.audit) show every edited, inserted or reordered row and every row missing before a
chain's head, but not a chain cut back from its end together with its head, nor a whole chain deleted with
its head: the database alone cannot say how long a chain used to be. `madoguchi audit anchor` (Celery beat
every `MADOGUCHI_AUDIT_ANCHOR_SECONDS`, or cron) appends one line per run to `MADOGUCHI_AUDIT_ANCHOR_FILE`:

    {"v": 1, "n": 42, "at": "2026-12-07T09:30:00+00:00", "heads": [[1, 1180, "<hash>"], …],
     "prev": "<mac of line 41>", "mac": "<HMAC-SHA256 of the rest with MADOGUCHI_AUDIT_KEY>"}

Each line names every chain head's (chain, seq, hash), is signed with the audit key and chained to the line
before it, so an edited, inserted, removed or reordered line is seen. `madoguchi audit verify` then checks
the log against every anchor: an anchored row must still exist with the anchored hash (a chain cut back, or
cut back and grown again, or rewritten with the key, differs), and an anchored chain must still exist.

The file is only as safe as its copies: someone who can write to it can cut its own end (nothing inside
the file can show that). Ship each line elsewhere as it is written — every line is also logged by the
logger "madoguchi.audit.anchor" (syslog, journald) — or copy the file to write-once storage, and verify
against that copy with `madoguchi audit verify --anchor-file COPY` (docs/security.md).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import hmac
import json
import logging
import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from madoguchi.core.models import AuditChainHead

logger = logging.getLogger("madoguchi.audit.anchor")

VERSION = 1
GENESIS = "0" * 64
_DOMAIN = b"madoguchi-audit-anchor\n"  # keeps an anchor's MAC apart from the rows' with the same key


def anchor_path() -> Path:
    return Path(settings.AUDIT_ANCHOR_FILE)


def _key() -> bytes:
    return str(settings.AUDIT_HMAC_KEY).encode()


def _mac(body: dict) -> str:
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hmac.new(_key(), _DOMAIN + canonical.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Anchor:
    """One chain head as it was at `at`: rows #1..#seq existed and row #seq had `hash`."""

    chain: int
    seq: int
    hash: str
    at: str
    line: int


@dataclass
class AnchorFile:
    """What `read` found: the anchors of every line whose signature holds, and the problems of the file."""

    path: Path
    exists: bool
    lines: int = 0
    newest_at: str = ""
    anchors: dict[int, dict[int, Anchor]] = field(default_factory=lambda: defaultdict(dict))
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Written:
    line: int
    chains: int
    path: Path
    went_back: list[str]  # chains whose head is behind the previous line's (reported, the line is written)


def _parse(raw: str) -> dict | None:
    try:
        record = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(record, dict) or set(record) != {"v", "n", "at", "heads", "prev", "mac"}:
        return None
    heads = record["heads"]
    if not isinstance(heads, list) or not all(
        isinstance(h, list)
        and len(h) == 3
        and isinstance(h[0], int)
        and isinstance(h[1], int)
        and isinstance(h[2], str)
        for h in heads
    ):
        return None
    if not (
        isinstance(record["n"], int) and isinstance(record["prev"], str) and isinstance(record["at"], str)
    ):
        return None
    return record


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, raw in enumerate(handle, start=1):
            if raw.strip():
                yield number, raw.strip()


def read(path: Path | None = None) -> AnchorFile:
    """Read and check an anchor file: every line signed and chained to the one before it."""
    path = anchor_path() if path is None else Path(path)
    result = AnchorFile(path=path, exists=path.exists())
    if not result.exists:
        return result
    previous_mac, expected_n = GENESIS, 1
    for number, raw in _lines(path):
        result.lines += 1
        where = f"anchor file line {number}"
        record = _parse(raw)
        if record is None:
            result.problems.append(f"{where}: cannot be read as an anchor (edited)")
            expected_n += 1
            continue
        body = {k: v for k, v in record.items() if k != "mac"}
        if not hmac.compare_digest(_mac(body), str(record["mac"])):
            result.problems.append(
                f"{where}: its signature does not match (edited, or signed with another MADOGUCHI_AUDIT_KEY)"
            )
            previous_mac, expected_n = str(record["mac"]), record["n"] + 1
            continue
        if record["n"] != expected_n or record["prev"] != previous_mac:
            result.problems.append(
                f"{where}: does not follow the line before it (anchor lines removed, inserted or reordered)"
            )
        previous_mac, expected_n = record["mac"], record["n"] + 1
        result.newest_at = record["at"]
        for chain, seq, digest in record["heads"]:
            if seq > 0:
                result.anchors[chain].setdefault(seq, Anchor(chain, seq, digest, record["at"], number))
    return result


def _last_record(handle) -> dict | None:
    handle.seek(0)
    last = None
    for raw in handle:
        if raw.strip():
            last = raw
    return _parse(last) if last else None


def write_anchor(path: Path | None = None) -> Written:
    """Append one signed line with every chain head to the anchor file (created if missing)."""
    path = anchor_path() if path is None else Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    heads = [[h.id, h.seq, h.hash] for h in AuditChainHead.objects.order_by("id")]
    at = timezone.now().astimezone(dt.UTC).isoformat(timespec="seconds")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o640)
    with os.fdopen(fd, "a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # one writer at a time: each line chains to the one before
        try:
            last = _last_record(handle)
            body = {
                "v": VERSION,
                "n": (last["n"] + 1) if last else 1,
                "at": at,
                "heads": heads,
                "prev": last["mac"] if last else GENESIS,
            }
            line = json.dumps({**body, "mac": _mac(body)}, ensure_ascii=False, separators=(",", ":"))
            handle.seek(0, os.SEEK_END)
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    logger.info("%s", line)
    went_back = []
    if last:
        now = {chain: seq for chain, seq, _ in heads}
        for chain, seq, _ in last["heads"]:
            if seq > now.get(chain, 0):
                went_back.append(
                    f"chain {chain}: head #{now.get(chain, 0)} is behind the previous anchor's #{seq}"
                )
    return Written(line=body["n"], chains=len(heads), path=path, went_back=went_back)
