"""Keyset pagination: a page is "the next 50 after this row", so no page ever runs COUNT(*) or OFFSET.

Cursors are short strings in the query string ("after" / "before"). A cursor that cannot be parsed
is ignored and the first page is shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None
    previous_cursor: str | None

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.previous_cursor)


def _paginate(
    ordered: QuerySet,
    reversed_: QuerySet,
    *,
    after: tuple | None,
    before: tuple | None,
    size: int,
    after_q: Callable[[tuple], Q],
    before_q: Callable[[tuple], Q],
    cursor_of: Callable[[Any], str],
) -> Page:
    if before is not None:
        rows = list(reversed_.filter(before_q(before))[: size + 1])
        has_more_before = len(rows) > size
        items = list(reversed(rows[:size]))
        return Page(
            items=items,
            next_cursor=cursor_of(items[-1]) if items else None,
            previous_cursor=cursor_of(items[0]) if items and has_more_before else None,
        )
    queryset = ordered.filter(after_q(after)) if after is not None else ordered
    rows = list(queryset[: size + 1])
    items = rows[:size]
    return Page(
        items=items,
        next_cursor=cursor_of(items[-1]) if len(rows) > size else None,
        previous_cursor=cursor_of(items[0]) if items and after is not None else None,
    )


# The queue: ordered by (due_date, id), cases without a due date last, on SQLite and PostgreSQL alike.
#
# One status at a time, each read as a few ranges of the (department, status, due_date, id) index, so that
# even page 1,000 costs a handful of index range scans instead of a sort of the whole department, or a scan
# from the top of the queue. The per-status pages are then merged.


def _queue_key(cursor: str | None) -> tuple[dt.date | None, int] | None:
    if not cursor or "_" not in cursor:
        return None
    day, _, pk = cursor.partition("_")
    try:
        return (dt.date.fromisoformat(day) if day else None, int(pk))
    except ValueError:
        return None


def _queue_cursor(case) -> str:
    return f"{case.due_date.isoformat() if case.due_date else ''}_{case.pk}"


def _queue_sort_key(case) -> tuple:
    return (case.due_date is None, case.due_date or dt.date.min, case.pk)


FORWARD_BY_DATE = ("due_date", "id")
BACKWARD_BY_DATE = ("-due_date", "-id")


def _forward_ranges(key: tuple | None) -> list[tuple[Q, tuple]]:
    """The index ranges after `key`, in queue order: each is (condition, ordering)."""
    if key is None:  # PostgreSQL keeps NULLs last in an ascending index, so this is one ordered range
        return [(Q(), (F("due_date").asc(nulls_last=True), "id"))]
    due, pk = key
    if due is None:
        return [(Q(due_date__isnull=True, id__gt=pk), ("id",))]
    return [
        (Q(due_date=due, id__gt=pk), ("id",)),
        (Q(due_date__gt=due), FORWARD_BY_DATE),
        (Q(due_date__isnull=True), ("id",)),
    ]


def _backward_ranges(key: tuple) -> list[tuple[Q, tuple]]:
    """The index ranges before `key`, in reverse queue order."""
    due, pk = key
    if due is None:
        return [
            (Q(due_date__isnull=True, id__lt=pk), ("-id",)),
            (Q(due_date__isnull=False), BACKWARD_BY_DATE),
        ]
    return [(Q(due_date=due, id__lt=pk), ("-id",)), (Q(due_date__lt=due), BACKWARD_BY_DATE)]


def _read_ranges(queryset: QuerySet, ranges: list[tuple[Q, tuple]], limit: int) -> list:
    rows: list = []
    for condition, ordering in ranges:
        rows.extend(queryset.filter(condition).order_by(*ordering)[: limit - len(rows)])
        if len(rows) >= limit:
            break
    return rows


def queue_page(querysets: list[QuerySet], *, after: str | None, before: str | None, size: int) -> Page:
    """A page of the queue made of one queryset per status (each already filtered and scoped)."""
    before_key = _queue_key(before)
    if before_key is not None:
        rows = [row for qs in querysets for row in _read_ranges(qs, _backward_ranges(before_key), size + 1)]
        rows.sort(key=_queue_sort_key, reverse=True)
        has_more_before = len(rows) > size
        items = sorted(rows[:size], key=_queue_sort_key)
        return Page(
            items=items,
            next_cursor=_queue_cursor(items[-1]) if items else None,
            previous_cursor=_queue_cursor(items[0]) if items and has_more_before else None,
        )
    after_key = _queue_key(after)
    rows = [row for qs in querysets for row in _read_ranges(qs, _forward_ranges(after_key), size + 1)]
    rows.sort(key=_queue_sort_key)
    items = rows[:size]
    return Page(
        items=items,
        next_cursor=_queue_cursor(items[-1]) if len(rows) > size else None,
        previous_cursor=_queue_cursor(items[0]) if items and after_key is not None else None,
    )


# The audit log: newest first, in the order the rows were written (their id). A row's `seq` counts within its
# chain only (core.audit), so it does not order the log.


def _id_key(cursor: str | None) -> tuple[int] | None:
    try:
        return (int(cursor),) if cursor else None
    except ValueError:
        return None


def audit_page(events: QuerySet, *, after: str | None, before: str | None, size: int) -> Page:
    return _paginate(
        events.order_by("-id"),
        events.order_by("id"),
        after=_id_key(after),
        before=_id_key(before),
        size=size,
        after_q=lambda key: Q(id__lt=key[0]),
        before_q=lambda key: Q(id__gt=key[0]),
        cursor_of=lambda event: str(event.pk),
    )
