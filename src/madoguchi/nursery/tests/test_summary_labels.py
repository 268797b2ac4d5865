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


def test_the_sample_sheets_import_and_allocate(tmp_path):
    """src/madoguchi/nursery/samples/: the 施設 and 申込 CSVs a division can copy (docs/nursery-office.md)."""
    import json
    from pathlib import Path

    from madoguchi.nursery.engine.cli import main

    samples = Path(__file__).resolve().parents[1] / "samples"
    problem, result = tmp_path / "round.json", tmp_path / "result.json"
    assert (
        main(
            [
                "import",
                "sheet",
                "--facilities",
                str(samples / "facilities.csv"),
                "--applications",
                str(samples / "applications.csv"),
                "--round-id",
                "sample-2027-04",
                "--reference-date",
                "2027-04-01",
                "-o",
                str(problem),
            ]
        )
        == 0
    )
    assert main(["allocate", str(problem), "-o", str(result)]) == 0
    assert len(json.loads(result.read_text(encoding="utf-8"))["assignments"]) == 8
