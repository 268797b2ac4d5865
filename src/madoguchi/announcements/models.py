"""City announcements (お知らせ): public notices and notices for residents of one area, age band or household type."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AgeBand(models.TextChoices):
    """Age bands an announcement may be for; ages are counted on the day the page is shown."""

    PRESCHOOL = "0-5", _("0〜5歳（未就学）")
    SCHOOL = "6-17", _("6〜17歳")
    YOUNG_ADULT = "18-39", _("18〜39歳")
    ADULT = "40-64", _("40〜64歳")
    SENIOR = "65-74", _("65〜74歳")
    ELDERLY = "75-", _("75歳以上")


# The band's youngest and oldest age (None: no upper limit).
AGE_BAND_RANGES: dict[str, tuple[int, int | None]] = {
    AgeBand.PRESCHOOL: (0, 5),
    AgeBand.SCHOOL: (6, 17),
    AgeBand.YOUNG_ADULT: (18, 39),
    AgeBand.ADULT: (40, 64),
    AgeBand.SENIOR: (65, 74),
    AgeBand.ELDERLY: (75, None),
}


class HouseholdType(models.TextChoices):
    SINGLE = "single", _("単身世帯")
    WITH_CHILDREN = "with_children", _("18歳未満の子どもがいる世帯")
    ELDERLY_ONLY = "elderly_only", _("65歳以上の方のみの世帯")


CHILD_UNDER = 18  # a household "with children" has an active member younger than this
ELDERLY_FROM = 65  # an "elderly only" household has no active member younger than this


class Announcement(models.Model):
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="announcements"
    )  # the owning department: its staff edit the announcement
    title_ja = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    body_ja = models.TextField()
    body_en = models.TextField()
    publish_on = models.DateField()  # shown from this day
    expires_on = models.DateField(null=True, blank=True)  # shown through this day; none: until removed
    # Targeting: all empty = public (portal home and list); any set = only residents whose registry record
    # matches every condition that is set, in their My Page.
    town = models.CharField(max_length=80, blank=True)  # 町字 as in residents.Person.town
    age_band = models.CharField(max_length=8, choices=AgeBand.choices, blank=True)
    household_type = models.CharField(max_length=20, choices=HouseholdType.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="announcements_created"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="announcements_updated"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-publish_on", "-id"]
        indexes = [models.Index(fields=["publish_on", "expires_on"], name="announcement_window")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(expires_on__gte=models.F("publish_on")),
                name="announcement_expires_after_publish",
            )
        ]

    def __str__(self) -> str:
        return self.title_ja

    @property
    def is_targeted(self) -> bool:
        return bool(self.town or self.age_band or self.household_type)

    def title_for(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_ja

    def body_for(self, lang: str) -> str:
        return self.body_en if lang == "en" else self.body_ja
