"""`madoguchi forms render|layout`: print a procedure's official form as PDF, or show its stored layout.

    madoguchi forms render PROCEDURE [--data FILE.json] [--case NUMBER] -o OUT.pdf
    madoguchi forms layout PROCEDURE --json

Without --data and --case the form is blank (for residents who prefer paper). --data is a JSON object of
field values, checked against the procedure's form; --case prints an existing case with its data and the
applicant's registry person, with the version it was filed under, and writes the read to the audit log as a
print. It lives in the cases room because it reads cases; the forms themselves are procedures.forms.
"""

from __future__ import annotations

import difflib
import getpass
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from madoguchi.cases import selectors as case_selectors
from madoguchi.procedures import schema, selectors, services
from madoguchi.procedures.forms.printable import Basics
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.spec import ProcedureSpec

# The registry keys whose fields give the basic items of a form printed from --data.
_BASIC_PREFILLS = {"person.name": "name", "person.address": "address", "person.birth_date": "birth_date"}


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=1)


def _procedure(slug: str) -> Procedure:
    procedure = (
        Procedure.objects.filter(slug=slug, current_version__isnull=False)
        .select_related("current_version")
        .first()
    )
    if procedure is not None:
        return procedure
    known = sorted(Procedure.objects.filter(current_version__isnull=False).values_list("slug", flat=True))
    hint = difflib.get_close_matches(slug, known, n=1)
    suggestion = f"did you mean '{hint[0]}'? " if hint else ""
    if not known:
        raise _fail(
            f"unknown procedure '{slug}': no procedure is published yet; run `madoguchi procedures sync`."
        )
    raise _fail(f"unknown procedure '{slug}'; {suggestion}known procedures: {', '.join(known)}")


def _read_data(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _fail(f"{path}: cannot read the file ({exc.strerror or exc}).") from exc
    except UnicodeDecodeError as exc:
        raise _fail(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}).") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(f"{path}: line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}.") from exc
    if not isinstance(data, dict):
        raise _fail(f'{path}: the data must be one JSON object of field values ({{"field_id": value, ...}}).')
    return data


def _clean(spec: ProcedureSpec, data: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """The values of `data` as a case would store them; every problem listed per field (exit 1).

    A required field left out is not a problem: the printed form is completed by hand.
    """
    problems: list[str] = []
    ids = [f.id for f in spec.fields]
    for key in data:
        if key not in ids:
            hint = difflib.get_close_matches(str(key), ids, n=1)
            problems.append(
                f"  {key}: not a field of {spec.id}" + (f"; did you mean '{hint[0]}'?" if hint else "")
            )
    for f in spec.fields:
        if f.id in data and f.kind.holds_my_number:
            problems.append(
                f"  {f.id} ({f.label.ja}): 個人番号は印刷しません。用紙にご本人が記入します。 / "
                "A My Number is never printed: the resident writes it on the paper. Leave it out."
            )
        elif f.id in data and f.kind.is_upload:
            problems.append(
                f"  {f.id} ({f.label.ja}): a file is not printed; leave it out (it is listed to bring)."
            )
    known = {key: value for key, value in data.items() if key in ids}
    result = schema.validate(spec, known, today=timezone.localdate())
    for f in spec.fields:
        if f.id not in known or f.kind.is_empty(f, known[f.id]):
            continue
        for message in result.errors.get(f.id, []):
            problems.append(f"  {f.id} ({f.label.ja}): {message.ja} / {message.en}")
    if problems:
        raise _fail(
            f"{path}: {len(problems)} problem(s) in the values for {spec.id}:\n"
            + "\n".join(problems)
            + "\nFix the values and run the command again."
        )
    return {key: value for key, value in result.cleaned.items() if key in known}


def _basics_from_values(spec: ProcedureSpec, values: Mapping[str, Any]) -> Basics:
    """The basic items from the fields pre-filled from the register (氏名, 住所, 生年月日)."""
    found: dict[str, Any] = {}
    for f in spec.fields:
        key = _BASIC_PREFILLS.get(f.prefill or "")
        if key and key not in found and values.get(f.id):
            found[key] = values[f.id]
    return Basics.of(found)


class Command(BaseCommand):
    help = "Print a procedure's official form as PDF (blank, from a JSON file of values, or from a case)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{render,layout}")
        render = actions.add_parser("render", help="Write the form as PDF.")
        render.add_argument("procedure", help="Procedure id (slug), e.g. jido-teate.")
        source = render.add_mutually_exclusive_group()
        source.add_argument("--data", type=Path, help="JSON file: an object of field values to print.")
        source.add_argument("--case", help="受付番号 of a submitted case to print (audited as a print).")
        render.add_argument("-o", "--output", type=Path, required=True, help="Where to write the PDF.")
        render.add_argument(
            "--allow-missing-glyphs",
            action="store_true",
            help="Print even when a value has characters the font lacks (外字): their boxes are left empty "
            "and marked 「外字」, to be written by hand.",
        )
        layout = actions.add_parser("layout", help="Show the printed form's layout (the OCR field map).")
        layout.add_argument("procedure", help="Procedure id (slug).")
        layout.add_argument("--json", action="store_true", help="Print the layout JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        from madoguchi.procedures.forms.render import FormFontMissing, MissingGlyphs, render_forms

        try:
            if options["action"] == "layout":
                self._layout(options)
                return
            form, description = self._form(options)
            pdf = render_forms(
                [form], city_name=settings.MUNICIPALITY_NAME, allow_missing=options["allow_missing_glyphs"]
            )
        except MissingGlyphs as exc:
            raise _fail(
                f"{exc.ja}\n{exc.en}\nTo print anyway with those boxes left empty and marked 「外字」, "
                "add --allow-missing-glyphs."
            ) from exc
        except FormFontMissing as exc:
            raise _fail(f"{exc.ja}\n{exc.en}") from exc
        output: Path = options["output"]
        try:
            output.write_bytes(pdf)
        except OSError as exc:
            raise _fail(f"{output}: cannot write the PDF ({exc.strerror or exc}).") from exc
        for warning in pdf.warnings:
            self.stderr.write(f"外字 / missing glyphs: {warning}")
        self.stdout.write(self.style.SUCCESS(f"Wrote {output}: {pdf.page_count} page(s), {description}."))

    def _layout(self, options: Mapping[str, Any]) -> None:
        procedure = _procedure(options["procedure"])
        layout = selectors.form_layout(procedure)
        if options["json"]:
            self.stdout.write(json.dumps(layout.to_json(), ensure_ascii=False, indent=1))
            return
        version = procedure.current_version
        self.stdout.write(f"{procedure.slug} v{version.number}: {layout.page_count} page(s), A4 portrait")
        for page in layout.pages:
            ids = dict.fromkeys(box.field_id for box in layout.boxes_on(page.number))
            self.stdout.write(f"  page {page.number}: {', '.join(ids)}")
        self.stdout.write("Add --json for the full layout (boxes in points, origin top left).")

    def _form(self, options: Mapping[str, Any]):
        procedure = _procedure(options["procedure"])
        if options["case"]:
            actor = f"cli:{getpass.getuser()}"
            case = case_selectors.case_for_print(reference=options["case"], actor=actor)
            if case is None:
                raise _fail(f"no submitted case with the number '{options['case']}'.")
            if case.procedure_id != procedure.pk:
                raise _fail(
                    f"case {case.reference} is a case of '{case.procedure.slug}', not '{procedure.slug}'; "
                    f"run: madoguchi forms render {case.procedure.slug} --case {case.reference} -o ..."
                )
            version = case.procedure_version
            spec = selectors.spec_of(version)
            basics = (
                services.basics_of_person(case.person)
                if case.person is not None
                else _basics_from_values(spec, case.data)
            )
            form = services.printable_form(
                procedure_version=version, values=case.data, basics=basics, case_number=case.reference
            )
            return form, f"case {case.reference} ({procedure.slug} v{version.number})"
        version = procedure.current_version
        if options["data"]:
            spec = selectors.spec_of(version)
            values = _clean(spec, _read_data(options["data"]), options["data"])
            form = services.printable_form(
                procedure_version=version,
                values=values,
                basics=_basics_from_values(spec, values),
                case_number=None,
            )
            return form, f"{procedure.slug} v{version.number} with {len(values)} value(s)"
        form = services.printable_form(procedure_version=version, values=None, basics=None, case_number=None)
        return form, f"blank form of {procedure.slug} v{version.number}"
