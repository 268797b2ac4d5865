"""The FAQ search index of this process, built from the current versions in the database.

Building takes 2–5 s for the demo FAQ (Sudachi analysis and, with the dense retriever, ~570 sentence vectors), so each process keeps the index it built. Every write to the knowledge
base stores a new random token in FaqRevision (services.touch_revision); a process whose index was built
under another token reloads the entries. When their content is one it has indexed before (same text after a
rolled-back test transaction, or an edit that was undone), the index is reused instead of rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass

from django.conf import settings

from madoguchi.faq.engine import FaqEntry as EngineEntry
from madoguchi.faq.engine import FaqIndex
from madoguchi.faq.models import FaqRevision
from madoguchi.faq.selectors import engine_entries

KEEP_INDEXES = 4  # distinct contents kept per process (the newest)

# bm25s sets its own logger to DEBUG on import, so every build would print "Building index from tokens" through
# the project's console handler (and into `madoguchi faq ask` output on stderr). Its warnings still show.
logging.getLogger("bm25s").setLevel(logging.WARNING)


@dataclass
class _State:
    token: str | None = None
    index: FaqIndex | None = None


_lock = threading.Lock()
_state = _State()
_by_content: OrderedDict[str, FaqIndex] = OrderedDict()


def current_token() -> str:
    return FaqRevision.objects.filter(pk=1).values_list("token", flat=True).first() or ""


def content_key(entries: list[EngineEntry]) -> str:
    digest = hashlib.sha256()
    for entry in sorted(entries, key=lambda e: (e.id, e.lang)):
        row = [entry.id, entry.lang, entry.category, entry.question, entry.answer, entry.procedure]
        row += [list(entry.keywords), entry.easy_answer]
        digest.update(json.dumps(row, ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def current_index() -> FaqIndex:
    """The index of the active entries' current versions; rebuilt only when the knowledge base changed."""
    token = current_token()  # read before the entries: a write in between only causes one more reload
    with _lock:
        if _state.index is not None and _state.token == token:
            return _state.index
        entries = engine_entries()
        key = content_key(entries)
        index = _by_content.get(key)
        if index is None:
            # The encoder is loaded once per process (encoders.registry); the vectors of unchanged
            # texts come from the engine's per-process cache, so a rebuild encodes only edits.
            index = FaqIndex.build(entries, encoder=getattr(settings, "FAQ_ENCODER", None))
            _by_content[key] = index
            while len(_by_content) > KEEP_INDEXES:
                _by_content.popitem(last=False)
        else:
            _by_content.move_to_end(key)
        _state.token, _state.index = token, index
        return index


def forget() -> None:
    """Drop this process's indexes (tests that must see a rebuild)."""
    with _lock:
        _state.token, _state.index = None, None
        _by_content.clear()
