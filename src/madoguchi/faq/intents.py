"""What a chat message asks for besides an FAQ answer: the status of one's application, or a person.

Patterns run on the normalised question (faq.engine.normalise_question: NFKC, lower case, no HTML). They are
kept small and explicit so that staff can read why a message was routed; add phrases residents really type
(the analytics page lists them) rather than broad words.
"""

from __future__ import annotations

import re

from madoguchi.faq.models import Intent

# 「申請の状況」「申請はどうなっていますか」 / "where is my application?", "status of my application"
_STATUS = re.compile(
    "|".join(
        [
            r"(申請|届出?|手続き?)(の|した|している)?(状況|状態|進捗|進み具合)",
            r"(申請|届出?|手続き?)[^。?]{0,12}(どうなって|どこまで|進んで|終わって|終わりました|済んで)",
            r"(審査|処理)(の)?(状況|状態|進捗|進み具合)",
            r"しんせい[^。?]{0,8}(どう なって|どうなって|じょうきょう)",
            r"(status|progress) of (my|our) (application|case|request|submission)",
            r"(my|our) (application|case|request|submission)('s)? (status|progress)",
            r"where('s| is) (my|our) (application|case|request|submission)",
            r"(track|check|follow) (my|our|the status of my) (application|case|request)",
            r"has my (application|case|request) been",
            r"^application status\??$",
        ]
    )
)

# 「職員と話したい」「人に相談したい」 / "talk to a person"
_HUMAN = re.compile(
    "|".join(
        [
            r"(人|ひと|職員|担当者|担当の方|係の人|オペレーター|窓口の人)(と|に|へ)(話|はな|相談|つない|代わ|問い合わせ)",
            r"(問い合わせ|問合せ|といあわせ)(たい|したい|させて)",
            r"(talk|speak|chat) (to|with) (a |an |the |some )?(person|human|someone|staff|operator|agent|officer)",
            r"(real|actual) (person|human)",
            r"contact (a |the )?(staff|person|officer|department)",
        ]
    )
)


def detect_intent(normalised_question: str) -> str:
    """Intent.STATUS, Intent.HUMAN or Intent.FAQ (the default: search the FAQ)."""
    if _STATUS.search(normalised_question):
        return Intent.STATUS
    if _HUMAN.search(normalised_question):
        return Intent.HUMAN
    return Intent.FAQ
