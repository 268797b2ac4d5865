"""A valid 住民票の写し application, as the portal's API client would send it."""

from __future__ import annotations


def valid_payload(procedure) -> dict:
    if procedure.slug != "juminhyo-copy":
        raise ValueError("the platform benchmark submits 住民票の写し (juminhyo-copy) only")
    return {
        "applicant_name": "緑川 花子",
        "applicant_kana": "みどりかわ はなこ",
        "applicant_birth_date": "昭和33年4月12日",
        "applicant_postal_code": "100-0001",
        "applicant_address": "東京都千代田区千代田1番1号",
        "applicant_phone": "090-1234-5678",
        "scope": "self",
        "copies": "1",
        "purpose": "employment",
        "delivery_method": "counter",
        "agree": "on",
    }
