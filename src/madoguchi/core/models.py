"""Cross-cutting tables: the hash-chained audit log and the transactional outbox."""

from __future__ import annotations

from django.db import models


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete a row of an append-only table."""


class AppendOnlyModel(models.Model):
    """A table whose rows are written once. Updates and deletes through the ORM are refused."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):  # type: ignore[override]
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[override]
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only")


class AuditEvent(AppendOnlyModel):
    """One read or change of personal data (who, when, whose, which fields, why, where from).

    Rows form a few parallel chains, so that concurrent writers do not queue behind one lock: row `seq` of
    chain `chain` has `hash` = HMAC-SHA256(key, prev_hash + canonical row), where `prev_hash` is the hash
    of row `seq - 1` of the same chain. `madoguchi audit verify` recomputes every chain and names each
    edited, deleted, inserted or reordered row.
    """

    chain = models.PositiveSmallIntegerField()
    seq = models.PositiveBigIntegerField()
    created_at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True)
    actor_label = models.CharField(max_length=200)
    action = models.CharField(max_length=50)  # read, reveal, refused, export, ...
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=64)
    person_id = models.BigIntegerField(null=True, db_index=True)
    fields = models.JSONField(default=list)
    purpose = models.CharField(max_length=200)
    channel = models.CharField(max_length=20)  # screen, api, cli
    client_ip = models.GenericIPAddressField(null=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq_unique")]
        indexes = [
            models.Index(fields=["actor_id", "created_at"]),
            models.Index(fields=["created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.chain}-{self.seq} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """The last sequence number and hash of one chain (`id` is the chain number).

    An append locks one head row from reading it to its commit; with several heads, concurrent writers
    each take a free one (core.audit). A head also records how long its chain is, so that deleting the
    newest rows of a chain, or all of them, is detected.
    """

    id = models.PositiveSmallIntegerField(primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit chain {self.id} head #{self.seq}"


class OutboxEvent(models.Model):
    """A domain event written in the same transaction as the change it describes (transactional outbox)."""

    topic = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["dispatched_at", "id"], name="outbox_pending_idx")]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"


class CacheEntry(models.Model):
    """The table of Django's database cache (`CACHES` without `MADOGUCHI_REDIS_URL`).

    Its columns are the ones `createcachetable` would create, so `DatabaseCache` reads and writes it as
    usual; declaring it as a model lets `migrate` create it (nothing more to run for `make run` or the
    tests) and lets test flushes empty it. Nothing reads it through the ORM.
    """

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "madoguchi_cache"

    def __str__(self) -> str:
        return self.cache_key


class RateCounter(models.Model):
    """A fixed-window counter shared by every worker process (core.counters): sign-in failures, email sends.

    Counted by one atomic statement per hit (`INSERT … ON CONFLICT DO UPDATE … RETURNING`), never through
    the cache: a cache's increment may not be atomic (the database cache's is not) and a full cache may
    evict an entry, which would forget a count.
    """

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    window_ends_ms = models.BigIntegerField(db_index=True)  # Unix time in milliseconds

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
