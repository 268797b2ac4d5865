import json
import threading
import time

import pytest

from madoguchi.faq.engine import FaqEntry, FaqIndex, mask_my_number
from madoguchi.faq.engine.normalise import my_number_check_digit

from .conftest import top_ids


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("住民票の写しはどこで取れますか", "FAQ-001"),
        ("マイナカードなくしちゃった", "FAQ-030"),  # colloquial + synonym
        ("ハンコの登録をしたい", "FAQ-019"),  # 判子 → 印鑑
        ("じゅうみんひょうを コンビニで とりたい", "FAQ-004"),  # kana spelling
        ("国民健康保健に入りたい。会社をやめました", "FAQ-044"),  # homophone typo 保健/保険
        ("粗大ゴミ 申し込み", "FAQ-086"),  # keywords only
        ("ｺﾝﾋﾞﾆで住民票", "FAQ-004"),  # half-width katakana
        ("スプレー缶の捨て方", "FAQ-091"),
    ],
)
def test_japanese_questions_find_their_entry(demo_index, question, expected):
    assert top_ids(demo_index, question)[0] == expected


def test_near_neighbours_are_told_apart(demo_index):
    assert top_ids(demo_index, "児童扶養手当と児童手当の違い")[0] == "FAQ-070"
    assert top_ids(demo_index, "罹災証明書と被災証明書は何が違う")[0] == "FAQ-123"
    assert top_ids(demo_index, "市内で引っ越したときの届出")[0] == "FAQ-037"


def test_long_story_with_the_question_buried_inside(demo_index):
    story = (
        "先月、夫の転勤でこちらに越してきました。子どもが二人いて毎日ばたばたしています。"
        "上の子は小学生で、下の子はまだ1歳です。前の市でもらった予防接種の予診票が残っていますが、"
        "こちらでも使えますか。"
    )
    answer = demo_index.ask(story)
    assert answer.results[0].id == "FAQ-104"
    assert not answer.abstain


def test_english_question_with_an_english_entry(demo_index):
    answer = demo_index.ask("How do I throw away an old sofa?", lang="en")
    assert answer.results[0].id == "FAQ-086"
    assert answer.lang == "en" and not answer.abstain


def test_english_question_bridged_to_a_japanese_only_entry(demo_index):
    assert "en" not in demo_index.versions("FAQ-059")
    answer = demo_index.ask("I lost my pension book.", lang="en")
    assert answer.results[0].id == "FAQ-059" and not answer.abstain
    assert demo_index.entry("FAQ-059", "en").lang == "ja"  # falls back to Japanese


def test_mixed_script_question(demo_index):
    assert top_ids(demo_index, "How do I get 住民票?")[0] == "FAQ-001"


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("今日の天気は？", "ja"),
        ("おすすめのラーメン屋を教えて", "ja"),
        ("ふるさと納税の返礼品には何がありますか", "ja"),
        ("あいうえお", "ja"),
        ("ｗｗｗ", "ja"),
        ("asdf qwerty", "en"),
        ("What's the weather tomorrow?", "en"),
        ("Can you recommend a good sushi restaurant?", "en"),
    ],
)
def test_nonsense_and_off_topic_questions_abstain(demo_index, question, lang):
    assert demo_index.ask(question, lang=lang).abstain


@pytest.mark.parametrize("question", ["", "   ", None, "。。。", "<br><br>", "!!!???"])
def test_empty_questions_abstain_with_no_results(demo_index, question):
    answer = demo_index.ask(question)
    assert answer.abstain and answer.results == []
    assert answer.to_dict() == {"results": [], "abstain": True}


def test_html_and_script_in_a_question(demo_index):
    answer = demo_index.ask(
        '<script>alert("住民票")</script><img src=x onerror=alert(1)>印鑑登録<b>したい</b>'
    )
    assert answer.results[0].id == "FAQ-019"
    assert "<" not in answer.to_json(details=True)


def test_ten_thousand_characters(demo_index):
    question = "ちょっと聞いてください。" * 800 + "粗大ごみの出し方を教えてください。"
    question = question[-10_000:]
    start = time.perf_counter()
    answer = demo_index.ask(question)
    assert time.perf_counter() - start < 2.0
    # The fused ranking puts ごみの出し方 (FAQ-085) before 粗大ごみ (FAQ-086) for the question alone
    # (docs/faq-engine.md, known weaknesses); this message is mostly hiragana, so its dense weight is 0
    # and the lexical ranking (FAQ-086 first) decides. Either way both must be on top.
    assert answer.results[0].id in {"FAQ-085", "FAQ-086"}
    assert {"FAQ-085", "FAQ-086"} <= {h.id for h in answer.results[:3]}


def test_a_hundred_thousand_characters_of_noise_do_not_crash(demo_index):
    answer = demo_index.ask("<div>" * 20_000)
    assert answer.abstain


def test_my_number_in_a_question_is_masked_and_ignored(demo_index):
    number = "12345678901" + str(my_number_check_digit("12345678901"))
    question = f"マイナンバーカードをなくしました。{number}"
    assert number not in mask_my_number(question)
    with_number = demo_index.ask(question).to_json(details=True)
    assert with_number == demo_index.ask("マイナンバーカードをなくしました。").to_json(details=True)
    assert top_ids(demo_index, question)[0] == "FAQ-030"


def test_unknown_language_is_detected(demo_index):
    assert demo_index.ask("住民票がほしい", lang="fr").lang == "ja"
    assert demo_index.ask("garbage collection day", lang="zz").lang == "en"
    assert demo_index.ask("住民票がほしい", lang=None).lang == "ja"  # type: ignore[arg-type]


def test_limit_is_clamped(demo_index):
    assert len(demo_index.ask("住民票", limit=0).results) == 1
    assert len(demo_index.ask("住民票", limit=1000).results) <= 50
    assert len(demo_index.ask("住民票", limit="x").results) == 5  # type: ignore[arg-type]


def test_json_shape(demo_index):
    data = json.loads(demo_index.ask("住民票", limit=2).to_json())
    assert set(data) == {"results", "abstain"}
    assert [set(r) for r in data["results"]] == [{"id", "score"}] * 2
    assert 0.0 < data["results"][0]["score"] <= 1.0
    detailed = json.loads(demo_index.ask("住民票").to_json(details=True))
    assert {"reason", "lang", "features"} <= set(detailed)


def test_scores_are_ranked(demo_index):
    scores = [h.score for h in demo_index.ask("児童手当の申請", limit=10).results]
    assert scores == sorted(scores, reverse=True)


def test_determinism_across_calls_and_builds(demo_entries, demo_index):
    questions = ["住民票がほしい", "How do I get rid of my fridge?", "ごみの分別", "犬の登録"]
    first = [demo_index.ask(q).to_json(details=True) for q in questions]
    again = [demo_index.ask(q).to_json(details=True) for q in questions]
    rebuilt = FaqIndex.build(list(reversed(demo_entries)))
    assert first == again
    assert [rebuilt.ask(q).to_dict()["abstain"] for q in questions] == [
        json.loads(a)["abstain"] for a in first
    ]
    assert [rebuilt.ask(q).results[0].id for q in questions] == [
        demo_index.ask(q).results[0].id for q in questions
    ]


def test_concurrent_questions(demo_index):
    expected = demo_index.ask("印鑑証明がほしい").to_json()
    results: list[str] = []

    def worker():
        for _ in range(5):
            results.append(demo_index.ask("印鑑証明がほしい").to_json())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 20


def test_custom_entries_and_synonyms():
    entries = [
        FaqEntry("A", "ごみ", "犬の登録はどこでしますか", "保健所で登録します。", keywords=("犬", "狂犬病")),
        FaqEntry("B", "税", "固定資産税の納付", "4月に通知します。"),
        FaqEntry("A", "Garbage", "Where do I register my dog?", "At the health centre.", lang="en"),
    ]
    index = FaqIndex.build(entries, synonyms={"犬": ["ワンちゃん", "わんこ"]})
    assert len(index) == 2
    assert index.ask("ワンちゃんを飼い始めた").results[0].id == "A"
    assert index.ask("dog registration", lang="en").results[0].id == "A"
    assert index.entry("A", "en").lang == "en"
    assert index.entry("missing") is None
    assert set(index.versions("A")) == {"ja", "en"}


def test_empty_index_abstains():
    answer = FaqIndex.build([]).ask("住民票")
    assert answer.abstain and answer.results == []


def test_easy_japanese_hint(demo_index):
    assert demo_index.ask("じゅうみんひょうが ほしいです。どこで もらえますか。").prefer_easy_japanese
    assert not demo_index.ask("住民票の写しの請求方法").prefer_easy_japanese
