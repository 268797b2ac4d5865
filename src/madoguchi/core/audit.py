"""Append-only, hash-chained audit log of every look at personal data (DESIGN.md §6)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from madoguchi.core.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64


def _row_digest(prev_hash: str, row: dict) -> str:
    canonical = json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    key = settings.AUDIT_HMAC_KEY.encode()
    return hmac.new(key, (prev_hash + canonical).encode(), hashlib.sha256).hexdigest()


def _row_content(event: AuditEvent) -> dict:
    return {
        "seq": event.seq,
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


def client_ip_of(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


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
) -> AuditEvent:
    """Append one audit row, chained to the previous one. Call inside the request that reads the data."""
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        event = AuditEvent(
            seq=head.seq + 1,
            created_at=timezone.now(),
            actor_id=getattr(actor, "pk", None),
            actor_label=str(getattr(actor, "email", "") or actor or "system"),
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            person_id=person_id,
            fields=sorted(fields),
            purpose=purpose,
            channel=channel,
            client_ip=client_ip,
            prev_hash=head.hash,
        )
        event.hash = _row_digest(head.hash, _row_content(event))
        event.save()
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    reason: str


def verify_chain(batch_size: int = 5000) -> Iterator[ChainProblem]:
    """Recompute the chain; yield every row that was edited, deleted, inserted or reordered."""
    prev_hash = GENESIS
    expected_seq = 1
    last_seq = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size):
        if event.seq != expected_seq:
            if event.seq > expected_seq:
                yield ChainProblem(
                    expected_seq, f"rows #{expected_seq}–#{event.seq - 1} are missing (deleted)"
                )
            else:
                yield ChainProblem(event.seq, f"out of order (it comes after #{expected_seq - 1})")
        if event.prev_hash != prev_hash:
            yield ChainProblem(event.seq, "does not follow the previous row (chain broken)")
        if _row_digest(event.prev_hash, _row_content(event)) != event.hash:
            yield ChainProblem(event.seq, "edited (its content does not match its hash)")
        prev_hash = event.hash
        expected_seq = event.seq + 1
        last_seq = event.seq
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and head.seq != last_seq:
        yield ChainProblem(last_seq + 1, f"rows after #{last_seq} up to #{head.seq} are missing (deleted)")
    elif head is not None and head.hash != prev_hash:
        yield ChainProblem(last_seq, "does not match the chain head")
