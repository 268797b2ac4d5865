"""Registry read-model (住民記録), synced from the core system. Minimal here; the resident data hub deepens it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Household(models.Model):  # 世帯
    number = models.CharField(max_length=20, unique=True)  # 世帯番号

    def __str__(self) -> str:
        return self.number


class Sex(models.TextChoices):
    MALE = "1", _("男")
    FEMALE = "2", _("女")


class Person(models.Model):  # 住民
    atena_number = models.CharField(max_length=20, unique=True)  # 宛名番号 (key in the core system)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="members")
    name = models.CharField(max_length=100)  # 氏名
    name_kana = models.CharField(max_length=200)  # 氏名フリガナ (katakana)
    birth_date = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    relationship = models.CharField(max_length=40)  # 続柄
    postal_code = models.CharField(max_length=7)
    prefecture = models.CharField(max_length=10)
    city = models.CharField(max_length=40)
    town = models.CharField(max_length=80)  # 町字
    banchi = models.CharField(max_length=80)  # 番地
    building = models.CharField(max_length=120, blank=True)  # 方書
    resident_since = models.DateField()  # 住民となった日
    is_active = models.BooleanField(default=True)  # 住民状態: 住登内
    support_measure = models.BooleanField(default=False)  # 支援措置 (DV protection): never show the address

    class Meta:
        indexes = [models.Index(fields=["name_kana", "birth_date"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.atena_number})"

    @property
    def address(self) -> str:
        return f"{self.prefecture}{self.city}{self.town}{self.banchi}{(' ' + self.building) if self.building else ''}"
