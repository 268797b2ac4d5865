"""The demo town's announcements (お知らせ): two public ones and two targeted ones, written by 市民課 staff."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from madoguchi.accounts.models import Department, User, UserKind
from madoguchi.announcements.models import AgeBand, Announcement, HouseholdType
from madoguchi.residents.models import Person


def _busiest_town() -> str:
    row = (
        Person.objects.filter(is_active=True)
        .exclude(town="")
        .values("town")
        .annotate(n=Count("id"))
        .order_by("-n", "town")
        .first()
    )
    return row["town"] if row else ""


def create_demo_announcements() -> int:
    """Add the demo announcements that are not there yet (by Japanese title); returns how many were added."""
    department = Department.objects.filter(code="shimin").first()
    author = User.objects.filter(kind=UserKind.STAFF, department=department).order_by("pk").first()
    if department is None or author is None:
        return 0
    today = timezone.localdate()
    town = _busiest_town()
    rows = [
        dict(
            title_ja="年末年始の窓口業務について",
            title_en="City office hours over the New Year holidays",
            body_ja="12月29日から1月3日まで、市役所の窓口はお休みです。オンライン申請はこの間も受け付けます。",
            body_en="City office counters are closed from December 29 to January 3. "
            "Online applications are accepted during this time.",
            expires_on=today + dt.timedelta(days=40),
        ),
        dict(
            title_ja="マイナンバーカードの休日交付窓口を開きます",
            title_en="My Number Card pick-up on Sundays",
            body_ja="毎月第2日曜日の9時から12時まで、市民課でマイナンバーカードをお受け取りいただけます。予約が必要です。",
            body_en="On the second Sunday of each month, 9:00–12:00, you can pick up your My Number Card at the "
            "Citizens Division. Booking is required.",
        ),
        dict(
            title_ja="75歳以上の方へ：健康診査のご案内",
            title_en="For people aged 75 and over: free health check-up",
            body_ja="後期高齢者医療の健康診査を無料で受けられます。受診券は郵送でお届けします。",
            body_en="You can have a free health check-up under the medical care system for the elderly. "
            "Your voucher comes by post.",
            age_band=AgeBand.ELDERLY,
        ),
        dict(
            title_ja=f"{town}にお住まいの子育て世帯の方へ：公園の遊具点検"
            if town
            else "子育て世帯の方へ：公園の遊具点検",
            title_en=f"For families with children in {town}: playground inspection"
            if town
            else "For families with children: playground inspection",
            body_ja="地区の公園の遊具を点検します。点検中の遊具は使えません。",
            body_en="The playground equipment in your area's parks is being inspected and cannot be used meanwhile.",
            town=town,
            household_type=HouseholdType.WITH_CHILDREN,
        ),
    ]
    added = 0
    with transaction.atomic():
        for row in rows:
            if Announcement.objects.filter(title_ja=row["title_ja"]).exists():
                continue
            Announcement.objects.create(
                department=department,
                publish_on=today - dt.timedelta(days=1),
                created_by=author,
                updated_by=author,
                **row,
            )
            added += 1
    return added
