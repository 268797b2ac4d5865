"""What can be wrong with a registry file, row by row, in Japanese and English.

A problem names the row (the header is row 1, the first data row is row 2; row 0 is the file as a whole),
the column (the header as written in the layout) and what to do. Messages about 個人番号 never repeat
the number.
"""

from __future__ import annotations

from dataclasses import dataclass

MESSAGES: dict[str, tuple[str, str]] = {
    # the file
    "encoding_unknown": (
        "文字コードを判別できません。UTF-8（BOMあり・なし）または Shift_JIS（CP932）で保存し直してください。",
        "The character encoding could not be recognised. Save the file as UTF-8 (with or without BOM) or "
        "Shift_JIS (CP932).",
    ),
    "encoding_utf16": (
        "UTF-16 のファイルは読めません。UTF-8 または Shift_JIS（CP932）で保存し直してください。",
        "UTF-16 files cannot be read. Save the file as UTF-8 or Shift_JIS (CP932).",
    ),
    "empty_file": (
        "見出しの行がありません。1行目に列の見出しを書いてください（docs/registry.md）。",
        "The file has no header row. Put the column headers on row 1 (docs/registry.md).",
    ),
    "missing_column": (
        "見出しに「{column}」の列がありません。列を追加してください。",
        "The header has no column 「{column}」. Add the column.",
    ),
    "duplicate_column": (
        "見出しに「{column}」が2回あります。1つにしてください。",
        "The header has the column 「{column}」 twice. Keep one.",
    ),
    "too_many_problems": (
        "問題のある行が多すぎるため、住民記録との突き合わせ（宛名番号の有無、異動日の順序）は行いませんでした。",
        "Too many rows have problems, so the rows were not checked against the registry (unknown "
        "宛名番号, order of 異動日).",
    ),
    # a row as a whole
    "bad_encoding": (
        "{encoding} として読めない文字があります。ファイル全体を同じ文字コードで保存し直してください。",
        "This row has bytes that are not valid {encoding}. Save the whole file in one encoding.",
    ),
    "field_count": (
        '列の数（{count}）が見出しの列の数（{expected}）と違います。区切りの「,」や引用符「"」を確かめてください。',
        "The row has {count} columns but the header has {expected}. Check the commas and quotes.",
    ),
    "csv_syntax": (
        "CSV として読めません（{detail}）。",
        "The row cannot be read as CSV ({detail}).",
    ),
    # one value
    "required": ("「{column}」を入力してください。", "「{column}」 is required."),
    "digits": (
        "「{column}」は半角数字{max}桁以内で書いてください。",
        "「{column}」 must be ASCII digits, at most {max}.",
    ),
    "too_long": (
        "「{column}」が長すぎます（{max}文字まで）。",
        "「{column}」 is too long (at most {max} characters).",
    ),
    "control_character": (
        "「{column}」に改行や制御文字が含まれています。取り除いてください。",
        "「{column}」 contains a line break or control character. Remove it.",
    ),
    "not_katakana": (
        "「{column}」は全角カタカナで書いてください（姓と名の間は全角スペース）。",
        "「{column}」 must be full-width katakana (a full-width space between surname and given name).",
    ),
    "flag": ("「{column}」は 0 か 1 で書いてください。", "「{column}」 must be 0 or 1."),
    "sex": (
        "「{column}」は 1（男）か 2（女）で書いてください。",
        "「{column}」 must be 1 (male) or 2 (female).",
    ),
    "date": ("「{column}」: {detail_ja}", "「{column}」: {detail_en}"),
    "birth_text_mismatch": (
        "生年月日不詳表記「{text}」は生年月日 {date} と合いません。生年月日には不詳表記の最も早い日（{expected}）を書いてください。",
        "生年月日不詳表記 「{text}」 does not match 生年月日 {date}; write its earliest day ({expected}) as "
        "生年月日.",
    ),
    "birth_text_complete": (
        "生年月日不詳表記「{text}」は年月日がすべて分かっています。生年月日に書き、不詳表記は空にしてください。",
        "生年月日不詳表記 「{text}」 is a full date. Write it as 生年月日 and leave the 不詳 column empty.",
    ),
    "postal_code": (
        "「{column}」は7桁の数字で書いてください（例：1000001 または 100-0001）。",
        "「{column}」 must be 7 digits (e.g. 1000001 or 100-0001).",
    ),
    "address_code": (
        "「{column}」は13桁の数字です（地方公共団体コード6桁＋町字コード7桁）。",
        "「{column}」 must be 13 digits (6-digit local government code + 7-digit 町字 code).",
    ),
    "address_code_check_digit": (
        "「{column}」の先頭6桁（地方公共団体コード）の検査数字が合いません。コードを確かめてください。",
        "The first 6 digits of 「{column}」 (local government code) have a wrong check digit. Check the code.",
    ),
    "my_number": (
        "「{column}」は12桁の数字で、検査数字が合っている必要があります。番号を確かめてください。",
        "「{column}」 must be 12 digits with a valid check digit. Check the number.",
    ),
    "unknown_code": (
        "「{column}」の「{value}」はコード表（{list_name}）にありません。docs/registry.md の一覧から選んでください。",
        "「{value}」 is not in the code list for 「{column}」 ({list_name}). See docs/registry.md.",
    ),
    "relationship_unknown": (
        "続柄「{value}」は標準の続柄ではありません。世帯主、妻、子、子の妻 のように標準の語を「の」でつないで書いてください。",
        "続柄 「{value}」 is not a standard relationship. Join standard terms with の, e.g. 子の妻.",
    ),
    "relationship_not_standard": (
        "続柄「{value}」は標準の語ではありません。「{standard}」と書いてください。",
        "続柄 「{value}」 is not a standard term; write 「{standard}」.",
    ),
    "relationship_standalone_in_chain": (
        "続柄「{value}」: 「{term}」は単独で使う語で、「の」でつなげません。",
        "続柄 「{value}」: 「{term}」 stands alone and cannot be joined with の.",
    ),
    "relationship_too_long": (
        "続柄「{value}」は長すぎます。「の」でつなげるのは{limit}語までです。",
        "続柄 「{value}」 is too long: at most {limit} terms joined with の.",
    ),
    "before_birth": (
        "「{column}」（{date}）が生年月日より前です。",
        "「{column}」 ({date}) is before the date of birth.",
    ),
    "japanese_resident_foreign_item": (
        "日本人住民には「{column}」を書きません。住民種別か「{column}」を直してください。",
        "「{column}」 is only for foreign residents. Fix 住民種別 or 「{column}」.",
    ),
    "foreign_resident_item_required": (
        "外国人住民には「{column}」が必要です。",
        "「{column}」 is required for a foreign resident.",
    ),
    "expiry_required": (
        "在留資格「{status}」には在留期間の満了の日が必要です。",
        "在留資格 「{status}」 needs 在留期間の満了の日.",
    ),
    "expiry_not_allowed": (
        "在留資格「{status}」には在留期間がないため、在留期間の満了の日は空にしてください。",
        "在留資格 「{status}」 has no period of stay: leave 在留期間の満了の日 empty.",
    ),
    "address_required": (
        "住民（住民状態 1）には「{column}」が必要です。",
        "「{column}」 is required for a resident (住民状態 1).",
    ),
    "resident_since_required": (
        "住民・転出者・死亡者・消除者には「{column}」が必要です（住登外者だけ空にできます）。",
        "「{column}」 is required except for persons not registered here (住登外者).",
    ),
    # a row against its 異動事由
    "reason_required": (
        "差分ファイルの各行には「{column}」が必要です。",
        "Every row of a difference file needs 「{column}」.",
    ),
    "reason_full_files_only": (
        "異動事由「{value}」は全件ファイルだけで使えます。差分ファイルには実際の異動事由を書いてください。",
        "異動事由 「{value}」 is only for full files; a difference file gives the real reason.",
    ),
    "status_after_register": (
        "異動事由「{reason}」で登録された人の住民状態は 1（住民）です（この行は {value}）。",
        "After 「{reason}」 the person is a resident: 住民状態 must be 1 (this row: {value}).",
    ),
    "status_after_remove": (
        "異動事由「{reason}」の後の住民状態は {expected} です（この行は {value}）。",
        "After 「{reason}」 住民状態 must be {expected} (this row: {value}).",
    ),
    "birth_moved_on": (
        "出生の異動日は生年月日と同じ日です（生年月日 {birth}、異動日 {moved_on}）。",
        "The 異動日 of a birth is the date of birth ({birth}; this row: {moved_on}).",
    ),
    # a row against the file and the registry
    "duplicate_atena_number": (
        "宛名番号 {value} は {first} 行目にもあります。全件ファイルでは1人1行です。",
        "宛名番号 {value} is also on row {first}; a full file has one row per person.",
    ),
    "duplicate_change": (
        "{first} 行目と同じ異動（宛名番号・異動事由・異動日・内容）です。1つにしてください。",
        "Row {first} is the same 異動 (宛名番号, 異動事由, 異動日 and content); keep one.",
    ),
    "household_heads": (
        "世帯番号 {household} の住民（住民状態 1）に世帯主が {count} 人います。1世帯に1人です。",
        "Household {household} has {count} heads among its residents; it needs exactly one.",
    ),
    "unknown_person": (
        "宛名番号 {value} の人は住民記録にありません。異動事由「{reason}」は登録済みの人の異動です。",
        "No person with 宛名番号 {value} is registered; 「{reason}」 changes a registered person.",
    ),
    "already_resident": (
        "宛名番号 {value} の人はすでに住民です。異動事由「{reason}」は住民でない人を登録する異動です。",
        "宛名番号 {value} is already a resident; 「{reason}」 registers someone who is not.",
    ),
    "not_resident": (
        "宛名番号 {value} の人は住民ではありません（住民状態 {status}）。異動事由「{reason}」は住民の異動です。",
        "宛名番号 {value} is not a resident (住民状態 {status}); 「{reason}」 applies to residents.",
    ),
    "status_change_reason": (
        "住民状態が {before} から {after} に変わる異動です。登録（転入・出生など）か消除（転出・死亡など）の異動事由を使ってください。",
        "住民状態 changes from {before} to {after}: use a reason that registers (転入, 出生, …) or removes "
        "(転出, 死亡, …) the person.",
    ),
    "out_of_order": (
        "異動日 {moved_on} が、この人の最後の異動日 {last} より前です。古い異動は後から適用できません。",
        "異動日 {moved_on} is before this person's last 異動 ({last}); older changes cannot be applied later.",
    ),
}


class Issue(Exception):
    """One thing wrong with a value: a message code and its parameters (the column is added later)."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True, slots=True)
class Problem:
    row: int  # 0: the file; 1: the header; 2: the first data row
    column: str  # the header of the column, "" for the row as a whole
    code: str
    message_ja: str
    message_en: str

    def message(self, lang: str = "ja") -> str:
        return self.message_en if lang.lower().startswith("en") else self.message_ja

    def format(self, lang: str = "ja") -> str:
        """「行 12・生年月日: …」 or "row 12, 生年月日: …"."""
        english = lang.lower().startswith("en")
        where = (
            ("file" if english else "ファイル")
            if self.row == 0
            else f"{'row ' if english else '行 '}{self.row}"
        )
        if self.column:
            where += f", {self.column}" if english else f"・{self.column}"
        return f"{where}: {self.message(lang)}"


def problem(row: int, column: str, code: str, **params: object) -> Problem:
    ja, en = MESSAGES[code]
    values = {"column": column, **params}
    return Problem(row, column, code, ja.format(**values), en.format(**values))


def problem_from(row: int, column: str, issue: Issue) -> Problem:
    return problem(row, column, issue.code, **issue.params)
