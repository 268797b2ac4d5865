"""The round summary names the method and the solver's outcome in words (ja/en), not engine codes."""

from types import SimpleNamespace

from django.utils import translation

from madoguchi.nursery.selectors import summary


def _round(status: str, objective: str = "stable"):
    return SimpleNamespace(
        input={"households": [{"children": [{}]}], "facilities": [{}]},
        result={"assignments": {"c1": "f1"}, "blocking_pairs": [], "status": status},
        objective=objective,
    )


def test_the_summary_words_the_method_and_the_outcome():
    with translation.override("ja"):
        out = summary(_round("optimal"))
        assert (str(out["objective_label"]), str(out["solver_status_label"])) == (
            "安定マッチング",
            "最適解（証明済み）",
        )
    with translation.override("en"):
        out = summary(_round("feasible", "municipal_sd"))
        assert str(out["solver_status_label"]) == "feasible (not proven optimal)"
        assert "stable" not in str(out["objective_label"]) and "municipal_sd" not in str(
            out["objective_label"]
        )
