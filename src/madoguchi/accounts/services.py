"""Sign-up, email verification and sign-in for residents and staff; linking accounts to the registry."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from madoguchi.accounts import emails, matching, ratelimit, tokens
from madoguchi.accounts.models import (
    ApiToken,
    AssuranceLevel,
    IdentityLink,
    LinkMethod,
    Role,
    User,
    UserKind,
)
from madoguchi.core import audit, counters, events
from madoguchi.core.errors import MadoguchiError
from madoguchi.residents.models import Person

RESEND_INTERVAL_SECONDS = 60  # one confirmation email per address and minute
EMAIL_REQUESTS_WINDOW_SECONDS = 15 * 60
EMAIL_REQUESTS_PER_IP = 10  # confirmation resends and password-reset requests per client IP in the window


class AccountError(MadoguchiError):
    """A sign-up, sign-in or account change that cannot be done; `field` names the input at fault."""


def email_digest(email: str) -> str:
    """A short hash of a normalised address, for counter keys (no address in the database's counters)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def sign_up(
    *, email: str, password: str, display_name: str = "", language: str = "ja", next_path: str = ""
) -> str:
    """Create a resident account that must confirm its email before signing in, and send the link.

    The answer does not tell whether the address was registered: for a registered one nothing is created,
    the same work is done (the password is hashed) and its owner gets an email saying that someone tried
    to sign up, with links to sign in and to reset the password. Returns the normalised address.
    `next_path` (a path on this site) rides on the confirmation link: the page the resident was going to.
    """
    email = email.strip().lower()
    try:
        validate_password(password, User(email=email, display_name=display_name))
    except ValidationError as exc:
        raise AccountError(
            "weak_password",
            "パスワードが弱すぎます。10文字以上で、推測されにくいものにしてください。",
            "The password is too weak. Use at least 10 characters that are hard to guess.",
            field="password",
        ) from exc
    try:
        with transaction.atomic():
            user = User.objects.create_user(  # hashes the password first, whether or not the insert works
                email=email,
                password=password,
                display_name=display_name.strip()[:100],
                kind=UserKind.RESIDENT,
                preferred_language=language if language in {"ja", "en"} else "ja",
            )
    except IntegrityError:
        existing = User.objects.filter(email=email).first()
        if existing is not None and existing.is_active:
            emails.send(emails.SIGNUP_ATTEMPT, existing)
        return email
    emails.send(emails.VERIFY, user, next_path=next_path)
    return email


def send_verification_email(*, user: User) -> None:
    emails.send(emails.VERIFY, user)


def _bad_verification_link() -> AccountError:
    return AccountError(
        "bad_token",
        "この確認リンクは使えません。リンクの有効期限（3日間）が切れたか、すでに使われています。"
        "確認が済んでいればそのままログインできます。済んでいない場合は、ログイン画面から確認メールを再送してください。",
        "This confirmation link cannot be used: it has expired (after 3 days) or has already been used. If "
        "your address is confirmed, just sign in; otherwise request a new link from the sign-in page.",
    )


def verify_email(*, uidb64: str, token: str) -> User:
    """Confirm the address of the account the link was made for; a link works once and for 3 days."""
    user = tokens.user_of_uidb64(uidb64)
    if user is None or not tokens.email_verification_tokens.check_token(user, token):
        raise _bad_verification_link()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.email_verified_at is not None:  # a concurrent click of the same link won
            raise _bad_verification_link()
        locked.email_verified_at = timezone.now()
        locked.save(update_fields=["email_verified_at"])
    return locked


def old_verification_link() -> AccountError:
    """Links of the earlier format (one signed value, reusable for 3 days) are no longer accepted."""
    return _bad_verification_link()


def count_email_request(ip: str | None) -> None:
    """Count a request that may send an email, per client IP; AccountError once over the limit."""
    if not ip:
        return
    counted = counters.hit(f"email-request:ip:{ip}", EMAIL_REQUESTS_WINDOW_SECONDS)
    if counted.count > EMAIL_REQUESTS_PER_IP:
        minutes = max(1, -(-counted.seconds_left() // 60))
        raise AccountError(
            "rate_limited",
            f"短い時間に何度もメールの送信が依頼されました。{minutes}分ほど待ってからお試しください。"
            "届いているメールがないか、迷惑メールのフォルダも確認してください。",
            f"Emails were asked for too many times in a short time. Please wait about {minutes} minute"
            f"{'s' if minutes != 1 else ''} and try again, and check your spam folder for an email that "
            "has already arrived.",
        )


def resend_verification(*, email: str, ip: str | None) -> None:
    """Send the confirmation link again to a resident who has not confirmed yet; one per minute and address.

    Nothing tells the caller whether the address is registered (the page answers the same).
    """
    count_email_request(ip)
    email = email.strip().lower()
    user = User.objects.filter(
        email=email, kind=UserKind.RESIDENT, is_active=True, email_verified_at__isnull=True
    ).first()
    if user is None:
        return
    if counters.hit(f"verify-resend:acct:{email_digest(email)}", RESEND_INTERVAL_SECONDS).count == 1:
        emails.send(emails.VERIFY, user)


def rate_limited_error(attempt: ratelimit.Attempt) -> AccountError:
    minutes = attempt.retry_after_minutes
    return AccountError(
        "rate_limited",
        f"ログインの失敗が続いたため、しばらくログインできません。{minutes}分ほど待ってからお試しください。"
        "パスワードを忘れた場合は「パスワードを忘れた方」から再設定できます。",
        f"Too many failed sign-in attempts. Please wait about {minutes} minute{'s' if minutes != 1 else ''} "
        "and try again. If you forgot your password, use “Forgot your password?” to set a new one.",
    )


def sign_in(*, email: str, password: str, ip: str | None, staff: bool) -> User:
    """Check credentials with rate limiting; residents must have verified their email.

    The attempt is counted before the password is checked (accounts.ratelimit), so concurrent workers
    check at most the limit of wrong passwords per account and per IP; a right password clears only this
    account's counter.
    """
    email = email.strip().lower()
    attempt = ratelimit.begin(email=email, ip=ip)
    if not attempt.allowed:
        raise rate_limited_error(attempt)
    try:
        user = authenticate(username=email, password=password)
    except BaseException:
        attempt.not_counted()
        raise
    if user is None or user.is_office_staff != staff:
        attempt.failed()
        raise AccountError(
            "bad_credentials",
            "メールアドレスかパスワードが正しくありません。",
            "The email address or password is not correct.",
        )
    if not staff and user.email_verified_at is None:
        attempt.not_counted()
        raise AccountError(
            "email_not_verified",
            "メールアドレスの確認が済んでいません。届いたメールのリンクを開いてください。",
            "Your email address is not confirmed yet. Open the link in the email we sent you.",
        )
    attempt.succeeded()
    return user


@dataclass(frozen=True)
class IssuedToken:
    token: str
    record: ApiToken


def issue_api_token(*, user: User, name: str) -> IssuedToken:
    token = "mdg_" + secrets.token_urlsafe(32)
    record = ApiToken.objects.create(
        user=user, name=name, token_hash=hashlib.sha256(token.encode()).hexdigest()
    )
    return IssuedToken(token=token, record=record)


def user_for_api_token(token: str) -> User | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    record = (
        ApiToken.objects.select_related("user").filter(token_hash=digest, revoked_at__isnull=True).first()
    )
    if record is None or not record.user.is_active or not record.user.is_office_staff:
        return None
    ApiToken.objects.filter(pk=record.pk).update(last_used_at=timezone.now())
    return record.user


# ---- identity linking (本人確認・紐付け) -----------------------------------------------------------------------

# Audit purpose code of every read and write of this section (office labels it 本人確認・紐付け).
PURPOSE_IDENTITY_LINKING = "identity_linking"
# The assurance level each link method gives; a method cannot claim more than it checked.
ASSURANCE_OF_METHOD = {LinkMethod.COUNTER: AssuranceLevel.HIGH, LinkMethod.IDP: AssuranceLevel.SUBSTANTIAL}
# Fields of the person a link vouches for (what the link lets the portal pre-fill).
LINKED_FIELDS = ("name", "name_kana", "birth_date", "address", "household")
# A run of 4+ digits looks like a document number (免許証番号, 個人番号 …), which we never store.
_DOCUMENT_NUMBER = re.compile(r"\d{4,}")


IDENTITY_DEPARTMENT = "shimin"  # 市民課 runs the resident register and its counter
COUNTER_ROLES = (Role.REVIEWER, Role.APPROVER, Role.DEPARTMENT_ADMIN)


def can_manage_identity_links(staff: User) -> bool:
    """Counter staff of 市民課 (reviewers, approvers, admins) and any department admin; never auditors."""
    if not (staff.is_authenticated and staff.is_active and staff.is_office_staff):
        return False
    if staff.role == Role.DEPARTMENT_ADMIN:
        return True
    department = staff.department
    return bool(department and department.code == IDENTITY_DEPARTMENT and staff.role in COUNTER_ROLES)


class IdentityError(AccountError):
    """A link that cannot be made or ended; `message(lang)` says why and what to do."""


def _check_evidence(evidence: str) -> str:
    evidence = evidence.strip()
    if _DOCUMENT_NUMBER.search(unicodedata.normalize("NFKC", evidence).replace("-", "").replace(" ", "")):
        raise IdentityError(
            "evidence_has_number",
            "確認した書類の種類だけを記録してください。書類の番号は記録しません。",
            "Record only the kind of document you checked, never its number.",
            field="evidence",
        )
    return evidence[:200]


def link_identity(
    *,
    user: User,
    person: Person,
    method: str,
    assurance_level: str,
    verified_by: User | None = None,
    evidence: str = "",
    provider: str = "",
    subject: str = "",
    client_ip: str | None = None,
) -> IdentityLink:
    """Link a resident account to its registry person after verification; audited, one transaction.

    Refused when the account already has an active link, when the person is linked to another active
    account, when the person is no longer a resident, or when the method does not give that assurance.
    A counter link names the staff member who checked the photo ID (`verified_by`).
    """
    if not (user.is_resident and user.is_active):
        raise IdentityError(
            "not_a_resident",
            "住民のアカウントだけを住民記録と紐付けられます。",
            "Only resident accounts can be linked to the resident register.",
        )
    if method not in LinkMethod.values or ASSURANCE_OF_METHOD[LinkMethod(method)] != assurance_level:
        raise IdentityError(
            "bad_assurance",
            "本人確認の方法と保証レベルが合っていません。",
            "The verification method does not give this assurance level.",
        )
    if method == LinkMethod.COUNTER and (verified_by is None or not verified_by.is_office_staff):
        raise IdentityError(
            "staff_required",
            "窓口での本人確認には、確認した職員の記録が必要です。",
            "A counter verification must name the staff member who checked the ID.",
        )
    if not person.is_active:
        raise IdentityError(
            "person_not_resident",
            "この方は住民記録上、現在の住民ではないため紐付けできません。",
            "This person is no longer a resident in the register, so the account cannot be linked.",
        )
    evidence = _check_evidence(evidence)
    try:
        with transaction.atomic():
            User.objects.select_for_update().filter(pk=user.pk).first()
            _refuse_existing_links(user=user, person=person)
            link = IdentityLink.objects.create(
                user=user,
                person=person,
                method=method,
                assurance_level=assurance_level,
                verified_by=verified_by,
                evidence=evidence,
                provider=provider[:40],
                subject=subject[:255],
            )
            audit.record_access(
                actor=verified_by or user,
                action="link",
                object_type="identity_link",
                object_id=link.pk,
                person_id=person.pk,
                fields=LINKED_FIELDS,
                purpose=PURPOSE_IDENTITY_LINKING,
                client_ip=client_ip,
            )
            events.emit(
                "identity.linked",
                {"link_id": link.pk, "user_id": user.pk, "person_id": person.pk, "method": method},
            )
    except IntegrityError as exc:  # a concurrent link won the race; the constraints keep one active link
        raise _already_linked_error() from exc
    return link


def _already_linked_error() -> IdentityError:
    return IdentityError(
        "person_already_linked",
        "この方の住民記録は、すでに別のアカウントと紐付いています。本人のアカウントか確認し、"
        "必要なら古い紐付けを解除してからやり直してください。",
        "This person is already linked to another account. Check which account is theirs and, if needed, "
        "end the old link first.",
    )


def _refuse_existing_links(*, user: User, person: Person) -> None:
    active = IdentityLink.objects.filter(revoked_at__isnull=True)
    if active.filter(user=user).exists():
        raise IdentityError(
            "account_already_linked",
            "このアカウントはすでに住民記録と紐付いています。別の方と紐付けるには、先に今の紐付けを解除してください。",
            "This account is already linked to the resident register. End the current link first to link it to "
            "someone else.",
        )
    if active.filter(person=person).exists():
        raise _already_linked_error()


def unlink_identity(
    *, link: IdentityLink, by: User, reason: str, client_ip: str | None = None
) -> IdentityLink:
    """End a link (it is kept, with who ended it, when and why). The resident or identity staff may do it."""
    reason = reason.strip()
    if not reason:
        raise IdentityError(
            "reason_required",
            "解除の理由を入力してください。",
            "Please enter why the link is ended.",
            field="reason",
        )
    if not (by.pk == link.user_id or can_manage_identity_links(by)):
        raise IdentityError(
            "not_allowed",
            "この紐付けを解除する権限がありません。",
            "You are not allowed to end this link.",
        )
    with transaction.atomic():
        locked = IdentityLink.objects.select_for_update().get(pk=link.pk)
        if locked.revoked_at is not None:
            raise IdentityError(
                "already_revoked",
                "この紐付けはすでに解除されています。",
                "This link has already been ended.",
            )
        locked.revoked_at = timezone.now()
        locked.revoked_by = by
        locked.revoked_reason = reason[:500]
        locked.save(update_fields=["revoked_at", "revoked_by", "revoked_reason"])
        audit.record_access(
            actor=by,
            action="unlink",
            object_type="identity_link",
            object_id=locked.pk,
            person_id=locked.person_id,
            purpose=PURPOSE_IDENTITY_LINKING,
            client_ip=client_ip,
        )
        events.emit(
            "identity.unlinked",
            {"link_id": locked.pk, "user_id": locked.user_id, "person_id": locked.person_id},
        )
    link.revoked_at, link.revoked_by, link.revoked_reason = locked.revoked_at, by, locked.revoked_reason
    return link


@dataclass(frozen=True)
class IdentityMatch:
    """The outcome of an identity-provider login: a link, or why there is none (in both languages)."""

    link: IdentityLink | None
    code: str
    message_ja: str
    message_en: str

    @property
    def linked(self) -> bool:
        return self.link is not None

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_ja


_VISIT_COUNTER_JA = "本人確認書類（マイナンバーカード、運転免許証など）をお持ちのうえ、市民課の窓口で本人確認を受けてください。"
_VISIT_COUNTER_EN = "Please bring a photo ID (My Number Card, driving licence …) to the Residents Division counter to be verified."
MATCH_REASONS: Mapping[str, tuple[str, str]] = {
    "linked": (
        "本人確認ができました。住民記録の内容を申請フォームに自動で入力できるようになりました。",
        "Your identity is verified. Forms can now be filled in from the resident register.",
    ),
    "already_linked": (
        "このアカウントはすでに本人確認済みです。",
        "This account is already verified.",
    ),
    "claims_missing": (
        "本人確認サービスから氏名・生年月日・住所のすべてを受け取れなかったため、本人確認できませんでした。"
        "サービスで情報の提供に同意したか確認するか、" + _VISIT_COUNTER_JA,
        "The identity provider did not send your name, date of birth and address, so we could not verify you. "
        "Check that you agreed to share them, or: " + _VISIT_COUNTER_EN,
    ),
    "no_match": (
        "本人確認サービスの氏名・生年月日・住所と一致する住民記録が見つかりませんでした。"
        "転入・転居の直後は記録の更新に時間がかかることがあります。" + _VISIT_COUNTER_JA,
        "No resident record matches the name, date of birth and address from the identity provider. After a "
        "recent move the register may not be updated yet. " + _VISIT_COUNTER_EN,
    ),
    "ambiguous": (
        "一致する住民記録が1件に絞り込めなかったため、自動では紐付けできません。" + _VISIT_COUNTER_JA,
        "More than one resident record matches, so we cannot link your account automatically. "
        + _VISIT_COUNTER_EN,
    ),
    "person_already_linked": (
        "一致した住民記録は、すでに別のアカウントと紐付いています。お心当たりがない場合は、"
        + _VISIT_COUNTER_JA,
        "The matching resident record is already linked to another account. If that is not you: "
        + _VISIT_COUNTER_EN,
    ),
}
MATCHED_FIELDS = ("name", "birth_date", "address")


def _match_outcome(code: str, link: IdentityLink | None = None) -> IdentityMatch:
    ja, en = MATCH_REASONS[code]
    return IdentityMatch(link=link, code=code, message_ja=ja, message_en=en)


def _claims_name(claims: Mapping[str, Any]) -> str:
    name = claims.get("name")
    if isinstance(name, str) and name.strip():
        return name
    family, given = claims.get("family_name"), claims.get("given_name")
    if isinstance(family, str) and isinstance(given, str):
        return f"{family}\u3000{given}"
    return ""


def _matching_persons(*, name: str, birth_date, address: str) -> list[Person]:
    """Active persons whose normalised name, birth date and address (with or without 方書) all equal the claims'."""
    wanted_name = matching.normalise_name(name)
    wanted_address = matching.normalise_address(address)
    found = []
    for person in Person.objects.filter(is_active=True, birth_date=birth_date).order_by("pk"):
        if getattr(person, "birth_date_text", ""):  # a 不詳 birth date never matches an exact one
            continue
        if matching.normalise_name(person.name) != wanted_name:
            continue
        street = f"{person.prefecture}{person.city}{person.town}{person.banchi}"
        addresses = {matching.normalise_address(person.address), matching.normalise_address(street)}
        if wanted_address in addresses:
            found.append(person)
    return found


def link_by_identity_provider(
    *, user: User, claims: Mapping[str, Any], provider: str = "", client_ip: str | None = None
) -> IdentityMatch:
    """Link `user` to the one registry person whose name, birth date and address equal the provider's claims.

    Only an exact single match links (assurance "substantial"); no match, several matches, missing claims or
    a person linked to another account give no link and a reason. Every attempt is audited.
    """
    existing = IdentityLink.objects.filter(user=user, revoked_at__isnull=True).first()
    if existing is not None:
        return _match_outcome("already_linked", existing)
    name = _claims_name(claims)
    birth_date = matching.parse_birth_date(claims.get("birthdate", claims.get("birth_date")))
    address = matching.address_text(claims.get("address"))
    if not (matching.normalise_name(name) and birth_date and matching.normalise_address(address)):
        outcome, persons = "claims_missing", []
    else:
        persons = _matching_persons(name=name, birth_date=birth_date, address=address)
        outcome = {0: "no_match", 1: "matched"}.get(len(persons), "ambiguous")
    audit.record_access(
        actor=user,
        action="match",
        object_type="person" if outcome == "matched" else "identity_match",
        object_id=persons[0].pk if outcome == "matched" else outcome,
        person_id=persons[0].pk if outcome == "matched" else None,
        fields=MATCHED_FIELDS,
        purpose=PURPOSE_IDENTITY_LINKING,
        client_ip=client_ip,
    )
    if outcome != "matched":
        return _match_outcome(outcome)
    try:
        link = link_identity(
            user=user,
            person=persons[0],
            method=LinkMethod.IDP,
            assurance_level=AssuranceLevel.SUBSTANTIAL,
            provider=provider,
            subject=str(claims.get("sub", "")),
            evidence=provider,
            client_ip=client_ip,
        )
    except IdentityError as exc:
        if exc.code == "person_already_linked":
            return _match_outcome("person_already_linked")
        if exc.code == "account_already_linked":
            return _match_outcome(
                "already_linked", IdentityLink.objects.filter(user=user, revoked_at__isnull=True).first()
            )
        raise
    return _match_outcome("linked", link)
