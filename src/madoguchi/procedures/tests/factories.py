"""The canonical factory of the procedures models, and the repository's procedures published for tests.

ProcedureFactory()                          児童手当の認定請求 (jido-teate) of 子育て支援課, published
ProcedureFactory(slug="gomi", department=DepartmentFactory(code="kankyo"), name_ja="粗大ごみ")
sync_repository_procedures()                every file of procedures/*.yaml, as `madoguchi procedures sync`
juminhyo()                                  住民票の写しの交付請求 from procedures/juminhyo-copy.yaml
"""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import factory
from django.conf import settings
from factory.django import DjangoModelFactory

from madoguchi.accounts.tests.factories import DepartmentFactory, create_departments
from madoguchi.procedures import selectors as procedure_selectors
from madoguchi.procedures import services as procedure_services
from madoguchi.procedures.models import Procedure, ProcedureVersion
from madoguchi.procedures.spec import canonical_sha256, parse_procedure_text

PROCEDURE_YAML = """\
id: {slug}
name: {{ja: {name_ja}, en: {name_en}}}
department: {department}
description: {{ja: テスト用の手続きです。, en: A procedure for tests.}}
eligibility: {{ja: どなたでも, en: Anyone}}
bring:
  ja: [本人確認書類]
  en: [Photo identification]
fee: {{ja: 無料, en: Free}}
online: true
identity_level: email
sla_business_days: 5
form:
  steps:
    - id: applicant
      title: {{ja: 申請者, en: Applicant}}
      fields:
        - id: applicant_name
          type: text
          label: {{ja: 氏名, en: Full name}}
          required: true
          max_length: 50
        - id: reason
          type: select
          label: {{ja: 申請の理由, en: Reason}}
          required: true
          options:
            - {{value: birth, label: {{ja: 出生, en: Birth}}}}
            - {{value: moving_in, label: {{ja: 転入, en: Moving in}}}}
        - id: comment
          type: textarea
          label: {{ja: 連絡事項, en: Comments}}
          max_length: 400
"""


class ProcedureFactory(DjangoModelFactory):
    """A published procedure with one version, built from a small YAML spec (no files needed).

    The form has one step: applicant_name (text), reason (select: birth, moving_in) and comment (textarea).
    """

    class Meta:
        model = Procedure
        skip_postgeneration_save = True

    slug = "jido-teate"
    department = factory.SubFactory(DepartmentFactory, code="kosodate")
    name_ja = "児童手当の認定請求"
    name_en = "Child allowance claim"
    life_events = factory.LazyFunction(list)
    online = True

    @factory.post_generation
    def publish(procedure, create, extracted, **kwargs):
        """Version 1 of the spec, made the current version."""
        if not create:
            return
        text = PROCEDURE_YAML.format(
            slug=procedure.slug,
            department=procedure.department.code,
            name_ja=procedure.name_ja,
            name_en=procedure.name_en,
        )
        spec = parse_procedure_text(text, path=f"{procedure.slug}.yaml")
        procedure.current_version = ProcedureVersion.objects.create(
            procedure=procedure,
            number=1,
            sha256=canonical_sha256(spec),
            spec=spec.to_json(),
            source_path=f"procedures/{procedure.slug}.yaml",
        )
        procedure.save(update_fields=["current_version"])


# --- the repository's procedures ---------------------------------------------------------------------------

_parsed: dict[tuple, list] = {}
_load_procedure_directory = procedure_services.load_procedure_directory


def load_procedure_directory_once(directory: Path) -> list:
    """Parsing the YAML files takes about a second; their parsed (immutable) specs are reused between tests.

    Keyed by the files' names, sizes and modification times, so an edited file is parsed again.
    """
    directory = Path(directory)
    key = (
        str(directory),
        *((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(directory.glob("*.yaml"))),
    )
    if key not in _parsed:
        _parsed[key] = _load_procedure_directory(directory)
    return _parsed[key]


def sync_repository_procedures() -> None:
    """Every department, then every procedure file of the repository (procedures/*.yaml), published with
    procedures.services.sync_procedures as `madoguchi procedures sync` does."""
    create_departments()
    # spec_of caches parsed specs by version id; ids come back after a test's rollback, so start clean.
    procedure_selectors._spec_cache.clear()
    with mock.patch.object(procedure_services, "load_procedure_directory", load_procedure_directory_once):
        procedure_services.sync_procedures(directory=Path(settings.PROCEDURES_DIR))


def juminhyo() -> Procedure:
    """住民票の写しの交付請求 (procedures/juminhyo-copy.yaml), published with the repository's procedures."""
    if not Procedure.objects.filter(slug="juminhyo-copy").exists():
        sync_repository_procedures()
    return Procedure.objects.get(slug="juminhyo-copy")
