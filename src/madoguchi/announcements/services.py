"""Writing announcements: who may, and the one place they are saved (in a transaction).

Announcements hold no personal data, so writing them is not an audited look at personal data."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from madoguchi.accounts.models import Role
from madoguchi.announcements.models import Announcement
from madoguchi.core.errors import MadoguchiError

EDITABLE_FIELDS = (
    "title_ja",
    "title_en",
    "body_ja",
    "body_en",
    "publish_on",
    "expires_on",
    "town",
    "age_band",
    "household_type",
)


class AnnouncementPermissionError(MadoguchiError):
    pass


def may_write(user) -> bool:
    """Staff of a department (not auditors) write their department's announcements; a superuser any."""
    if not (user.is_authenticated and user.is_active and user.is_office_staff):
        return False
    if user.is_superuser:
        return True
    return user.department_id is not None and user.role != Role.AUDITOR


def may_edit(user, announcement: Announcement) -> bool:
    """Staff of the owning department (its department admin included) edit it; a superuser any."""
    if not may_write(user):
        return False
    return user.is_superuser or user.department_id == announcement.department_id


def save_announcement(*, user, data: dict, announcement: Announcement | None = None) -> Announcement:
    """Create (announcement None) or update an announcement from validated form data."""
    if announcement is None:
        if not may_write(user) or user.department_id is None:
            raise AnnouncementPermissionError(
                "announcement_create_denied",
                "お知らせを作成できるのは、担当課に所属する職員です。",
                "Only staff who belong to a department can write announcements.",
            )
        announcement = Announcement(department_id=user.department_id, created_by=user)
    elif not may_edit(user, announcement):
        raise AnnouncementPermissionError(
            "announcement_edit_denied",
            "このお知らせを編集できるのは、担当課の職員です。",
            "Only staff of the department that owns this announcement can edit it.",
        )
    for field in EDITABLE_FIELDS:
        value = data.get(field)
        setattr(
            announcement, field, value if field in ("publish_on", "expires_on") else (value or "").strip()
        )
    announcement.updated_by = user
    announcement.updated_at = timezone.now()
    with transaction.atomic():
        announcement.full_clean()
        announcement.save()
    return announcement
