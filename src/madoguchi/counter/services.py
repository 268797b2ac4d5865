"""Writes of 書かない窓口: pre-fill bundles (the phone side) and visits at the counter (the clerk's side).

- A **bundle** is started from a guide result, filled in page by page (`save_bundle_values`) and issued
  (`issue_bundle`): a random reference of 192 bits for the QR code (`secrets.token_urlsafe`) and an
  8-character short code. Only keyed hashes of both are stored; the answers are encrypted (core.crypto).
- A clerk **claims** it by reference or short code (`claim_bundle`): failed look-ups are counted per staff
  member and per IP (accounts.ratelimit, the shared cache) and every one is audited; a good one deletes the
  bundle (used once) and opens a **visit** with its forms, re-encrypted for the visit.
- Without a bundle the clerk opens a visit from the guide's answers (`start_visit`).
- `confirm_visit` files one case per form through `cases.services.create_counter_case`, all or nothing.
- `purge_expired` deletes expired bundles and empties the answers of visits never confirmed (Celery beat,
  `madoguchi counter purge`).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from madoguchi.accounts import ratelimit
from madoguchi.cases import services as case_services
from madoguchi.cases import workflow
from madoguchi.cases.models import Case
from madoguchi.core import audit, crypto
from madoguchi.core.errors import MadoguchiError
from madoguchi.counter import bundle as plan_engine
from madoguchi.counter import printing
from madoguchi.counter.models import Bundle, IdentityDocument, Visit, VisitForm
from madoguchi.procedures import schema
from madoguchi.procedures.models import Procedure, ProcedureVersion
from madoguchi.procedures.selectors import spec_of
from madoguchi.residents import access

SHORT_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read and typed without doubt
SHORT_CODE_LENGTH = 8
REFERENCE_BYTES = 24  # secrets.token_urlsafe(24): 192 bits, 32 characters
DRAFT_HOURS = 24  # a bundle being filled in, never issued, is deleted after this
VISIT_ANSWERS_HOURS = 24  # the answers of a visit never confirmed are emptied after this
IDENTITY_NOTE_MAX = 200
_HMAC_SALT = "madoguchi.counter.bundle"


class CounterError(MadoguchiError):
    """An expected failure of the counter flow; `message(lang)` says what to do."""


class BundleNotFound(CounterError):
    http_status = 404


class BundleExpired(CounterError):
    http_status = 410


class LookupLocked(CounterError):
    http_status = 429


class BundleIncomplete(CounterError):
    """A bundle is issued only when every form is valid."""


class VisitNotReady(CounterError):
    http_status = 409


NOT_FOUND = BundleNotFound(
    "bundle_not_found",
    "このコードは見つかりません。すでに使われたか、入力の誤りです。コードを確かめるか、事前入力なしで受付してください。",
    "No bundle has this code: it was already used, or it was mistyped. Check the code, or start without a "
    "pre-fill.",
)
EXPIRED = BundleExpired(
    "bundle_expired",
    "このコードは有効期限が切れています（内容は削除されました）。事前入力なしで受付してください。",
    "This code has expired and its contents were deleted. Start without a pre-fill.",
)
LOCKED = LookupLocked(
    "lookup_locked",
    "コードの照会に続けて失敗したため、しばらく照会できません。15分ほど待つか、事前入力なしで受付してください。",
    "Too many failed code look-ups: look-ups are paused. Wait about 15 minutes, or start without a pre-fill.",
)


# ------------------------------------------------------------------------------------------------------------
# Codes and hashes


def new_short_code() -> str:
    return "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(SHORT_CODE_LENGTH))


def format_short_code(code: str) -> str:
    """ABCD-EFGH: grouped 4-4 for reading out and typing."""
    return f"{code[:4]}-{code[4:]}"


def new_reference() -> str:
    return secrets.token_urlsafe(REFERENCE_BYTES)


def code_hash(kind: str, value: str) -> str:
    """The stored form of a reference, short code or draft token: HMAC-SHA256 under the secret key."""
    return salted_hmac(_HMAC_SALT, f"{kind}:{value}", algorithm="sha256").hexdigest()


def read_code(text: str) -> tuple[str, str] | None:
    """What the clerk typed or scanned: ("short", "ABCDEFGH"), ("reference", token), or None when it can be
    neither. A short code may be typed in lower case, full width, with spaces or a hyphen."""
    text = (text or "").strip()
    if not text or len(text) > 100:
        return None
    folded = unicodedata.normalize("NFKC", text).upper().replace("-", "").replace(" ", "")
    if len(folded) == SHORT_CODE_LENGTH:
        if all(c in SHORT_CODE_ALPHABET for c in folded):
            return "short", folded
        return None
    if len(text) >= 22 and all(c.isascii() and (c.isalnum() or c in "-_") for c in text):
        return "reference", text
    return None


# ------------------------------------------------------------------------------------------------------------
# Encryption at rest


def _seal(data: Any, where: str) -> str:
    return crypto.encrypt(json.dumps(data, ensure_ascii=False), associated_data=where.encode())


def _open(token: str, where: str) -> Any:
    return json.loads(crypto.decrypt(token, associated_data=where.encode())) if token else None


def _bundle_where(bundle: Bundle) -> str:
    return f"counter.bundle:{bundle.key}"


def _visit_where(visit: Visit) -> str:
    return f"counter.visit:{visit.key}"


def _form_where(form: VisitForm) -> str:
    return f"counter.visit:{form.visit.key}:form:{form.procedure_id}"


def bundle_payload(bundle: Bundle) -> dict[str, Any]:
    return _open(bundle.payload, _bundle_where(bundle))


def visit_context(visit: Visit) -> dict[str, Any]:
    """The guide, its answers and event date of a visit ({} when it has none)."""
    return _open(visit.guide_context, _visit_where(visit)) or {}


def form_values(form: VisitForm) -> dict[str, Any]:
    return _open(form.values, _form_where(form)) or {}


# ------------------------------------------------------------------------------------------------------------
# The phone: start, fill in, issue


def _published(slugs: Sequence[str], *, online_only: bool) -> list[Procedure]:
    found = {
        p.slug: p
        for p in Procedure.objects.filter(slug__in=list(slugs), is_active=True, current_version__isnull=False)
        .select_related("current_version", "department")
        .order_by()
    }
    procedures = [found[s] for s in dict.fromkeys(slugs) if s in found]
    if online_only:
        procedures = [p for p in procedures if p.online and spec_of(p.current_version).online]
    return procedures


def start_bundle(
    *, guide_id: str, answers: Mapping[str, str], event_date: dt.date | None, slugs: Sequence[str]
) -> tuple[Bundle, str]:
    """A bundle being filled in for these online procedures; returns it and the draft token for the session."""
    procedures = _published(slugs, online_only=True)
    if not procedures:
        raise BundleIncomplete(
            "no_forms",
            "まとめて入力できるオンライン手続きがありません。",
            "There is no online procedure to fill in here.",
        )
    token = secrets.token_urlsafe(REFERENCE_BYTES)
    bundle = Bundle(
        draft_key_hash=code_hash("draft", token),
        guide_id=guide_id,
        expires_at=timezone.now() + dt.timedelta(hours=DRAFT_HOURS),
    )
    bundle.payload = _seal(
        {
            "guide": guide_id,
            "answers": dict(answers),
            "event_date": event_date.isoformat() if event_date else None,
            "forms": [{"slug": p.slug, "version_id": p.current_version_id} for p in procedures],
            "values": {"shared": {}, "forms": {}},
        },
        _bundle_where(bundle),
    )
    bundle.save()
    return bundle, token


def bundle_for_draft(token: str) -> Bundle | None:
    """The bundle a resident's session is filling in (None when gone: expired, claimed, or no token)."""
    if not token:
        return None
    return Bundle.objects.filter(
        draft_key_hash=code_hash("draft", token), expires_at__gt=timezone.now()
    ).first()


def bundle_plan(payload: Mapping[str, Any]) -> plan_engine.Plan:
    versions = ProcedureVersion.objects.in_bulk([f["version_id"] for f in payload["forms"]])
    return plan_engine.build_plan(
        [
            (f["slug"], spec_of(versions[f["version_id"]]))
            for f in payload["forms"]
            if f["version_id"] in versions
        ]
    )


def save_bundle_values(*, bundle: Bundle, values: Mapping[str, Any]) -> None:
    payload = bundle_payload(bundle)
    payload["values"] = dict(values)
    bundle.payload = _seal(payload, _bundle_where(bundle))
    bundle.save(update_fields=["payload"])


@dataclass(frozen=True)
class IssuedBundle:
    reference: str  # in the QR code; shown once, never stored
    short_code: str  # 8 characters; shown once, never stored
    expires_at: dt.datetime

    @property
    def short_code_display(self) -> str:
        return format_short_code(self.short_code)


def issue_bundle(*, bundle: Bundle) -> IssuedBundle:
    """Validate every form once more and give the bundle a fresh reference and short code (codes issued
    before for it stop working). Raises BundleIncomplete when a form is not valid."""
    payload = bundle_payload(bundle)
    plan = bundle_plan(payload)
    results = plan_engine.validate_all(plan, payload["values"], today=timezone.localdate())
    if any(not r.ok for r in results.values()):
        raise BundleIncomplete(
            "bundle_incomplete",
            "まだ入力されていない項目や、直す必要のある項目があります。",
            "Some answers are missing or need correcting.",
        )
    payload["cleaned"] = {slug: r.cleaned for slug, r in results.items()}
    now = timezone.now()
    for _attempt in range(5):
        reference, short_code = new_reference(), new_short_code()
        try:
            with transaction.atomic():
                bundle.reference_hash = code_hash("reference", reference)
                bundle.short_code_hash = code_hash("short", short_code)
                bundle.issued_at = now
                bundle.expires_at = now + dt.timedelta(days=settings.BUNDLE_DAYS)
                bundle.payload = _seal(payload, _bundle_where(bundle))
                bundle.save(
                    update_fields=["reference_hash", "short_code_hash", "issued_at", "expires_at", "payload"]
                )
        except IntegrityError:
            continue  # a short code another live bundle holds (rare): draw another
        return IssuedBundle(reference=reference, short_code=short_code, expires_at=bundle.expires_at)
    raise RuntimeError("could not allocate a unique short code")


def discard_bundle(*, bundle: Bundle) -> None:
    bundle.delete()


# ------------------------------------------------------------------------------------------------------------
# The counter: claim a bundle, or start without one


def _audit(
    staff,
    *,
    action: str,
    object_type: str,
    object_id: str,
    purpose: str,
    client_ip,
    fields=(),
    person_id=None,
):
    audit.record_access(
        actor=staff,
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        person_id=person_id,
        fields=fields,
        purpose=purpose[:200],
        channel="screen",
        client_ip=client_ip,
    )


def _lookup_failed(staff, client_ip, why: str, code_kind: str, attempt: ratelimit.Attempt) -> None:
    attempt.failed()
    _audit(
        staff,
        action="refused",
        object_type="counter_bundle",
        object_id=f"lookup:{code_kind}",
        purpose=f"counter_lookup: {why}",
        client_ip=client_ip,
    )


def claim_bundle(*, code: str, staff, client_ip: str | None = None) -> Visit:
    """Open a visit from the bundle a code names, and delete the bundle (a code works once).

    Refused (LookupLocked) while the staff member or the IP has MADOGUCHI_COUNTER_LOOKUP_LIMIT failed
    look-ups in 15 minutes; a code that names no bundle (BundleNotFound) or an expired one (BundleExpired,
    deleted on the spot) counts as a failure. Every failure is audited; nothing else is written then.
    """
    workflow.require_counter_intake(staff)
    # Counted before the look-up, on the staff member's and the IP's counters (shared by every worker), so that
    # no more than the limit of guesses is ever checked; a code that works takes its count back.
    attempt = ratelimit.begin(
        email=staff.email, ip=client_ip, scope=ratelimit.COUNTER, limit=settings.COUNTER_LOOKUP_LIMIT
    )
    if not attempt.allowed:
        _audit(
            staff,
            action="refused",
            object_type="counter_bundle",
            object_id="lookup:locked",
            purpose="counter_lookup: rate_limited",
            client_ip=client_ip,
        )
        raise LOCKED
    read = read_code(code)
    if read is None:
        _lookup_failed(staff, client_ip, "malformed", "unreadable", attempt)
        raise NOT_FOUND
    kind, value = read
    column = "short_code_hash" if kind == "short" else "reference_hash"
    now = timezone.now()
    with transaction.atomic():
        bundle = Bundle.objects.select_for_update().filter(**{column: code_hash(kind, value)}).first()
        if bundle is not None and bundle.expires_at <= now:
            bundle.delete()
            bundle, expired = None, True
        else:
            expired = False
        if bundle is not None:
            visit = _visit_from_bundle(bundle, staff=staff, now=now)
            bundle.delete()
            attempt.not_counted()
            _audit(
                staff,
                action="read",
                object_type="counter_visit",
                object_id=visit.pk,
                purpose="counter_intake: bundle",
                client_ip=client_ip,
                fields=("bundle",),
            )
            return visit
    _lookup_failed(staff, client_ip, "expired" if expired else "not_found", kind, attempt)
    raise EXPIRED if expired else NOT_FOUND


def _visit_from_bundle(bundle: Bundle, *, staff, now) -> Visit:
    payload = bundle_payload(bundle)
    visit = Visit(
        clerk=staff,
        from_bundle=True,
        bundle_issued_at=bundle.issued_at,
        guide_id=payload.get("guide", ""),
        arrived_at=now,
    )
    visit.guide_context = _seal(
        {
            "guide": payload.get("guide", ""),
            "answers": payload.get("answers", {}),
            "event_date": payload.get("event_date"),
        },
        _visit_where(visit),
    )
    visit.save()
    cleaned = payload.get("cleaned") or {}
    versions = ProcedureVersion.objects.select_related("procedure__current_version").in_bulk(
        [f["version_id"] for f in payload["forms"]]
    )
    for order, item in enumerate(payload["forms"]):
        filled = versions.get(item["version_id"])
        if filled is None:
            continue
        procedure = filled.procedure
        current = procedure.current_version or filled
        form = VisitForm(
            visit=visit,
            order=order,
            procedure=procedure,
            version=current,
            from_version=filled if current.pk != filled.pk else None,
        )
        form.values = _seal(cleaned.get(item["slug"], {}), _form_where(form))
        form.save()
    return visit


def start_visit(
    *,
    staff,
    guide_id: str = "",
    answers: Mapping[str, str] | None = None,
    event_date: dt.date | None = None,
    slugs: Sequence[str] = (),
) -> Visit:
    """A visit without a pre-fill: the clerk answered the guide's questions with the resident."""
    workflow.require_counter_intake(staff)
    with transaction.atomic():
        visit = Visit(clerk=staff, guide_id=guide_id, arrived_at=timezone.now())
        visit.guide_context = _seal(
            {
                "guide": guide_id,
                "answers": dict(answers or {}),
                "event_date": event_date.isoformat() if event_date else None,
            },
            _visit_where(visit),
        )
        visit.save()
        for slug in slugs:
            add_form(visit=visit, slug=slug, staff=staff, follow_on=False)
    return visit


def _check_clerk(visit: Visit, staff) -> None:
    workflow.require_counter_intake(staff)
    if visit.done_at is not None:
        raise VisitNotReady(
            "visit_done",
            "この受付はすでに完了しています。",
            "This visit is already done.",
        )


def add_form(*, visit: Visit, slug: str, staff, follow_on: bool = True) -> VisitForm:
    """Add a procedure to the visit (a follow-on the guide suggests: one click), its fields filled from the
    answers the visit's other forms already hold (same pre-fill key, or same id, type and label)."""
    _check_clerk(visit, staff)
    procedures = _published([slug], online_only=False)
    if not procedures:
        raise VisitNotReady(
            "unknown_procedure",
            "この手続きは現在受け付けていません。",
            "This procedure is not available now.",
        )
    procedure = procedures[0]
    existing = visit.forms.filter(procedure=procedure).first()
    if existing is not None:
        return existing
    sources = plan_engine.share_sources(
        {
            f.procedure.slug: (spec_of(f.version), form_values(f))
            for f in visit.forms.select_related("version", "procedure", "visit")
        }
    )
    spec = plan_engine.counter_form(spec_of(procedure.current_version))
    order = (visit.forms.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    form = VisitForm(
        visit=visit, order=order, procedure=procedure, version=procedure.current_version, follow_on=follow_on
    )
    form.values = _seal(plan_engine.carry_over({}, spec, sources), _form_where(form))
    form.save()
    return form


def remove_form(*, form: VisitForm, staff) -> None:
    _check_clerk(form.visit, staff)
    if form.case_id is not None:
        raise VisitNotReady(
            "form_filed", "申請済みの手続きは外せません。", "A procedure already filed cannot be removed."
        )
    form.delete()


def save_form(*, form: VisitForm, raw: Mapping[str, Any], staff) -> schema.Result:
    """Keep what the clerk typed with the resident (whatever it is) and validate it with the form's version."""
    _check_clerk(form.visit, staff)
    if form.case_id is not None:
        raise VisitNotReady(
            "form_filed", "この手続きはすでに申請済みです。", "This procedure has already been filed."
        )
    values = {**form_values(form), **raw}
    form.values = _seal(values, _form_where(form))
    form.save(update_fields=["values"])
    spec = plan_engine.counter_form(spec_of(form.version))
    return schema.validate(spec, values, today=timezone.localdate())


def _check_not_confirmed(visit: Visit) -> None:
    if visit.confirmed_at is not None:
        raise VisitNotReady(
            "visit_confirmed",
            "申請を確定したあとは、本人と本人確認は変更できません。",
            "The person and the identity check cannot change once the applications are filed.",
        )


def select_person(*, visit: Visit, staff, person_id: int, client_ip: str | None = None) -> access.PersonView:
    """The registry person the resident is, read for the purpose 窓口での本人確認 (audited by the access
    layer, 支援措置 respected) and kept on the visit. Not after confirm: the cases name the person."""
    _check_clerk(visit, staff)
    _check_not_confirmed(visit)
    view = access.person_for_staff(
        staff=staff, person_id=person_id, purpose="identity_check", client_ip=client_ip
    )
    visit.person_id = view.id
    visit.save(update_fields=["person"])
    return view


def record_identity_check(*, visit: Visit, staff, document: str, note: str = "") -> Visit:
    """Who checked which identity document, and when (the document's number is never written down)."""
    _check_clerk(visit, staff)
    _check_not_confirmed(visit)
    note = " ".join((note or "").split())[:IDENTITY_NOTE_MAX]
    if document not in IdentityDocument.values:
        raise VisitNotReady(
            "identity_document",
            "確認した本人確認書類を選んでください。",
            "Choose the identity document you checked.",
        )
    if document == IdentityDocument.OTHER and not note:
        raise VisitNotReady(
            "identity_note",
            "「その他」の場合は、確認した書類の名前を備考に書いてください。",
            "For 'Other', write the name of the document in the note.",
        )
    visit.identity_document = document
    visit.identity_note = note
    visit.identity_checked_by = staff
    visit.identity_checked_at = timezone.now()
    visit.save(
        update_fields=["identity_document", "identity_note", "identity_checked_by", "identity_checked_at"]
    )
    return visit


@dataclass
class ConfirmRefused(Exception):
    """Some forms are not valid: slug → field id → messages. Nothing was filed."""

    errors: dict[str, dict[str, list[schema.Message]]]


def confirm_visit(*, visit: Visit, staff) -> list[Case]:
    """File one case per form not filed yet (channel=counter), all in one transaction: every case or none.

    Needs the identity check. Each form is validated once, by `cases.services.create_counter_case`; when one
    is invalid the whole transaction is rolled back and ConfirmRefused lists every form's problems.
    """
    _check_clerk(visit, staff)
    if visit.identity_checked_at is None:
        raise VisitNotReady(
            "identity_not_checked",
            "先に本人確認を記録してください。",
            "Record the identity check first.",
        )
    pending = list(visit.forms.filter(case__isnull=True).select_related("procedure", "version", "visit"))
    if not pending:
        raise VisitNotReady("nothing_to_file", "申請する手続きがありません。", "There is nothing to file.")
    errors: dict[str, dict[str, list[schema.Message]]] = {}
    for form in pending:  # report every form's problems at once (the service validates again when filing)
        result = schema.validate(
            plan_engine.counter_form(spec_of(form.version)), form_values(form), today=timezone.localdate()
        )
        if not result.ok:
            errors[form.procedure.slug] = result.errors
    if errors:
        raise ConfirmRefused(errors)
    filed = []
    try:
        with transaction.atomic():
            for form in pending:
                case = case_services.create_counter_case(
                    procedure=form.procedure,
                    version=form.version,
                    raw=form_values(form),
                    person=visit.person,
                    staff=staff,
                )
                form.case = case
                form.values = ""  # the case holds the answers from now on
                form.save(update_fields=["case", "values"])
                filed.append(case)
            visit.confirmed_at = timezone.now()
            visit.save(update_fields=["confirmed_at"])
    except case_services.CaseValidationError as exc:
        raise ConfirmRefused({"": exc.errors}) from exc
    return filed


def print_visit(*, visit: Visit, staff, basics: Mapping[str, Any], client_ip: str | None = None) -> bytes:
    """One PDF of every filed form of the visit (counter.printing); sets printed_at. The cases are committed
    before: a PrintFailed loses nothing, and the clerk can try again. The print is audited."""
    workflow.require_counter_intake(staff)
    forms = list(visit.forms.filter(case__isnull=False).select_related("case", "version"))
    if not forms:
        raise VisitNotReady(
            "not_confirmed", "先に申請を確定してください。", "Confirm the applications first."
        )
    pdf = printing.render_pdf(
        [printing.FormToPrint(f.case.procedure_version, dict(f.case.data), f.case.reference) for f in forms],
        basics=dict(basics),
    )
    _audit(
        staff,
        action="print",
        object_type="counter_visit",
        object_id=visit.pk,
        purpose="counter_intake: print forms",
        client_ip=client_ip,
        fields=("forms",),
        person_id=visit.person_id,
    )
    visit.printed_at = timezone.now()
    visit.save(update_fields=["printed_at"])
    return pdf


def mark_signed(*, visit: Visit, staff) -> None:
    _check_clerk(visit, staff)
    if visit.confirmed_at is None:
        raise VisitNotReady(
            "not_confirmed", "先に申請を確定してください。", "Confirm the applications first."
        )
    visit.signed_at = timezone.now()
    visit.save(update_fields=["signed_at"])


def mark_done(*, visit: Visit, staff) -> None:
    _check_clerk(visit, staff)
    if visit.confirmed_at is None:
        raise VisitNotReady(
            "not_confirmed", "先に申請を確定してください。", "Confirm the applications first."
        )
    visit.done_at = timezone.now()
    visit.save(update_fields=["done_at"])


# ------------------------------------------------------------------------------------------------------------
# Retention


@dataclass(frozen=True)
class PurgeReport:
    bundles: int
    visit_answers: int


def purge_expired(*, now: dt.datetime | None = None) -> PurgeReport:
    """Delete expired bundles (issued or not) and empty the answers of forms of visits never confirmed
    within VISIT_ANSWERS_HOURS of arrival."""
    now = now or timezone.now()
    bundles, _by_model = Bundle.objects.filter(expires_at__lte=now).delete()
    stale = VisitForm.objects.filter(
        case__isnull=True,
        visit__arrived_at__lte=now - dt.timedelta(hours=VISIT_ANSWERS_HOURS),
    ).exclude(values="")
    emptied = stale.update(values="")
    return PurgeReport(bundles=bundles, visit_answers=emptied)
