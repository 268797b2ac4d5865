"""The logistic abstention model (rounds two to four) and the request-ending strip used by both retrievers."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from madoguchi.faq.engine import FaqIndex, Features, LogisticAbstention
from madoguchi.faq.engine.abstention import (
    LOGISTIC_FEATURES,
    ROUND_FOUR_FEATURES,
    ROUND_THREE_FEATURES,
    feature_vector,
)
from madoguchi.faq.engine.analysis import JapaneseAnalyser
from madoguchi.faq.engine.encoders import registry
from madoguchi.faq.engine.encoders.hashing import HashingEncoder
from madoguchi.faq.engine.index import content_bigrams
from madoguchi.faq.engine.lexicon import SynonymTable
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
        "sem_cover": 0.9,
        "focus_self": 1.0,
        "focus_gain": 0.0,
        "english": 0.0,
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


def test_a_clipped_model_counts_an_input_at_most_clip_standard_deviations_away():
    clipped = LogisticAbstention((0.0,), (0.1,), 0.0, (1.0,), 0.5, features=("dense_margin",), clip=3.0)
    assert clipped.probability(_features(dense_margin=1.0)) == pytest.approx(1 / (1 + math.exp(-3.0)))
    assert clipped.probability(_features(dense_margin=-0.1)) == pytest.approx(1 / (1 + math.exp(1.0)))
    unclipped = LogisticAbstention((0.0,), (0.1,), 0.0, (1.0,), 0.5, features=("dense_margin",))
    assert unclipped.probability(_features(dense_margin=1.0)) == pytest.approx(1 / (1 + math.exp(-10.0)))


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


def test_round_four_inputs_give_english_questions_their_own_focus_slopes():
    assert len(ROUND_FOUR_FEATURES) == 26 and ROUND_FOUR_FEATURES[:19] == ROUND_THREE_FEATURES
    vector = feature_vector(
        _features(sem_cover=0.5, focus_self=0.8, focus_gain=-0.1, english=1.0), ROUND_FOUR_FEATURES
    )
    named = dict(zip(ROUND_FOUR_FEATURES, vector, strict=True))
    assert named["focus_self"] == named["english*focus_self"] == 0.8
    assert named["english*focus_gain"] == pytest.approx(-0.1) and named["english*sem_cover"] == 0.5
    japanese = dict(
        zip(ROUND_FOUR_FEATURES, feature_vector(_features(focus_self=0.8), ROUND_FOUR_FEATURES), strict=True)
    )
    assert japanese["english"] == japanese["english*focus_self"] == 0.0


def test_feature_vector_puts_ranks_and_counts_on_a_log_scale():
    vector = feature_vector(_features(dense_top_in_lex=9, n_concepts=3))
    assert len(vector) == N
    assert vector[LOGISTIC_FEATURES.index("log1p(dense_top_in_lex)")] == pytest.approx(math.log(10))
    assert vector[LOGISTIC_FEATURES.index("log1p(n_concepts)")] == pytest.approx(math.log(4))


def test_the_shipped_model_prefers_answering_when_the_retrievers_back_the_entry():
    model = registry.get("use-m3").abstention
    assert model.features == ROUND_FOUR_FEATURES
    sure = _features()
    unsure = _features(
        coverage=0.1, unknown_share=0.6, score=0.3, dense_z=2.0, agree=0.0,
        dense_top_in_lex=30, lex_top_in_dense=30, n_concepts=1,
        char_cover=0.1, char_known=0.4, dense_z_best=2.0, lex_rank_best=30,
        sem_cover=0.2, focus_self=0.4,
    )  # fmt: skip
    assert model.probability(sure) > model.threshold > model.probability(unsure)
    assert not model.decide(sure).abstain and model.decide(unsure).abstain


def test_the_shipped_model_declines_when_the_entry_lacks_the_point_of_the_question():
    """Everything else equal, missing words that carry the question's meaning (low focus_self) lower P."""
    model = registry.get("use-m3").abstention
    covered = _features(coverage=0.7, char_cover=0.7, sem_cover=0.85, focus_self=0.95)
    trap = _features(coverage=0.7, char_cover=0.7, sem_cover=0.6, focus_self=0.6)
    assert model.probability(trap) < model.probability(covered)
    assert model.probability(_features(english=1.0)) > model.threshold  # an English question is not declined


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
    assert not {"sem_cover", "focus_self", "focus_gain", "english"} & set(features)


# --- round four: does the entry shown cover what the question asks? (focus features) ----------------------


def test_a_question_can_be_read_without_some_of_its_words():
    analysis = JapaneseAnalyser(SynonymTable({})).analyse_question(
        "母子健康手帳をなくしました。再発行できますか。"
    )
    by_word = {c.main: c for c in analysis.concepts}
    assert analysis.without([by_word["母子健康手帳"]]) == "をなくしました。再発行できますか。"
    assert analysis.without([by_word["母子健康手帳"], by_word["再発行"]]) == "をなくしました。できますか。"
    assert analysis.without([]) == "母子健康手帳をなくしました。再発行できますか。"


def test_words_the_entry_lacks_lower_focus_self(demo_index):
    """母子健康手帳 is not in FAQ-059 (年金手帳): without it the question means much less; 年金手帳 is all there."""
    trap = demo_index.ask("母子健康手帳をなくしてしまいました。再発行できますか。")
    covered = demo_index.ask("年金手帳をなくしました。再発行できますか。")
    assert trap.results[0].id == covered.results[0].id == "FAQ-059"
    assert covered.features["focus_self"] == 1.0 and covered.features["focus_gain"] == 0.0
    assert covered.features["sem_cover"] == pytest.approx(covered.features["coverage"])
    assert trap.features["focus_self"] < 0.9 and trap.features["sem_cover"] < 1.0


def test_a_word_the_entry_says_otherwise_counts_in_sem_cover(demo_index):
    """援助 and 便器 are not words of FAQ-066, but the encoder puts them next to 補助 and トイレ."""
    answer = demo_index.ask("寝たきりの母のためにポータブルトイレを買いたい。お金の援助はある？")
    assert answer.results[0].id == "FAQ-066" and not answer.abstain
    assert answer.features["sem_cover"] > answer.features["coverage"] + 0.1


def test_english_questions_are_flagged_and_read_word_by_word(demo_index):
    answer = demo_index.ask("Is there a subsidy for the shingles vaccine?", lang="en")
    assert answer.features["english"] == 1.0 and answer.features["focus_self"] < 1.0
    assert demo_index.ask("住民票の写しを取りたい").features["english"] == 0.0


class _CountingEncoder(HashingEncoder):
    name = "counting-hashing"

    def __init__(self):
        super().__init__()
        self.calls = 0

    def encode(self, texts, *, query=False):
        self.calls += 1
        return super().encode(texts, query=query)


def test_the_focus_features_cost_one_encoder_call_only_for_a_model_that_reads_them(demo_entries):
    question = "母子健康手帳をなくしてしまいました。再発行できますか。"
    for model, calls in (
        (registry.get("use-m3").round_three_abstention, 1),
        (registry.get("use-m3").abstention, 2),
    ):
        encoder = _CountingEncoder()
        index = FaqIndex.build(demo_entries, encoder=encoder, rule=model)
        encoder.calls = 0
        features = index.ask(question).features
        assert encoder.calls == calls
        assert (features["focus_self"] < 1.0) == (calls == 2)
