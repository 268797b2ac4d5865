import io
import json
import subprocess
import sys

from madoguchi.faq.engine.cli import main, print_answers


def test_ask_json_prints_one_line(capsys):
    assert main(["ask", "住民票がほしい", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["results"][0]["id"] == "FAQ-001" and data["abstain"] is False


def test_ask_from_stdin_prints_one_json_line_per_question(demo_index):
    out = io.StringIO()
    stdin = io.StringIO("住民票がほしい\n\nHow do I throw away a sofa?\n")
    assert main(["ask", "--json", "-"], stdin=stdin, stdout=out, index=demo_index) == 0
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["abstain"] for line in lines] == [False, True, False]
    assert lines[2]["results"][0]["id"] == "FAQ-086"


def test_plain_text_output(demo_index):
    out = io.StringIO()
    print_answers(["印鑑登録"], demo_index, out, as_json=False)
    assert out.getvalue().startswith("FAQ-019\t")


def test_bad_csv_exits_with_an_error(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,question\nX,q\n", encoding="utf-8")
    assert main(["ask", "x", "--csv", f"ja:{bad}"]) == 2
    assert "could not load" in capsys.readouterr().err


def test_engine_imports_nothing_from_django():
    code = (
        "import sys; import madoguchi.faq.engine as e; import madoguchi.faq.engine.cli; "
        "bad = [m for m in sys.modules if m.split('.')[0] in {'django', 'ninja', 'celery'}]; "
        "print(','.join(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
