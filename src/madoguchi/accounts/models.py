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
