"""The configuration file: the shipped defaults, an override file format by format, strict validation."""

from __future__ import annotations

import textwrap

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from madoguchi.counter.handoff import checks, conf
from madoguchi.counter.handoff.config import (
    DEFAULT_PATH,
    Catalogue,
    ColumnChoice,
    ConfigError,
    load_config,
    parse_config,
)
from madoguchi.counter.handoff.registry import register

CATALOGUES = {
    "juki-ido": Catalogue(
        columns=("受付番号", "氏名", "氏名カナ", "生年月日", "備考"), dates=frozenset({"生年月日"})
    ),
    "case-csv": Catalogue(columns=("受付番号", "申請日"), dates=frozenset({"申請日"})),
}


def parse(text: str):
    return parse_config(textwrap.dedent(text), catalogues=CATALOGUES, path="test.yaml")


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    return caught.value.problems


def test_the_shipped_file_configures_every_registered_format():
    options = load_config(register.catalogues())
    assert list(options) == ["juki-ido", "case-csv"]
    juki = options["juki-ido"]
    assert [c.name for c in juki.columns][:7] == [
        "受付番号",
        "連番",
        "届出種別",
        "異動事由コード",
        "異動事由",
        "異動日",
        "届出日",
    ]
    assert (juki.encoding, juki.bom, juki.line_ending, juki.date_format) == ("utf-8", False, "crlf", "iso")
    assert options["case-csv"].codec == "utf-8-sig"  # for Excel


def test_a_section_sets_columns_headers_and_date_formats():
    options = parse(
        """\
        format: madoguchi-handoff/1
        formats:
          juki-ido:
            encoding: cp932
            line_ending: lf
            date_format: wareki
            columns:
              - 氏名
              - {column: 受付番号, header: 受付No}
              - {column: 生年月日, format: iso}
        """
    )["juki-ido"]
    assert options.columns == (
        ColumnChoice("氏名", "氏名"),
        ColumnChoice("受付番号", "受付No"),
        ColumnChoice("生年月日", "生年月日", "iso"),
    )
    assert (options.codec, options.newline) == ("cp932", "\n")
    assert options.date_format_of(options.columns[0]) == "wareki"
    assert options.date_format_of(options.columns[2]) == "iso"


def test_unknown_names_come_with_the_nearest_known_one():
    found = problems(
        """\
        format: madoguchi-handoff/1
        formats:
          juki_ido:
            columns: [氏名]
          case-csv:
            encodng: utf-8
            line_ending: CRLF
            columns: [受付番号, 申請び]
        """
    )
    assert found == [
        "formats.juki_ido: unknown format; did you mean 'juki-ido'? (formats: juki-ido, case-csv)",
        "formats.case-csv: unknown key 'encodng'; did you mean 'encoding'? (allowed: encoding, bom, "
        "line_ending, date_format, columns)",
        "formats.case-csv.line_ending: unknown value 'CRLF'; use one of crlf, lf; did you mean 'crlf'?",
        "formats.case-csv.columns[1]: unknown column '申請び'; did you mean '申請日'? (columns: 受付番号, 申請日)",
    ]


def test_hiragana_and_width_are_forgiven_in_suggestions_only():
    found = problems(
        """\
        format: madoguchi-handoff/1
        formats:
          juki-ido:
            columns: [氏名かな, 受付番号]
        """
    )
    assert found == [
        "formats.juki-ido.columns[0]: unknown column '氏名かな'; did you mean '氏名カナ'? "
        "(columns: 受付番号, 氏名, 氏名カナ, 生年月日, 備考)"
    ]


def test_every_other_mistake_is_reported_at_once():
    found = problems(
        """\
        format: madoguchi-handoff/2
        extra: 1
        formats:
          juki-ido:
            encoding: cp932
            bom: true
            columns:
              - 氏名
              - 氏名
              - {column: 備考, format: wareki}
              - {column: 受付番号, header: 氏名}
              - {column: 生年月日, header: ""}
              - 3
          case-csv:
            columns: []
        """
    )
    assert found == [
        "(top): unknown key 'extra' (allowed: format, formats)",
        "format: expected madoguchi-handoff/1, got str 'madoguchi-handoff/2'",
        "formats.juki-ido.bom: a byte order mark is written in UTF-8 only; remove bom or use utf-8",
        "formats.juki-ido.columns[1]: column '氏名' is listed twice",
        "formats.juki-ido.columns[2].format: '備考' is not a date column; only dates take a format",
        "formats.juki-ido.columns[3]: header '氏名' is used twice",
        "formats.juki-ido.columns[4].header: expected a non-empty text, got str ''",
        "formats.juki-ido.columns[5]: expected a column name, got int 3",
        "formats.case-csv.columns: expected a non-empty list of column names, got list []",
    ]


def test_not_yaml_or_not_a_mapping():
    assert problems("format: [")[0].startswith("not valid YAML")
    assert problems("- a list") == [
        "expected a mapping with format: madoguchi-handoff/1, got list ['a list']"
    ]
    assert problems("format: madoguchi-handoff/1\n") == [
        "formats: expected a mapping of format names to options, got nothing"
    ]


def test_the_override_file_replaces_the_sections_it_names(settings, tmp_path):
    path = tmp_path / "handoff.yaml"
    path.write_text(
        "format: madoguchi-handoff/1\nformats:\n  juki-ido:\n    encoding: cp932\n    columns: [受付番号, 氏名, 異動日]\n",
        encoding="utf-8",
    )
    settings.HANDOFF_CONFIG = str(path)
    options = conf.all_options()
    assert [c.name for c in options["juki-ido"].columns] == ["受付番号", "氏名", "異動日"]
    assert options["juki-ido"].codec == "cp932"
    assert options["case-csv"] == load_config(register.catalogues())["case-csv"]  # the shipped section
    # An edited file is read again.
    path.write_text(path.read_text(encoding="utf-8").replace("異動日", "届出日"), encoding="utf-8")
    assert [c.name for c in conf.all_options()["juki-ido"].columns][-1] == "届出日"


def test_a_broken_override_fails_the_system_check_and_the_formats_command(settings, tmp_path, capsys):
    path = tmp_path / "handoff.yaml"
    path.write_text(
        "format: madoguchi-handoff/1\nformats:\n  juki-ido:\n    columns: [受付番号, 氏名かな]\n", "utf-8"
    )
    settings.HANDOFF_CONFIG = str(path)
    errors = checks.handoff_config(None)
    assert [e.id for e in errors] == ["handoff.E001"]
    assert "氏名かな" in errors[0].msg and "did you mean '氏名カナ'" in errors[0].msg
    with pytest.raises(CommandError) as caught:
        call_command("handoff", "formats")
    assert caught.value.returncode == 1
    assert f"{path}: formats.juki-ido.columns[1]: unknown column '氏名かな'; did you mean '氏名カナ'?" in (
        capsys.readouterr().err
    )


def test_a_missing_override_file_is_named(settings, tmp_path):
    settings.HANDOFF_CONFIG = str(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError) as caught:
        conf.all_options()
    assert str(caught.value).startswith(f"{tmp_path / 'missing.yaml'}: cannot be read")


def test_without_an_override_the_shipped_file_is_used(settings):
    settings.HANDOFF_CONFIG = ""
    assert conf.config_path() is None
    assert checks.handoff_config(None) == []
    assert DEFAULT_PATH.name == "handoff.yaml"
