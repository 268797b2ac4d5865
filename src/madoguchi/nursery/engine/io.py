"""JSON in and out: reading inputs with clear errors, writing results byte-identically and atomically."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from madoguchi.nursery.engine.gcpause import paused_gc
from madoguchi.nursery.engine.model import InputError, Issue, Problem, parse_problem


def load_json(path: str | Path) -> Any:
    """Decode a JSON file; a missing or malformed file is an `InputError` saying where."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(
            [
                Issue(
                    str(path),
                    f"ファイルを読めません（{exc.strerror}）",
                    f"cannot read the file ({exc.strerror})",
                )
            ]
        ) from exc
    except UnicodeDecodeError as exc:
        raise InputError(
            [Issue(str(path), "ファイルが UTF-8 ではありません", "the file is not UTF-8")]
        ) from exc
    try:
        with paused_gc():
            return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            [
                Issue(
                    f"{path}:{exc.lineno}:{exc.colno}",
                    f"JSON として読めません（{exc.msg}）",
                    f"not valid JSON ({exc.msg})",
                )
            ]
        ) from exc


def read_problem(path: str | Path) -> Problem:
    return parse_problem(load_json(path))


def dumps(document: Any) -> str:
    """Canonical text of a document: sorted keys, UTF-8 characters kept, one line, newline at the end."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write through a temporary file in the same directory, so a reader never sees half a file."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
