"""One Japanese text, one English meaning: the rooms' translation catalogues do not contradict each other.

Django merges every app's catalogue into one, and for a msgid that two rooms translate differently the
first app in INSTALLED_APPS wins everywhere: the booking room's 受付 ("Check-in") showed as the portal's
"Received". A short text whose meaning depends on the room takes a context (`pgettext`, `{% translate "…"
context "…" %}`). The texts below are translated differently in some rooms but mean the same in each, so
whichever wins reads right; a new entry here needs that check, not just a line.
"""

from __future__ import annotations

import gettext
from collections import defaultdict
from pathlib import Path

from django.apps import apps

SAME_MEANING = {
    "フリガナ",  # Name in katakana / Reading (katakana)
    "住民記録",  # Resident register / Registry record
    "入力内容に問題があります",  # There is a problem / There is a problem with what you entered
    "本人確認・紐付け",  # Identity verification and linking / Identity check and link
    "決裁者",  # Approver / Decided by
    "確認した本人確認書類",  # ID document checked / Identity document checked
    "運転免許証",  # Driving licence / Driver's licence
    "お知らせ",  # Notices / Notice
    "まだ入力されていない項目や、直す必要のある項目があります。",  # Some answers are missing or need to be corrected. / Some answers are missing or need correcting.
    "オンライン申請できます",  # Apply online / Online application available
    "キーワード",  # Keyword / Keywords
    "メールアドレスを入力してください。",  # Please enter your email address. / Enter your email address.
    "例：midori.taro@example.jp",  # e.g. midori.taro@example.jp / Example: midori.taro@example.jp
    "入力してください。",  # Please fill this in. / Enter this.
    "受付",  # Received / Check-in
    "受付番号",  # Reference number / Reference
    "完了",  # Completed / Closed / Done
    "手続き",  # Procedure / Application
    "手続きの一覧を見る",  # See the list of procedures / See all procedures
    "期限",  # Deadline / Due
    "条件をクリア",  # Clear the search / Clear filters
    "証明書がほしい",  # Getting a certificate / Certificates
    "「まで」の日付は「から」の日付と同じか、それより後にしてください。",  # The 'to' date must be the same as or later than the 'from' date. / The end date must be the same as or later than the start date.
    "この画面を開く権限がありません",  # You do not have access to this page / You do not have permission to open this page
    "受付一覧へ戻る",  # Back to the queue / Back to the case queue
    "受付日時",  # Received / Received at
    "操作",  # Actions / Action
    "数値は隣の表のとおり",  # the numbers are in the table beside it / the figures are in the table beside it
    "日時",  # Date and time / When
    "状態ごとの件数",  # Cases per status / Count by status
    "番号",  # No. / ID / Number
    "種類",  # Type / Kind
    "経過",  # History / Progress
    "絞り込む",  # Apply filters / Filter
    "職員",  # Staff member / Clerk
    "項目",  # Fields / Field / Item
    "なし",  # None / No
    "申請の状況",  # Application status / Your application
    "選んでください",  # Please choose / Choose one / Choose
    "ページ",  # Pages / Page
    "取り込む",  # Import / Send
    "基準日",  # Reference date / Base date
    "結果",  # Result / Outcome
    "説明",  # Explanation / Description
    "窓口",  # Counter / Window
    "1枠の定員",  # Seats per slot / Capacity per slot
    "予約できませんでした",  # Nothing was booked / The booking could not be made
    "予約の確認・変更・取消し",  # Your booking / See, change or cancel my booking
    "予約を取り消しました。",  # Your booking is cancelled. / Your booking was cancelled.
    "日時を変更する",  # Change the time / Change the date and time
    "処理",  # Action / Actions
    "申請",  # Application / Applications
}


def _english_by_msgid() -> dict[str, dict[str, str]]:
    """msgid (without a context) → {app label: English} over every installed app's compiled catalogue."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for app in apps.get_app_configs():
        path = Path(app.path) / "locale" / "en" / "LC_MESSAGES" / "django.mo"
        if not path.exists():
            continue
        with path.open("rb") as handle:
            catalogue = gettext.GNUTranslations(handle)._catalog
        for msgid, text in catalogue.items():
            if isinstance(msgid, str) and msgid and "\x04" not in msgid:
                found[msgid][app.label] = text
    return found


def _clashes(english: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    return {
        msgid: by_app
        for msgid, by_app in english.items()
        if len(set(by_app.values())) > 1 and msgid not in SAME_MEANING
    }


def test_no_two_rooms_translate_one_text_differently():
    assert _clashes(_english_by_msgid()) == {}, (
        "These texts have different English in different rooms; the first room in INSTALLED_APPS wins "
        "everywhere. Give the room's text a context (pgettext / {% translate … context … %})."
    )


def test_the_check_sees_a_clash_when_there_is_one():
    english = {"受付済み": {"booking": "Checked in", "intake": "Filed"}, "表示": {"a": "Show", "b": "Show"}}
    assert _clashes(english) == {"受付済み": {"booking": "Checked in", "intake": "Filed"}}


def test_texts_listed_as_same_meaning_still_clash():
    # an entry that no longer clashes is stale: remove it, so that the list stays a list of checked cases
    english = _english_by_msgid()
    stale = sorted(m for m in SAME_MEANING if len(set(english.get(m, {}).values())) < 2)
    assert stale == []
