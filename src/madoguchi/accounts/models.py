"""Users (residents and staff), departments and staff roles."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Department(models.Model):  # 担当課
    code = models.SlugField(max_length=40, unique=True)
    name_ja = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_ja

    def name_for(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_ja


class Role(models.TextChoices):
    REVIEWER = "reviewer", _("審査担当")
    APPROVER = "approver", _("決裁者")
    DEPARTMENT_ADMIN = "department_admin", _("課管理者")
    AUDITOR = "auditor", _("監査担当")


class UserKind(models.TextChoices):
    RESIDENT = "resident", _("住民")
    STAFF = "staff", _("職員")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True, kind=UserKind.STAFF)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=10, choices=UserKind.choices, default=UserKind.RESIDENT)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    preferred_language = models.CharField(max_length=5, default="ja")
    email_verified_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)  # Django admin access only
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()
    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def is_resident(self) -> bool:
        return self.kind == UserKind.RESIDENT

    @property
    def is_office_staff(self) -> bool:
        return self.kind == UserKind.STAFF


class ApiToken(models.Model):
    """A staff API token. Only its SHA-256 is stored; the token itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} / {self.name}"


class LinkMethod(models.TextChoices):
    """How the link between an account and a registry person was verified (本人確認の方法)."""

    COUNTER = "counter", _("窓口で職員が確認")
    IDP = "idp", _("本人確認サービスで照合")


class AssuranceLevel(models.TextChoices):
    """How sure we are that the account holder is the registry person (身元確認の保証レベル).

    HIGH: staff saw the person and a photo ID at the counter. SUBSTANTIAL: an identity provider's login
    returned a name, birth date and address that matched exactly one person. Both satisfy a procedure's
    `identity_level: verified` (see docs/identity.md).
    """

    HIGH = "high", _("高（窓口で写真付き本人確認書類を確認）")
    SUBSTANTIAL = "substantial", _("中（本人確認サービスの情報と住民記録が一致）")


class IdentityLink(models.Model):  # 本人確認済みの紐付け（アカウント ↔ 住民記録）
    """A resident account linked to the registry person it belongs to, after verification.

    Rows are never deleted: a link ends by revocation (revoked_at/by/reason) and a new link is a new row.
    At most one active link per account and per person (partial unique constraints).
    No document number is ever stored: `evidence` names which kind of document was checked.
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="identity_links")
    person = models.ForeignKey("residents.Person", on_delete=models.PROTECT, related_name="identity_links")
    method = models.CharField(max_length=20, choices=LinkMethod.choices)
    assurance_level = models.CharField(max_length=20, choices=AssuranceLevel.choices)
    verified_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="identity_links_verified"
    )
    evidence = models.CharField(max_length=200, blank=True)  # e.g. 運転免許証 (the kind, never its number)
    provider = models.CharField(max_length=40, blank=True)  # identity provider plugin, for method "idp"
    subject = models.CharField(max_length=255, blank=True)  # the provider's pseudonymous user id (OIDC sub)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="identity_links_revoked"
    )
    revoked_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(revoked_at__isnull=True),
                name="identity_link_one_active_per_user",
            ),
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(revoked_at__isnull=True),
                name="identity_link_one_active_per_person",
            ),
        ]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "active"
        return f"{self.user} ↔ person {self.person_id} ({self.method}, {state})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
