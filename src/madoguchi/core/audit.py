"""Append-only, hash-chained audit log of every look at personal data (docs/architecture.md, "Personal data and security").

The log is a fixed pool of parallel chains (`MADOGUCHI_AUDIT_CHAINS`, default 8), so that concurrent
writers do not queue behind one lock. An append locks one chain head, inserts the row chained to that
head and moves the head on, in one short transaction. On PostgreSQL a writer takes any head that no other
transaction holds (`FOR UPDATE SKIP LOCKED`), preferring the chain derived from its process and thread, so
it usually re-uses its own; it waits only when every head is taken. A writer that remembers the head it
last committed on its preferred chain appends in one statement, which moves the head only if it is still
that one; otherwise it locks a head as above, preferring the next chain from then on (so that two writers
that prefer the same chain stop taking turns on it). SQLite serialises writes anyway and cannot skip
locked rows: there the log is one chain. docs/security.md ("The audit log") explains the transaction
choices; `verify_chain` checks every chain and every head.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import threading
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router, transaction
from django.utils import timezone

from madoguchi.core.models import AuditChainHead, AuditEvent

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
MAX_CHAINS = 256

# The hashed content of a row besides `seq`, in the order of the INSERT's columns.
CONTENT_FIELDS = (
    "created_at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "person_id",
    "fields",
    "purpose",
    "channel",
    "client_ip",
)


class AuditLogUnavailable(RuntimeError):
    """No chain head can be locked: the heads were deleted while their rows remain (tampering)."""


def _canonical_without_seq(content: dict) -> str:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _canonical(without_seq: str, seq: int) -> str:
    """The row's canonical JSON: "seq" sorts after every other key, so it is appended to the prepared rest."""
    return f'{without_seq[:-1]},"seq":{seq}}}'


def _row_digest(prev_hash: str, canonical: str, key: bytes | None = None) -> str:
    key = settings.AUDIT_HMAC_KEY.encode() if key is None else key
    return hmac.new(key, (prev_hash + canonical).encode(), hashlib.sha256).hexdigest()


def _content_of(event: AuditEvent) -> dict:
    """What a row's hash covers besides `seq` and `prev_hash`. Its `chain` is not covered (rows written
    before chains keep their hashes): a row moved to another chain breaks the links of both chains."""
    return {
        "created_at": event.created_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": str(event.object_id),
        "person_id": event.person_id,
        "fields": list(event.fields),
        "purpose": event.purpose,
        "channel": event.channel,
        "client_ip": event.client_ip,
    }


# One look, one row: within one page view (`one_look_per_request`, opened by core.middleware for every
# request), a read of the same data by the same person for the same purpose is written once, however many
# parts of the page ask for it (a counter visit page reads its person for the header, the forms and the
# printed basics). A later read that shows more data items than the first is written again.
_looks: ContextVar[dict | None] = ContextVar("madoguchi_audit_looks", default=None)


@contextmanager
def one_look_per_request():
    token = _looks.set({})
    try:
        yield
    finally:
        _looks.reset(token)


def _already_recorded(key: tuple, fields: frozenset) -> bool:
    looks = _looks.get()
    if looks is None:
        return False
    seen = looks.get(key)
    if seen is not None and fields <= seen:
        return True
    looks[key] = fields | (seen or frozenset())
    return False


def _look_of(actor, action, object_type, object_id, person_id, purpose, channel) -> tuple:
    return (
        getattr(actor, "pk", None) or str(actor),
        action,
        object_type,
        str(object_id),
        person_id,
        purpose,
        channel,
    )


def client_ip_of(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


# One look, one row, across the requests of one page: the images a page embeds (the intake's field crops and
# page images) are requests of their own. The page records the look, listing every data item it shows, and
# puts a *look token* into the URL of each image (`look_token`, `url_with_look_token`): signed with the
# secret key (django.core.signing, timestamped), valid for LOOK_TOKEN_MAX_AGE, bound to the very look the
# image's own request records (staff member, action, object, person, purpose, channel and the items the image
# shows), and made only for a look this request has recorded. The image's request hands the token to
# `record_access` (`look_token_of`), which then writes nothing. Without a token, or with one that is altered,
# expired, or made for another look (another staff member, another object or person, an item the page did not
# show), the image's look is written as a row of its own. A token never grants access: the image's view checks
# who may see what exactly as it does without one.
LOOK_TOKEN_SALT = "madoguchi.core.audit.look"  # noqa: S105 - a signing salt (namespace), not a secret
LOOK_TOKEN_MAX_AGE = 300  # seconds; an image fetched later (a lazy one scrolled to after this) writes its row
LOOK_TOKEN_PARAMETER = "look"  # noqa: S105 - the query parameter of an embedded image's URL


def _look_digest(look: tuple, fields: frozenset) -> str:
    """What a token is bound to: the look and its data items, hashed (short URLs; no name or purpose in them)."""
    canonical = json.dumps([*look, sorted(fields)], ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def look_token(
    *,
    actor,
    action: str,
    object_type: str,
    object_id: str | int,
    person_id: int | None = None,
    fields: Iterable[str] = (),
    purpose: str,
    channel: str = "screen",
) -> str:
    """The token for the URL of an image that shows `fields` of this look, embedded in a page whose request has
    recorded the look (`record_access` with at least these fields). Passed back to `record_access` by the
    image's request within LOOK_TOKEN_MAX_AGE, it stands for the row the page wrote. "" when this request has
    not recorded the look: the image's request then writes a row of its own."""
    fields = frozenset(fields)
    look = _look_of(actor, action, object_type, object_id, person_id, purpose, channel)
    seen = (_looks.get() or {}).get(look)
    if seen is None or not fields <= seen:
        return ""
    return signing.TimestampSigner(salt=LOOK_TOKEN_SALT).sign(_look_digest(look, fields))


def _token_covers(token: str, look: tuple, fields: frozenset) -> bool:
    try:
        digest = signing.TimestampSigner(salt=LOOK_TOKEN_SALT).unsign(token, max_age=LOOK_TOKEN_MAX_AGE)
    except (signing.BadSignature, ValueError):  # altered, or expired (SignatureExpired)
        return False
    return hmac.compare_digest(digest, _look_digest(look, fields))


def url_with_look_token(url: str, token: str) -> str:
    """`url` (of a view without a query string) with the look token, or as it is without one."""
    return f"{url}?{urlencode({LOOK_TOKEN_PARAMETER: token})}" if token else url


def look_token_of(request) -> str:
    """The look token an embedded image's request came with ("" for none)."""
    return request.GET.get(LOOK_TOKEN_PARAMETER, "")[:200]


# --------------------------------------------------------------------------------------------------------
# Chains and heads


def chain_count(using: str | None = None) -> int:
    """How many chains appends spread over: `MADOGUCHI_AUDIT_CHAINS`, or 1 where the database cannot skip
    locked rows (SQLite, whose writes are serialised anyway)."""
    count = settings.AUDIT_CHAINS
    if not isinstance(count, int) or not 1 <= count <= MAX_CHAINS:
        raise ImproperlyConfigured(
            f"MADOGUCHI_AUDIT_CHAINS は 1 から {MAX_CHAINS} までの整数にしてください（現在: {count!r}）。 / "
            f"MADOGUCHI_AUDIT_CHAINS must be a whole number from 1 to {MAX_CHAINS} (it is {count!r})."
        )
    connection = connections[using or router.db_for_write(AuditEvent)]
    return count if connection.features.has_select_for_update_skip_locked else 1


def _writer_chain(count: int) -> int:
    """The chain this process and thread prefer, so that a writer usually appends to the same head."""
    return zlib.crc32(f"{os.getpid()}:{threading.get_ident()}".encode()) % count + 1


_heads_ready: set[tuple[str, int]] = set()


def _ensure_chain_heads(using: str, count: int) -> None:
    """Create the missing heads of chains 1..count (race-safe: concurrent creators ignore each other).

    A chain that has rows but no head keeps it that way: its head was deleted, which `verify` reports;
    writers then use the other chains.
    """
    existing = set(AuditChainHead.objects.using(using).filter(id__lte=count).values_list("id", flat=True))
    missing = set(range(1, count + 1)) - existing
    if missing:
        headless = set(
            AuditEvent.objects.using(using)
            .filter(chain__in=missing)
            .values_list("chain", flat=True)
            .distinct()
        )
        AuditChainHead.objects.using(using).bulk_create(
            [AuditChainHead(id=chain) for chain in sorted(missing - headless)], ignore_conflicts=True
        )
        if headless:
            logger.error(
                "audit chains %s have rows but no head; run `madoguchi audit verify`", sorted(headless)
            )
    _heads_ready.add((using, count))


# The statements of an append, built once from the model tables (fixed names, no user input).
_HEADS, _EVENTS = AuditChainHead._meta.db_table, AuditEvent._meta.db_table
_ROW_COLUMNS = ("chain", "seq", *CONTENT_FIELDS, "prev_hash", "hash")
_NAMED_MARKS = ", ".join(f"%({name})s" for name in _ROW_COLUMNS)
_INSERT = "INSERT INTO {events} ({columns}) VALUES ({marks})".format(  # noqa: S608 - model table
    events=_EVENTS, columns=", ".join(_ROW_COLUMNS), marks=", ".join(["%s"] * len(_ROW_COLUMNS))
)
# The preferred head first, then the next ones round the pool (so that writers displaced from their own
# head spread out); PostgreSQL locks the one it returns until the commit.
_PICK_HEAD = f"SELECT id, seq, hash FROM {_HEADS} WHERE id BETWEEN 1 AND %s ORDER BY id < %s, id LIMIT 1"  # noqa: S608
_ADVANCE_HEAD = f"UPDATE {_HEADS} SET seq = %s, hash = %s WHERE id = %s"  # noqa: S608 - model table
_INSERT_AND_ADVANCE = (  # PostgreSQL: one round trip while the head is locked
    f"WITH new_row AS ({_INSERT} RETURNING id) "  # noqa: S608 - model tables
    f"UPDATE {_HEADS} SET seq = %s, hash = %s FROM new_row WHERE {_HEADS}.id = %s RETURNING new_row.id"
)


# One statement that appends to a chain whose head this thread remembers (PostgreSQL). Outside a
# transaction it is a transaction of its own; inside a caller's it joins it like the locked path. The head
# moves only if no other transaction holds it and it is still the remembered one: a held head is skipped,
# not waited for (a caller's long transaction must not stall other writers, and two transactions must not
# deadlock on each other's heads); a head moved since the statement began is re-checked on its newest
# version (READ COMMITTED) and no longer matches. The row is inserted only if the head moved.
_APPEND_IF_HEAD_UNCHANGED = (
    f"WITH moved AS (UPDATE {_HEADS} SET seq = %(seq)s, hash = %(hash)s WHERE id = ("  # noqa: S608 - model tables
    f"SELECT id FROM {_HEADS} WHERE id = %(chain)s AND seq = %(head_seq)s AND hash = %(prev_hash)s "
    "FOR UPDATE SKIP LOCKED) RETURNING id) "
    f"INSERT INTO {_EVENTS} ({', '.join(_ROW_COLUMNS)}) SELECT {_NAMED_MARKS} FROM moved RETURNING id"
)


class _KnownHeads(threading.local):
    """Per thread: the (seq, hash) each chain's head had after this thread's last committed append to it,
    keyed by (database alias, chain) — only a hint: the append that uses it re-checks it in its WHERE —
    and how many chains on from the one derived from the process and thread the writer now prefers."""

    def __init__(self) -> None:
        self.heads: dict[tuple[str, int], tuple[int, str]] = {}
        self.moved_on = 0

    def forget(self) -> None:
        """Start again as a new thread would."""
        self.heads.clear()
        self.moved_on = 0


_known_heads = _KnownHeads()


def _preferred_chain(count: int) -> int:
    """`_writer_chain`, moved on by one for each remembered head this thread found moved or held."""
    return (_writer_chain(count) - 1 + _known_heads.moved_on) % count + 1


def _remember_head(connection, key: tuple[str, int], seq: int, digest: str) -> None:
    """Remember a head once it is committed: after a caller's transaction commits, never if it rolls back."""
    if connection.in_atomic_block:
        connection.on_commit(partial(_known_heads.heads.__setitem__, key, (seq, digest)))
    elif connection.get_autocommit():
        _known_heads.heads[key] = (seq, digest)


def _lock_head(cursor, *, skip_locked: bool, count: int, preferred: int) -> tuple[int, int, str] | None:
    """Lock and read one head: (chain, seq, hash), or None when chains 1..count have no head at all."""
    if not skip_locked:  # SQLite: the transaction already holds the database's write lock
        cursor.execute(_PICK_HEAD, [count, preferred])
        return cursor.fetchone()
    cursor.execute(f"{_PICK_HEAD} FOR UPDATE SKIP LOCKED", [count, preferred])  # pass over heads others hold
    row = cursor.fetchone()
    if row is None:  # every head is taken (or none exists): wait for the preferred one
        cursor.execute(f"{_PICK_HEAD} FOR UPDATE", [count, preferred])
        row = cursor.fetchone()
    return row


def _insert_and_advance(
    cursor, *, vendor: str, chain: int, seq: int, prev_hash: str, digest: str, params: list
) -> int:
    """Insert the row and move its chain's head on; return the row's id."""
    values = [chain, seq, *params, prev_hash, digest]
    if vendor == "postgresql":
        cursor.execute(_INSERT_AND_ADVANCE, [*values, seq, digest, chain])
        return cursor.fetchone()[0]
    cursor.execute(_INSERT, values)
    event_id = cursor.lastrowid
    cursor.execute(_ADVANCE_HEAD, [seq, digest, chain])
    return event_id


# --------------------------------------------------------------------------------------------------------
# Writing


def record_access(
    *,
    actor,
    action: str,
    object_type: str,
    object_id: str | int,
    person_id: int | None = None,
    fields: Iterable[str] = (),
    purpose: str,
    channel: str = "screen",
    client_ip: str | None = None,
    look_token: str = "",
) -> AuditEvent | None:
    """Append one audit row, chained to the head of a free chain. Call inside the request that reads the data.

    Within one request, the same look again (same actor, action, object, person, purpose and channel, no new
    data items) writes nothing and returns None: one page view, one row per thing looked at. So does the
    request of an image embedded in a page that recorded this look, with the page's valid `look_token` for it.

    Outside a transaction the row is committed before this returns, so data is never shown without its
    row. Inside a caller's transaction (a change and its audit row) it joins that transaction without a
    savepoint: the change cannot commit without its row, and the head stays locked until that commit.
    """
    fields = frozenset(fields)
    look = _look_of(actor, action, object_type, object_id, person_id, purpose, channel)
    if look_token and _token_covers(look_token, look, fields):
        _already_recorded(look, fields)  # this request has seen it too
        return None  # an image of a page whose request wrote the row of this look
    if _already_recorded(look, fields):
        return None  # the same look of this page view has its row already
    using = router.db_for_write(AuditEvent)
    connection = connections[using]
    meta = AuditEvent._meta
    raw = {
        "created_at": timezone.now().astimezone(dt.UTC),
        "actor_id": getattr(actor, "pk", None),
        "actor_label": str(getattr(actor, "email", "") or actor or "system"),
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "person_id": person_id,
        "fields": sorted(fields),
        "purpose": purpose,
        "channel": channel,
        "client_ip": client_ip or None,
    }
    # Everything but the chain position is prepared before the head is locked.
    values = {name: meta.get_field(name).get_prep_value(value) for name, value in raw.items()}
    params = [
        meta.get_field(name).get_db_prep_value(values[name], connection, prepared=True)
        for name in CONTENT_FIELDS
    ]
    without_seq = _canonical_without_seq(
        {**values, "created_at": values["created_at"].isoformat(), "fields": list(values["fields"])}
    )
    key = settings.AUDIT_HMAC_KEY.encode()
    count = chain_count(using)
    preferred = _preferred_chain(count)
    if (using, count) not in _heads_ready:
        _ensure_chain_heads(using, count)

    # Forgotten until the append that uses it commits: a failed, lost or rolled-back append leaves no hint.
    known = _known_heads.heads.pop((using, preferred), None) if connection.vendor == "postgresql" else None
    if known is not None:
        head_seq, prev_hash = known
        seq = head_seq + 1
        digest = _row_digest(prev_hash, _canonical(without_seq, seq), key)
        with connection.cursor() as cursor:
            cursor.execute(
                _APPEND_IF_HEAD_UNCHANGED,
                {
                    **dict(zip(CONTENT_FIELDS, params, strict=True)),
                    "chain": preferred,
                    "seq": seq,
                    "head_seq": head_seq,
                    "prev_hash": prev_hash,
                    "hash": digest,
                },
            )
            row = cursor.fetchone()
        if row is not None:
            _remember_head(connection, (using, preferred), seq, digest)
            return _event(using, row[0], preferred, seq, prev_hash, digest, values)
        # The head moved on (another writer), is held by another transaction, or is gone: lock a head,
        # preferring the next chain from now on, so that two writers sharing a chain part ways.
        _known_heads.moved_on += 1
        preferred = _preferred_chain(count)

    skip_locked = connection.features.has_select_for_update_skip_locked
    with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
        head = _lock_head(cursor, skip_locked=skip_locked, count=count, preferred=preferred)
        if head is None:  # the heads went away since this process created them (a restored or reset table)
            _ensure_chain_heads(using, count)
            head = _lock_head(cursor, skip_locked=skip_locked, count=count, preferred=preferred)
        if head is None:
            raise AuditLogUnavailable(
                "監査ログに書き込めません。チェーンの先頭行（core_auditchainhead）がありません。"
                "`madoguchi audit verify` で確認し、バックアップから監査ログを復元してください。 / "
                "Cannot write the audit log: its chain heads (core_auditchainhead) are missing. "
                "Run `madoguchi audit verify` and restore the audit log from a backup."
            )
        chain, head_seq, prev_hash = head
        seq = head_seq + 1
        digest = _row_digest(prev_hash, _canonical(without_seq, seq), key)
        event_id = _insert_and_advance(
            cursor,
            vendor=connection.vendor,
            chain=chain,
            seq=seq,
            prev_hash=prev_hash,
            digest=digest,
            params=params,
        )
    _remember_head(connection, (using, chain), seq, digest)
    return _event(using, event_id, chain, seq, prev_hash, digest, values)


def _event(
    using: str, event_id: int, chain: int, seq: int, prev_hash: str, digest: str, values: dict
) -> AuditEvent:
    """The appended row as a saved model instance, without reading it back."""
    event = AuditEvent(id=event_id, chain=chain, seq=seq, prev_hash=prev_hash, hash=digest, **values)
    event._state.adding, event._state.db = False, using
    return event


# --------------------------------------------------------------------------------------------------------
# Verifying


@dataclass(frozen=True)
class ChainProblem:
    chain: int
    seq: int | None  # None: a problem of the chain as a whole (its head)
    reason: str

    def __str__(self) -> str:
        where = f"chain {self.chain}" if self.seq is None else f"chain {self.chain} row #{self.seq}"
        return f"{where}: {self.reason}"


@dataclass
class _ChainState:
    prev_hash: str = GENESIS
    expected_seq: int = 1
    last_seq: int = 0


def _span(first: int, last: int) -> str:
    return f"row #{first} is" if first == last else f"rows #{first}–#{last} are"


def verify_chain(batch_size: int = 5000, anchors: Mapping | None = None) -> Iterator[ChainProblem]:
    """Recompute every chain; yield each edited, deleted, inserted or reordered row, chain by chain.

    One pass over the table in insertion order (a chain's rows are inserted in `seq` order, each after
    the previous one committed), then each chain's end is compared with its head. With `anchors` (chain →
    seq → core.audit_anchor.Anchor, from the anchor file outside the database) every anchored row must
    still be there with its anchored hash, which shows a chain cut back with its head, or deleted whole.
    """
    anchors = anchors or {}
    states: dict[int, _ChainState] = {}
    problems: dict[int, list[ChainProblem]] = defaultdict(list)
    key = settings.AUDIT_HMAC_KEY.encode()
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size):
        state = states.setdefault(event.chain, _ChainState())
        found = problems[event.chain]
        if event.seq > state.expected_seq:
            found.append(
                ChainProblem(
                    event.chain,
                    state.expected_seq,
                    f"{_span(state.expected_seq, event.seq - 1)} missing (deleted)",
                )
            )
        elif event.seq < state.expected_seq:
            found.append(
                ChainProblem(
                    event.chain, event.seq, f"out of order (it comes after #{state.expected_seq - 1})"
                )
            )
        if event.prev_hash != state.prev_hash:
            found.append(
                ChainProblem(event.chain, event.seq, "does not follow the previous row (chain broken)")
            )
        canonical = _canonical(_canonical_without_seq(_content_of(event)), event.seq)
        if _row_digest(event.prev_hash, canonical, key) != event.hash:
            found.append(ChainProblem(event.chain, event.seq, "edited (its content does not match its hash)"))
        anchored = anchors.get(event.chain, {}).get(event.seq)
        if anchored is not None and anchored.hash != event.hash:
            found.append(
                ChainProblem(
                    event.chain,
                    event.seq,
                    f"differs from its anchor of {anchored.at} (rewritten, or the chain cut back and written "
                    "again, after it was anchored)",
                )
            )
        state.prev_hash, state.expected_seq, state.last_seq = event.hash, event.seq + 1, event.seq
    heads = {head.id: head for head in AuditChainHead.objects.all()}
    expected = range(1, chain_count() + 1) if heads or states else range(0)
    for chain in sorted(set(states) | set(heads) | set(expected) | set(anchors)):
        yield from problems.get(chain, [])
        yield from _head_problems(chain, states.get(chain), heads.get(chain))
        yield from _anchor_problems(chain, states.get(chain), anchors.get(chain) or {})


def _anchor_problems(chain: int, state: _ChainState | None, anchored: Mapping) -> Iterator[ChainProblem]:
    """The chain ends before its newest anchor: rows that existed when it was anchored are gone."""
    if not anchored:
        return
    newest = anchored[max(anchored)]
    last_seq = state.last_seq if state else 0
    if last_seq >= newest.seq:
        return
    if state is None:
        yield ChainProblem(
            chain,
            None,
            f"anchored with rows up to #{newest.seq} at {newest.at}, but it has no rows now (the whole chain "
            "was deleted)",
        )
        return
    yield ChainProblem(
        chain,
        last_seq + 1,
        f"{_span(last_seq + 1, newest.seq)} missing: anchored at {newest.at}, the chain now ends at "
        f"#{last_seq} (cut back from its end)",
    )


def _head_problems(
    chain: int, state: _ChainState | None, head: AuditChainHead | None
) -> Iterator[ChainProblem]:
    if head is None:
        if state is not None:
            yield ChainProblem(
                chain, None, f"its head is missing while rows up to #{state.last_seq} exist (deleted)"
            )
        else:
            yield ChainProblem(
                chain,
                None,
                "its head is missing (the whole chain was deleted, or MADOGUCHI_AUDIT_CHAINS was raised "
                "and no audit row has been written since)",
            )
        return
    last_seq, last_hash = (state.last_seq, state.prev_hash) if state else (0, GENESIS)
    if head.seq > last_seq:
        yield ChainProblem(chain, last_seq + 1, f"{_span(last_seq + 1, head.seq)} missing (deleted)")
    elif head.seq < last_seq:
        yield ChainProblem(
            chain,
            head.seq + 1,
            f"{_span(head.seq + 1, last_seq)} beyond the chain head (inserted, or the head edited)",
        )
    elif head.hash != last_hash:
        yield ChainProblem(chain, last_seq or None, "does not match the chain head")
