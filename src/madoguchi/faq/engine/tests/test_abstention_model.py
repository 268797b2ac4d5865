"""The logistic abstention model (rounds two and three) and the request-ending strip used by both retrievers."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from madoguchi.faq.engine import FaqIndex, Features, LogisticAbstention
from madoguchi.faq.engine.abstention import LOGISTIC_FEATURES, ROUND_THREE_FEATURES, feature_vector
from madoguchi.faq.engine.encoders import registry
from madoguchi.faq.engine.index import content_bigrams
from madoguchi.faq.engine.normalise import strip_request

N = len(LOGISTIC_FEATURES)


def _features(**changes) -> Features:
    base = {
        "score": 0.8,
        "margin": 0.4,
        "coverage": 0.9,
        "unknown_share": 0.0,
        "n_concepts": 3,
        "lang": "ja",
        "has_dense": True,
        "fused_margin": 0.3,
        "dense_top": 0.7,
        "dense_z": 4.5,
        "dense_margin": 0.1,
        "dense_of_best": 0.7,
        "agree": 1.0,
        "dense_top_in_lex": 0.0,
        "lex_top_in_dense": 0.0,
        "char_cover": 0.9,
        "char_known": 1.0,
        "dense_z_best": 4.5,
        "lex_rank_best": 0.0,
        "kana": 0.0,
        "n_sentences": 1.0,
    }
    base.update(changes)
    return Features(**base)


def _coverage_only(threshold: float = 0.5) -> LogisticAbstention:
    """P = sigmoid(4 × (coverage − 0.5) / 0.25): a model that only looks at coverage."""
    coefficients = [0.0] * N
    coefficients[LOGISTIC_FEATURES.index("coverage")] = 4.0
    means = [0.0] * N
    means[LOGISTIC_FEATURES.index("coverage")] = 0.5
    sds = [1.0] * N
    sds[LOGISTIC_FEATURES.index("coverage")] = 0.25
    return LogisticAbstention(tuple(means), tuple(sds), 0.0, tuple(coefficients), threshold)


def test_probability_is_the_logistic_of_the_standardised_features():
    model = _coverage_only()
    assert model.probability(_features(coverage=0.5)) == pytest.approx(0.5)
    assert model.probability(_features(coverage=0.75)) == pytest.approx(1 / (1 + math.exp(-4.0)))
    assert model.decide(_features(coverage=0.9)).reason == "confident"
    decision = model.decide(_features(coverage=0.1))
    assert decision.abstain and decision.reason == "low_coverage"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"coverage": 0.3, "unknown_share": 0.7}, "unknown_words"),
        ({"coverage": 0.3, "dense_top_in_lex": 20, "lex_top_in_dense": 15}, "retrievers_disagree"),
        ({"coverage": 0.1}, "low_coverage"),
        ({"coverage": 0.3}, "low_confidence"),
    ],
)
def test_an_abstention_names_its_most_telling_symptom(changes, reason):
    decision = _coverage_only().decide(_features(**changes))
    assert decision.abstain and decision.reason == reason


def test_without_a_dense_retriever_the_lexical_rule_decides():
    lexical_only = Features(0.5, 0.2, 0.1, 0.0, 2, "ja")
    assert _coverage_only(threshold=0.0).decide(lexical_only).reason == "low_coverage"


def test_a_model_with_the_wrong_number_of_constants_is_refused():
    with pytest.raises(ValueError, match="13"):
        LogisticAbstention((0.0,), (1.0,), 0.0, (1.0,), 0.5)


def test_a_model_naming_an_unknown_input_is_refused():
    with pytest.raises(ValueError, match="no_such_feature"):
        LogisticAbstention((0.0,), (1.0,), 0.0, (1.0,), 0.5, features=("no_such_feature",))


def test_a_model_reads_the_inputs_it_names():
    model = LogisticAbstention((0.5,), (0.25,), 0.0, (4.0,), 0.5, features=("char_cover",))
    assert model.probability(_features(char_cover=0.5, coverage=0.0)) == pytest.approx(0.5)
    assert model.decide(_features(char_cover=0.9, coverage=0.0)).reason == "confident"
    assert model.decide(_features(char_cover=0.1, coverage=0.9)).abstain


def test_feature_vector_of_named_inputs():
    vector = feature_vector(_features(lex_rank_best=3, n_sentences=4, char_known=0.25), ROUND_THREE_FEATURES)
    assert len(vector) == len(ROUND_THREE_FEATURES) == 19
    assert vector[ROUND_THREE_FEATURES.index("log1p(lex_rank_best)")] == pytest.approx(math.log(4))
    assert vector[ROUND_THREE_FEATURES.index("log1p(n_sentences)")] == pytest.approx(math.log(5))
    assert vector[ROUND_THREE_FEATURES.index("char_known")] == 0.25


def test_feature_vector_puts_ranks_and_counts_on_a_log_scale():
    vector = feature_vector(_features(dense_top_in_lex=9, n_concepts=3))
    assert len(vector) == N
    assert vector[LOGISTIC_FEATURES.index("log1p(dense_top_in_lex)")] == pytest.approx(math.log(10))
    assert vector[LOGISTIC_FEATURES.index("log1p(n_concepts)")] == pytest.approx(math.log(4))


def test_the_shipped_model_prefers_answering_when_the_retrievers_back_the_entry():
    model = registry.get("use-m3").abstention
    assert model.features == ROUND_THREE_FEATURES
    sure = _features()
    unsure = _features(
        coverage=0.1, unknown_share=0.6, score=0.3, dense_z=2.0, agree=0.0,
        dense_top_in_lex=30, lex_top_in_dense=30, n_concepts=1,
        char_cover=0.1, char_known=0.4, dense_z_best=2.0, lex_rank_best=30,
    )  # fmt: skip
    assert model.probability(sure) > model.threshold > model.probability(unsure)
    assert not model.decide(sure).abstain and model.decide(unsure).abstain


@pytest.mark.parametrize(
    ("text", "stripped"),
    [
        ("粗大ごみの出し方を教えてください", "粗大ごみの出し方"),
        ("ごみの分け方と出し方を教えてください。", "ごみの分け方と出し方"),
        ("国保について知りたいです。", "国保"),
        ("教えてください", "教えてください"),  # nothing would be left
        ("住民票はどこで取れますか？", "住民票はどこで取れますか？"),
    ],
)
def test_a_trailing_request_phrase_is_not_searched(text, stripped):
    assert strip_request(text) == stripped


def test_large_item_collection_beats_the_general_garbage_entry(demo_index):
    """A miss seen in use: 粗大ごみの出し方を教えてください ranked FAQ-085 (ごみの分け方と出し方を教えてください) first."""
    for question in ("粗大ごみの出し方を教えてください", "粗大ごみの出し方"):
        assert demo_index.ask(question).results[0].id == "FAQ-086"


def test_spray_cans_in_english_are_answered_not_declined(demo_index):
    answer = demo_index.ask("How do I throw away spray cans and gas cartridges?", lang="en")
    assert answer.results[0].id == "FAQ-091" and not answer.abstain


def test_ask_json_contract_is_unchanged():
    result = subprocess.run(
        [sys.executable, "-m", "madoguchi.faq.engine", "ask", "--json", "-"],
        input="粗大ごみの出し方を教えてください\nピアノの弾き方を教えて\n",
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 2 and all(set(line) == {"results", "abstain"} for line in lines)
    assert lines[0]["results"][0]["id"] == "FAQ-086" and lines[0]["abstain"] is False
    assert all(set(hit) == {"id", "score"} for hit in lines[0]["results"])
    assert lines[1]["abstain"] is True


# --- round three: does the entry shown cover the question? -------------------------------------------


def test_content_bigrams_keep_kanji_katakana_and_latin_runs_only():
    assert content_bigrams("住民票の除票をください") == {"住民", "民票", "除票"}
    assert content_bigrams("マイナンバーカードは？") >= {"マイ", "カー", "ード"}
    assert content_bigrams("犬を飼う") == {"犬", "飼"}  # a lone kanji counts as itself
    assert content_bigrams("ごみ の だしかた") == set()
    assert content_bigrams("ＤＶＤ 2枚") == {"dv", "vd", "2枚"}  # NFKC, lower case


def test_the_entry_shown_covers_a_word_the_segmentation_splits(demo_index):
    """除票 is split by Sudachi (除 is dropped); its characters are still found in FAQ-006 (住民票の除票)."""
    answer = demo_index.ask("除票 取り方")
    assert answer.results[0].id == "FAQ-006"
    assert answer.features["char_cover"] == pytest.approx(2 / 3)  # 除票 and 取 (取得) found, 方 not
    assert answer.features["char_known"] > answer.features["char_cover"]


def test_words_no_entry_has_lower_char_known(demo_index):
    known = demo_index.ask("住民票の取り方").features
    unknown = demo_index.ask("狂犬病の注射の日程").features
    assert known["char_known"] == 1.0 and unknown["char_known"] < 0.7


def test_english_and_hiragana_questions_use_the_lexical_values(demo_index):
    english = demo_index.ask("How do I get a copy of my residence record?", lang="en").features
    assert english["char_cover"] == english["coverage"]
    assert english["char_known"] == pytest.approx(1 - english["unknown_share"])
    kana = demo_index.ask("ごみ を だす ひ を おしえて ください").features
    assert kana["kana"] == 1.0 and kana["char_cover"] == kana["coverage"]


def test_sentences_and_the_shown_entrys_ranks_are_reported(demo_index):
    story = "先月引っ越してきました。子どもが二人います。転入の手続きには何が必要ですか。"
    features = demo_index.ask(story).features
    assert features["n_sentences"] == 3.0 and features["kana"] == 0.0
    assert features["lex_rank_best"] >= 0.0 and features["dense_z_best"] <= features["dense_z"]


def test_lexical_only_answers_carry_no_model_inputs(demo_entries):
    features = FaqIndex.build(demo_entries, encoder="none").ask("住民票の取り方").features
    assert not {"char_cover", "char_known", "kana", "n_sentences", "dense_z_best"} & set(features)
