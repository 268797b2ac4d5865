import io

import pytest

from madoguchi.faq.engine import FaqEntry, FaqImportError, load_faq_csv
from madoguchi.faq.engine.cli import DEMO_DATA

HEADER = "id,category,question,answer,procedure,keywords\n"


def load(text: str | bytes, lang: str = "ja") -> list[FaqEntry]:
    handle = io.BytesIO(text) if isinstance(text, bytes) else io.StringIO(text)
    return load_faq_csv(handle, lang=lang)


def problems(text: str | bytes, lang: str = "ja") -> list[tuple[int, str, str]]:
    with pytest.raises(FaqImportError) as info:
        load(text, lang)
    return [(p.row, p.column, p.reason) for p in info.value.problems]


def test_demo_files_load():
    ja = load_faq_csv(DEMO_DATA / "midori_faq_ja.csv", lang="ja")
    en = load_faq_csv(str(DEMO_DATA / "midori_faq_en.csv"), lang="en")
    assert len(ja) == 150 and len(en) == 40
    assert len({e.category for e in ja}) == 18
    assert {e.id for e in en} <= {e.id for e in ja}
    first = ja[0]
    assert first.id == "FAQ-001" and first.lang == "ja"
    assert "住民票の写し" in first.keywords
    assert all(e.lang == "en" for e in en)


def test_a_valid_row_becomes_an_entry():
    rows = load(HEADER + "X-1,税金,質問です,答えです,手続き, a | b ||c \n")
    assert rows == [FaqEntry("X-1", "税金", "質問です", "答えです", "手続き", ("a", "b", "c"), "ja", "")]


def test_optional_columns_and_easy_answer():
    text = "id,category,question,answer,easy_answer\nX-1,c,q,a,やさしい こたえ\n"
    (entry,) = load(text)
    assert entry.procedure == "" and entry.keywords == () and entry.easy_answer == "やさしい こたえ"


def test_bom_and_bytes_are_accepted():
    (entry,) = load(("\ufeff" + HEADER + "X-1,c,q,a,,\n").encode("utf-8"))
    assert entry.id == "X-1"


def test_missing_columns_are_all_reported():
    found = problems("id,question\nX-1,q\n")
    assert {(row, column) for row, column, _ in found} == {(1, "category"), (1, "answer")}


def test_empty_values_and_duplicate_ids_are_reported_with_rows():
    text = HEADER + "X-1,c,q,a,,\n,c,q,a,,\nX-2,c,,a,,\nX-3,c,q,,,\nX-1,c,q,a,,\n"
    found = {(row, column) for row, column, _ in problems(text)}
    assert found == {(3, "id"), (4, "question"), (5, "answer"), (6, "id")}


def test_duplicate_reason_names_the_first_row():
    text = HEADER + "X-1,c,q,a,,\nX-1,c,q2,a2,,\n"
    ((row, column, reason),) = problems(text)
    assert (row, column) == (3, "id") and "2 行目" in reason and "duplicate" in reason


def test_bad_encoding_is_reported():
    (problem,) = problems((HEADER + "X-1,c,質問,答え,,\n").encode("shift_jis"))
    assert problem[0] == 0 and "UTF-8" in problem[2]


def test_extra_fields_and_invalid_ids():
    found = {(row, column) for row, column, _ in problems(HEADER + 'X 1,c,q,a,,\nX-2,c,q,a,,,"extra"\n')}
    assert found == {(2, "id"), (3, "")}


def test_empty_file_and_unknown_language():
    assert problems("")[0][2].startswith("ファイルが空")
    assert problems(HEADER, lang="fr")[0][1] == "lang"


def test_blank_lines_are_skipped():
    assert len(load(HEADER + "X-1,c,q,a,,\n,,,,,\n")) == 1


def test_error_message_lists_problems():
    with pytest.raises(FaqImportError, match=r"2 problem\(s\)"):
        load(HEADER + ",c,q,a,,\nX-2,c,q,,,\n")
