from madoguchi.faq.engine import MAX_QUESTION_CHARS, detect_language, normalise_question
from madoguchi.faq.engine.normalise import looks_like_easy_japanese, resolve_language, split_sentences


def test_width_and_case_are_unified():
    assert normalise_question("ｺﾝﾋﾞﾆで　ＰＣ　１２３") == "コンビニで pc 123"


def test_whitespace_and_control_characters_are_collapsed():
    assert normalise_question("  住民票\t\tが\u200b\nほしい \x00 ") == "住民票 が ほしい"


def test_html_tags_and_scripts_are_removed():
    text = '<script>alert("x")</script><p onclick="evil()">住民票&amp;印鑑</p><style>p{}</style>'
    assert normalise_question(text) == "住民票&印鑑"


def test_escaped_markup_is_removed_too():
    assert normalise_question("&lt;b&gt;住民票&lt;/b&gt;") == "住民票"


def test_empty_and_none():
    assert normalise_question("") == ""
    assert normalise_question(None) == ""
    assert normalise_question("   ") == ""


def test_long_story_keeps_the_question_sentence():
    story = "昨日は雨でした。" * 300 + "住民票はどこで取れますか？" + "よろしくお願いします。" * 5
    normalised = normalise_question(story)
    assert len(normalised) <= MAX_QUESTION_CHARS
    assert "住民票はどこで取れますか?" in normalised


def test_one_enormous_sentence_keeps_its_end():
    text = "あ" * 20_000 + "住民票"
    normalised = normalise_question(text)
    assert len(normalised) == MAX_QUESTION_CHARS
    assert normalised.endswith("住民票")


def test_split_sentences_keeps_marks():
    assert split_sentences("引っ越しました。何が必要？教えて") == ["引っ越しました。", "何が必要？", "教えて"]


def test_language_detection():
    assert detect_language("How do I get a juminhyo?") == "en"
    assert detect_language("住民票 please") == "ja"
    assert detect_language("ｱｲｳ") == "ja"
    assert detect_language("") == "en"


def test_unknown_language_falls_back_to_detection():
    assert resolve_language("fr", "住民票") == "ja"
    assert resolve_language("xx-YY", "garbage day") == "en"
    assert resolve_language(None, "ゴミ") == "ja"
    assert resolve_language("EN-gb", "住民票") == "en"


def test_easy_japanese_heuristic():
    assert looks_like_easy_japanese("じゅうみんひょうが ほしいです。どこで もらえますか。")
    assert not looks_like_easy_japanese("住民票記載事項証明書と住民票の写しは何が違いますか。")
