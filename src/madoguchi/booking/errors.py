"""The booking room's expected failures: each says what went wrong and what to do, in Japanese and English."""

from __future__ import annotations

from madoguchi.core.errors import MadoguchiError


class BookingError(MadoguchiError):
    http_status = 409


def slot_full() -> BookingError:
    return BookingError(
        "booking.slot_full",
        "選んだ時間はちょうど満員になりました。予約はされていません。別の時間を選んでください。",
        "The time you chose has just been fully booked; nothing was booked. Please choose another time.",
        field="slot",
    )


def closed_day(reason: str) -> BookingError:
    return BookingError(
        "booking.closed_day",
        f"この日は閉庁日（{reason}）のため予約できません。別の日を選んでください。",
        f"The city hall is closed on that day ({reason}); nothing was booked. Please choose another day.",
        field="slot",
    )


def past() -> BookingError:
    return BookingError(
        "booking.past",
        "過ぎた日時は予約できません。これからの日時を選んでください。",
        "That time has already passed; nothing was booked. Please choose a time in the future.",
        field="slot",
    )


def too_far(days: int) -> BookingError:
    return BookingError(
        "booking.too_far",
        f"予約は{days}日先までです。もっと近い日を選んでください。",
        f"You can book up to {days} days ahead; nothing was booked. Please choose an earlier day.",
        field="slot",
    )


def not_a_slot() -> BookingError:
    return BookingError(
        "booking.not_a_slot",
        "その時間は予約の枠ではありません。表示されている時間から選んでください。",
        "That is not a bookable time; nothing was booked. Please choose one of the times shown.",
        field="slot",
    )


def duplicate() -> BookingError:
    return BookingError(
        "booking.duplicate",
        "同じ方が同じ日に同じ用件の予約をすでにお持ちです。時間を変えるには、お持ちの予約を変更してください。",
        "The same person already has a booking of this kind on that day; nothing was booked. To change the "
        "time, change the booking you have.",
        field="slot",
    )


def not_active() -> BookingError:
    return BookingError(
        "booking.not_active",
        "この予約は取り消されています。必要なら新しく予約してください。",
        "This booking has been cancelled. Please make a new booking if you need one.",
    )


def not_today() -> BookingError:
    return BookingError(
        "booking.not_today",
        "この予約は今日の予約ではありません。予約の日においでください。予約なしで番号札を取ることもできます。",
        "This booking is not for today. Please come on the day of your booking, or take a ticket without one.",
    )


def not_found() -> BookingError:
    return BookingError(
        "booking.not_found",
        "予約が見つかりませんでした。QRコードか、予約に使った電話番号と生年月日を確かめてください。",
        "No booking was found. Please check the QR code, or the phone number and date of birth you booked with.",
    )


def too_many_guest_bookings() -> BookingError:
    return BookingError(
        "booking.too_many_guest_bookings",
        "この端末から短い時間に多くの予約がありました。予約はされていません。1時間ほどたってからもう一度お試しいただくか、窓口にお電話ください。",
        "Many bookings were made from this device in a short time; nothing was booked. Please try again in an "
        "hour, or call the counter.",
    )
