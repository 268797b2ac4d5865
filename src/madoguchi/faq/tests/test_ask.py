"""Asking: the `faq ask` command's JSON, the chat service and its log (masked), and bad input of every kind."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from madoguchi.faq import index_cache, services
from madoguchi.faq.engine import MY_NUMBER_MASK
from madoguchi.faq.engine.cli import load_demo_entries
from madoguchi.faq.engine.normalise import my_number_check_digit
from madoguchi.faq.models import ChatQuestion, Intent
from madoguchi.faq.selectors import engine_entries
from madoguchi.faq.tests import factories

pytestmark = pytest.mark.django_db

FIRST_ELEVEN = "12345678901"
MY_NUMBER = FIRST_ELEVEN + str(my_number_check_digit(FIRST_ELEVEN))


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


# ---- the command -----------------------------------------------------------------------------------------------


def test_ask_command_prints_the_engine_json_for_one_question(demo_faq):
    out = io.StringIO()
    call_command("faq", "ask", "住民票がほしい", "--json", stdout=out)
    (line,) = _json_lines(out.getvalue())
    assert set(line) == {"results", "abstain"}
    assert line["abstain"] is False
    assert line["results"][0]["id"] == "FAQ-001"
    assert all(set(hit) == {"id", "score"} and 0 <= hit["score"] <= 1 for hit in line["results"])


def test_ask_command_reads_one_question_per_line_from_stdin(demo_faq):
    out = io.StringIO()
    stdin = io.StringIO("住民票がほしい\n\nHow do I throw away a sofa?\n")
    call_command("faq", "ask", "--json", "-", stdin=stdin, stdout=out)
    lines = _json_lines(out.getvalue())
    assert [line["abstain"] for line in lines] == [False, True, False]
    assert lines[1] == {"results": [], "abstain": True}
    assert lines[2]["results"][0]["id"] == "FAQ-086"


def test_ask_command_with_lang_and_details(demo_faq):
    out = io.StringIO()
    call_command("faq", "ask", "juminhyo", "--lang", "en", "--json", "--details", stdout=out)
    (line,) = _json_lines(out.getvalue())
    assert line["lang"] == "en" and "features" in line


def test_the_database_feeds_the_engine_exactly_the_demo_csv_entries(demo_faq):
    """So `madoguchi faq ask` on the demo database answers as `python -m madoguchi.faq.engine ask` does."""
    assert index_cache.content_key(engine_entries()) == index_cache.content_key(load_demo_entries())


def test_ask_command_does_not_log(demo_faq):
    call_command("faq", "ask", "住民票がほしい", "--json", stdout=io.StringIO())
    assert not ChatQuestion.objects.exists()


# ---- the service -------------------------------------------------------------------------------------------------


def test_answer_is_logged_with_its_top_entries(demo_faq):
    result = services.ask(question="マイナカードなくした", lang="ja")
    assert result.kind == "answer" and result.best.faq_id == "FAQ-030"
    log = ChatQuestion.objects.get()
    assert (log.question, log.lang, log.intent, log.abstained) == (
        "マイナカードなくした",
        "ja",
        Intent.FAQ,
        False,
    )
    assert log.top_id == "FAQ-030" and log.top_ids[0] == "FAQ-030"
    assert services.question_from_token(result.token) == log


def test_my_number_is_masked_before_anything_is_stored(demo_faq):
    spaced = f"{MY_NUMBER[:4]} {MY_NUMBER[4:8]} {MY_NUMBER[8:]}"
    result = services.ask(question=f"私の番号は{spaced}です。住民票がほしい", lang="ja")
    stored = ChatQuestion.objects.get().question
    assert MY_NUMBER_MASK in stored and MY_NUMBER[:4] not in stored
    assert MY_NUMBER_MASK in result.question and MY_NUMBER[:4] not in result.question
    assert result.best.faq_id == "FAQ-001"  # the number does not disturb the search


def test_twelve_digits_with_a_wrong_check_digit_are_kept(demo_faq):
    wrong = FIRST_ELEVEN + str((int(MY_NUMBER[-1]) + 1) % 10)
    services.ask(question=f"受付番号 {wrong} の住民票", lang="ja")
    assert wrong in ChatQuestion.objects.get().question


def test_html_is_removed_from_what_is_stored(demo_faq):
    services.ask(question="<script>alert('x')</script><b>住民票</b>がほしい", lang="ja")
    stored = ChatQuestion.objects.get().question
    assert "<" not in stored and "alert" not in stored and "住民票" in stored


@pytest.mark.parametrize("question", ["", "   ", "<b></b>", None, 42])
def test_empty_questions_are_answered_without_logging(departments, question):
    result = services.ask(question=question, lang="ja")
    assert result.kind == "empty" and result.abstain
    assert result.to_dict() == {"results": [], "abstain": True}
    assert not ChatQuestion.objects.exists()


def test_a_ten_thousand_character_question_is_shortened_before_storage(demo_faq):
    story = "先月みどり市に引っ越してきました。" * 600 + "住民票の写しはどこでとれますか？"
    assert len(story) > 10_000
    result = services.ask(question=story, lang="ja")
    assert result.shortened and len(result.question) <= 1000
    assert len(ChatQuestion.objects.get().question) <= 1000
    assert result.kind in {"answer", "abstain"}


@pytest.mark.parametrize("lang", ["fr", "zz", None, "", 7, "klingon"])
def test_unknown_languages_fall_back_to_detection(demo_faq, lang):
    result = services.ask(question="粗大ごみを出したい", lang=lang)
    assert result.lang == "ja" and result.best.faq_id == "FAQ-086"


def test_english_question_gets_the_english_version_when_there_is_one(demo_faq):
    result = services.ask(question="Where can I get a copy of my certificate of residence?", lang="en")
    assert result.lang == "en" and result.best.faq_id == "FAQ-001"
    assert result.best.lang == "en" and result.best.question.startswith("I need a copy")


def test_english_page_falls_back_to_japanese_text(demo_faq):
    result = services.ask(question="How do I get a koseki tohon?", lang="en")
    assert result.best is not None
    assert result.best.lang in {"ja", "en"}
    assert ChatQuestion.objects.get().lang == "en"


def test_procedure_link_only_when_the_procedure_is_published(demo_faq):
    result = services.ask(question="住民票がほしい", lang="ja")
    assert result.best.procedure_slug == ""  # mapped to juminhyo-copy, but not published here
    factories.make_procedure(slug="juminhyo-copy")
    result = services.ask(question="住民票がほしい", lang="ja")
    assert result.best.procedure_slug == "juminhyo-copy"
    assert result.best.life_event == "certificates"


def test_abstention_is_logged_for_the_analytics(demo_faq):
    result = services.ask(question="期日前投票はどこでできますか", lang="ja")
    assert result.kind == "abstain" and result.best is None
    log = ChatQuestion.objects.get()
    assert log.abstained and log.top_id == ""


def test_asking_for_a_person_is_recognised(demo_faq):
    result = services.ask(question="職員と話したいです", lang="ja")
    assert result.kind == Intent.HUMAN
    assert ChatQuestion.objects.get().intent == Intent.HUMAN


def test_easy_japanese_answer_is_preferred_when_asked_for(departments, tmp_path):
    path = factories.write_csv(
        tmp_path / "easy.csv",
        [
            "FAQ-001,住民票・証明書,住民票はどこでとれますか。,市民課で請求できます。,,住民票,しやくしょで もらえます。"
        ],
        header="id,category,question,answer,procedure,keywords,easy_answer",
    )
    services.import_faq_csv(path=path, lang="ja")
    result = services.ask(question="住民票はどこでとれますか", lang="ja-easy")
    assert result.easy_preferred and result.best.easy_answer == "しやくしょで もらえます。"
    assert ChatQuestion.objects.get().lang == "ja-easy"


def test_feedback_is_recorded(demo_faq):
    result = services.ask(question="住民票がほしい", lang="ja")
    services.record_feedback(question=services.question_from_token(result.token), helpful=False)
    assert ChatQuestion.objects.get().helpful is False


def test_a_forged_token_names_no_question(demo_faq):
    services.ask(question="住民票がほしい", lang="ja")
    assert services.question_from_token("1:forged") is None
    assert services.question_from_token("") is None


def test_the_index_is_rebuilt_after_an_edit(demo_faq, staff_of):
    from madoguchi.faq.models import FaqEntry

    before = index_cache.current_index()
    staff = staff_of("kankyo")
    entry = FaqEntry.objects.get(faq_id="FAQ-086")
    services.save_faq_version(
        entry=entry,
        staff=staff,
        lang="ja",
        question="ソファやタンスなど大きな家具を捨てたいです。",
        answer="粗大ごみ受付センターに申し込んでください。ドラゴンフルーツの皮は燃やすごみです。",
        keywords="粗大ごみ",
    )
    after = index_cache.current_index()
    assert after is not before
    assert services.ask(question="粗大ごみ", lang="ja").best.answer.startswith("粗大ごみ受付センター")
