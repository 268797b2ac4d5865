"""The audit log anchored outside the database: `madoguchi audit anchor` appends every chain head, signed and
chained, to a file; `madoguchi audit verify` then sees chains cut back from their end with their head, whole
chains deleted with their head, and an edited anchor file — which the database alone could not show."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from madoguchi.core import audit, audit_anchor
from madoguchi.core.celery_app import app
from madoguchi.core.models import AuditChainHead, AuditEvent
from madoguchi.core.tests.test_audit import HEADS, _lines, _raw, _verify, _write_rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_process():
    audit._heads_ready.clear()
    audit._known_heads.forget()


@pytest.fixture
def three_chains(monkeypatch):
    """A pool of three chains on either database; `write(chain, count)` appends to the chain it names."""
    monkeypatch.setattr(audit, "chain_count", lambda using=None: 3)
    preferred = {"chain": 1}
    monkeypatch.setattr(audit, "_writer_chain", lambda count: preferred["chain"])

    def write(chain: int, count: int) -> list[AuditEvent]:
        preferred["chain"] = chain
        return _write_rows(count, start=chain * 100 + AuditEvent.objects.filter(chain=chain).count())

    return write


def _anchor(path=None) -> str:
    out = StringIO()
    call_command("audit", "anchor", *(["--anchor-file", str(path)] if path else []), stdout=out)
    return out.getvalue()


def _cut_back(chain: int, to_seq: int) -> None:
    """What an attacker with database access does: delete a chain's newest rows and set its head back."""
    last = AuditEvent.objects.get(chain=chain, seq=to_seq)
    _raw("DELETE FROM {table} WHERE chain = %s AND seq > %s", [chain, to_seq])
    _raw("UPDATE {table} SET seq = %s, hash = %s WHERE id = %s", [to_seq, last.hash, chain], table=HEADS)


def test_an_anchored_untouched_log_passes(settings):
    _write_rows(3)
    assert "as line 1 of" in _anchor()
    _write_rows(2)
    assert "as line 2 of" in _anchor()

    output, error = _verify()

    assert error is None, output
    lines = _lines(output)
    assert lines[0].startswith("audit log OK: 5 rows")
    assert lines[1].startswith(f"anchors OK: 2 lines in {settings.AUDIT_ANCHOR_FILE}")


def test_each_line_names_every_head_and_is_signed_and_chained(settings):
    _write_rows(2)
    _anchor()
    _anchor()
    first, second = (json.loads(line) for line in settings.AUDIT_ANCHOR_FILE.read_text().splitlines())
    head = AuditChainHead.objects.get(seq=2)
    assert [head.id, 2, head.hash] in first["heads"]
    assert (first["n"], second["n"]) == (1, 2)
    assert first["prev"] == audit_anchor.GENESIS and second["prev"] == first["mac"]


def test_a_chain_cut_back_with_its_head_is_detected(three_chains):
    three_chains(1, 2)
    three_chains(2, 5)
    _anchor()
    _cut_back(2, 3)

    output, error = _verify()

    assert error is not None and error.returncode == 1
    [line] = _lines(output)
    assert line.startswith("chain 2 row #4: rows #4–#5 are missing: anchored at ")
    assert line.endswith("the chain now ends at #3 (cut back from its end)")


def test_without_the_anchor_file_the_same_cut_passes_and_says_it_is_not_anchored(three_chains, settings):
    three_chains(2, 5)
    _cut_back(2, 3)
    out, err = StringIO(), StringIO()
    call_command("audit", "verify", stdout=out, stderr=err)  # the chains alone cannot see the cut
    assert out.getvalue().startswith("audit log OK")
    assert "No anchor file at" in err.getvalue()


def test_a_chain_cut_back_and_written_again_past_its_anchor_is_detected(three_chains):
    three_chains(2, 3)
    _anchor()
    _cut_back(2, 1)
    three_chains(2, 4)  # the chain grows again to #5, past the anchored #3

    output, error = _verify()

    assert error is not None
    [line] = _lines(output)
    assert line.startswith("chain 2 row #3: differs from its anchor of ")


def test_every_chain_deleted_with_its_head_is_detected(three_chains):
    three_chains(1, 2)
    three_chains(2, 3)
    _anchor()
    _raw("DELETE FROM {table}", [])
    _raw("DELETE FROM {table}", [], table=HEADS)

    output, error = _verify()

    assert error is not None and error.returncode == 1
    lines = _lines(output)
    assert any(
        line.startswith("chain 1: anchored with rows up to #2 at ") and "the whole chain was deleted" in line
        for line in lines
    )
    assert any(line.startswith("chain 2: anchored with rows up to #3 at ") for line in lines)
    assert not any(line.startswith("audit log OK") for line in lines)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda lines: [lines[0].replace('"n":1', '"n":7'), *lines[1:]],
            "line 1: its signature does not match",
        ),
        (lambda lines: [lines[0], lines[2]], "line 2: does not follow the line before it"),
        (lambda lines: [lines[1], lines[0], lines[2]], "line 1: does not follow the line before it"),
        (lambda lines: [lines[0], "{not json", *lines[1:]], "line 2: cannot be read as an anchor"),
    ],
    ids=["edited", "removed", "reordered", "inserted"],
)
def test_an_edited_anchor_file_is_detected(settings, edit, expected):
    _write_rows(1)
    for _ in range(3):
        _anchor()
    path = settings.AUDIT_ANCHOR_FILE
    path.write_text("\n".join(edit(path.read_text().splitlines())) + "\n")

    output, error = _verify()

    assert error is not None and error.returncode == 1
    assert any(f"anchor file {expected}" in line for line in _lines(output)), output


def test_an_anchor_file_signed_with_another_key_is_refused(settings):
    _write_rows(1)
    settings.AUDIT_HMAC_KEY = "an-attackers-key-0123456789-0123456789"
    _anchor()
    settings.AUDIT_HMAC_KEY = "the-sites-audit-key-0123456789-abcdefgh"
    # Rows written under the other key fail too; the anchor line is named on its own.
    output, _ = _verify()
    assert "anchor file line 1: its signature does not match" in output


def test_verify_checks_against_a_copy_of_the_anchor_file(three_chains, settings, tmp_path):
    three_chains(2, 4)
    _anchor()
    copy = tmp_path / "auditors-copy.jsonl"
    copy.write_text(settings.AUDIT_ANCHOR_FILE.read_text())
    _cut_back(2, 2)
    settings.AUDIT_ANCHOR_FILE.write_text("")  # the attacker also emptied the server's file

    out = StringIO()
    with pytest.raises(CommandError):
        call_command("audit", "verify", "--anchor-file", str(copy), stdout=out)
    assert "chain 2 row #3: rows #3–#4 are missing" in out.getvalue()


def test_anchoring_a_chain_shorter_than_at_the_last_anchor_fails_loudly(three_chains):
    three_chains(2, 4)
    _anchor()
    _cut_back(2, 2)
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("audit", "anchor", stdout=out)
    assert exc.value.returncode == 1
    assert "chain 2: head #2 is behind the previous anchor's #4" in out.getvalue()


def test_celery_beat_anchors_the_log(settings):
    app.loader.import_default_modules()
    entry = app.conf.beat_schedule["audit-anchor"]
    assert entry["task"] == "madoguchi.core.tasks.anchor_audit_log"
    assert entry["schedule"] == float(settings.AUDIT_ANCHOR_SECONDS)
    _write_rows(1)
    assert app.tasks["madoguchi.core.tasks.anchor_audit_log"]() == 1
    assert settings.AUDIT_ANCHOR_FILE.exists()
