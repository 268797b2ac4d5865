import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from madoguchi.jp import is_katakana, normalise_width, suggest_reading, to_katakana

kana_text = st.text(
    alphabet=st.sampled_from(
        list("あいうえおかがきぎぱぴっゃゅょゔアイウエオカガパッャヴーｱｲｳｶﾞﾊﾟｯｬｰ ・　-ｰ゛゜\u3099\u309a")
    ),
    max_size=20,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("やまだ　たろう", "ヤマダ　タロウ"),
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ　タロウ"),
        ("  やまだ   たろう ", "ヤマダ　タロウ"),
        ("ヤマダ\tタロウ", "ヤマダ　タロウ"),
        ("ﾊﾟｰﾄ", "パート"),
        ("ハ-ト", "ハート"),
        ("か゛", "ガ"),
        ("カ\u3099", "ガ"),
        ("ゔぁいおりん", "ヴァイオリン"),
        ("きょう", "キョウ"),  # small kana stay small (only 全銀 needs them big)
        ("", ""),
    ],
)
def test_to_katakana(text, expected):
    assert to_katakana(text) == expected


@given(kana_text)
def test_to_katakana_is_nfkc_safe_and_idempotent(text):
    result = to_katakana(text)
    assert to_katakana(unicodedata.normalize("NFKC", text)) == result
    assert to_katakana(result) == result
    assert "  " not in result and " " not in result
    assert not any("\u3041" <= ch <= "\u3096" for ch in result)  # no hiragana left


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ヤマダ　タロウ", True),
        ("ヴァイオリン", True),
        ("ジョン・スミス", True),
        ("パーク", True),
        ("ヤマダ タロウ", False),  # half-width space
        ("やまだ", False),
        ("ﾔﾏﾀﾞ", False),
        ("山田", False),
        ("ー", False),
        ("　", False),
        ("", False),
    ],
)
def test_is_katakana(text, expected):
    assert is_katakana(text) is expected


def test_normalise_width():
    assert normalise_width("ＡＢＣ１２３ｘｙｚ") == "ABC123xyz"
    assert normalise_width("ﾔﾏﾀﾞ ﾀﾛｳ") == "ヤマダ タロウ"
    assert normalise_width("みどり市１丁目２番地　ﾐﾄﾞﾘ") == "みどり市1丁目2番地　ミドリ"


@pytest.mark.parametrize(
    ("name", "reading"),
    [
        ("山田太郎", "ヤマダタロウ"),
        ("山田　太郎", "ヤマダ　タロウ"),
        ("山田 太郎", "ヤマダ　タロウ"),
        ("佐藤 花子", "サトウ　ハナコ"),
        ("髙橋 一郎", "タカハシ　イチロウ"),
        ("やまだ はなこ", "ヤマダ　ハナコ"),
    ],
)
def test_suggest_reading(name, reading):
    assert suggest_reading(name) == reading


@pytest.mark.parametrize("name", ["", "   ", "一二三", "鈴木！", "山田3"])
def test_suggest_reading_is_empty_when_unsure(name):
    assert suggest_reading(name) == ""


def test_suggest_reading_works_from_other_threads():
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(suggest_reading, ["山田太郎"] * 16))
    assert results == ["ヤマダタロウ"] * 16
