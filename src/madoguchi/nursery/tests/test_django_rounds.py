"""Django side of nursery allocation: import, run, override (audited), publish as My Page notices."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as django_settings

if not django_settings.configured:  # the engine's tests may run alone with `-p no:django`
    pytest.skip("needs Django (run without -p no:django)", allow_module_level=True)

from django.core.files.uploadedfile import SimpleUploadedFile

from madoguchi.accounts.tests.factories import DepartmentFactory, StaffFactory
from madoguchi.cases.tests.factories import CaseFactory
from madoguchi.core.models import AppendOnlyError, AuditEvent
from madoguchi.notify.models import Notice
from madoguchi.nursery import services
from madoguchi.nursery.models import Override, Round, RoundCase, RoundStatus
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.tests.factories import ProcedureFactory

pytestmark = pytest.mark.django_db

FACILITIES_CSV = (
    "施設ID,施設名,0歳,1歳,2歳,3歳,4歳,5歳\nF1,ひまわり保育園,0,1,0,0,0,0\nF2,さくら保育園,0,1,0,0,0,0\n"
)
APPLICATIONS_CSV = (
    "世帯ID,児童ID,年齢クラス,在籍施設ID,指数,同点キー1,希望1,希望2\n"
    "H1,C1,1,,105,0,F1,F2\n"
    "H2,C2,1,,100,0,F1,F2\n"
    "H3,C3,1,,90,0,F1,F2\n"
)


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path):
    """These tests use Django: restore the project-wide isolation the engine tests' conftest turns off."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def upload(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


@pytest.fixture
def staff():
    return StaffFactory(department=DepartmentFactory(code="kosodate"))


def sheet_round(staff, applications=APPLICATIONS_CSV) -> Round:
    return services.import_round_from_sheet(
        round_id="2027-04",
        reference_date="2027-04-01",
        facilities_file=upload("施設.csv", FACILITIES_CSV),
        applications_file=upload("申込.csv", applications),
        staff=staff,
    )


def hoiku_case(reference: str, *, choices=("midori-chuo",), reason="work", days=5, hours=8, single=True):
    procedure = Procedure.objects.filter(slug="hoiku-moushikomi").first() or ProcedureFactory(
        slug="hoiku-moushikomi", name_ja="保育施設等の利用申込", name_en="Nursery"
    )
    data = {
        "child_birth_date": "2025-06-01",
        "start_date": "2027-04-01",
        "accept_other": "wait",
        "care_hours": "standard",
        "guardian1_reason": reason,
        "guardian1_work_days": days,
        "guardian1_work_hours": hours,
        "single_parent": single,
    }
    for i, fid in enumerate(choices, start=1):
        data[f"facility_{i}"] = fid
    return CaseFactory(reference=reference, procedure=procedure, data=data)


def test_sheet_import_run_override_and_publish(staff):
    rnd = sheet_round(staff)
    assert rnd.status == RoundStatus.DRAFT and len(rnd.input["households"]) == 3

    rnd = services.run_round(round=rnd, staff=staff, time_limit_s=10)
    assert rnd.status == RoundStatus.ALLOCATED
    assert rnd.result["assignments"] == {"C1": "F1", "C2": "F2", "C3": None}
    assert rnd.result["blocking_pairs"] == []

    with pytest.raises(services.NurseryError):
        services.override_assignment(round=rnd, child_id="C3", facility_id="F2", reason="  ", staff=staff)
    # Over capacity: refused by the verifier, nothing stored.
    with pytest.raises(services.NurseryError) as exc:
        services.override_assignment(round=rnd, child_id="C3", facility_id="F2", reason="配慮", staff=staff)
    assert exc.value.issues
    assert not Override.objects.exists()

    services.override_assignment(round=rnd, child_id="C2", facility_id=None, reason="辞退の申出", staff=staff)
    override = services.override_assignment(
        round=rnd, child_id="C3", facility_id="F2", reason="医療的ケアのため", staff=staff
    )
    rnd.refresh_from_db()
    assert rnd.result["assignments"]["C3"] == "F2" and rnd.result["assignments"]["C2"] is None
    # C2 (100 points) now envies C3 (90 points) at F2: shown, not hidden.
    assert override.blocking_pairs == [{"household": "H2", "tuple_index": 1}]
    assert rnd.result["blocking_pairs"] == override.blocking_pairs
    event = AuditEvent.objects.filter(action="override").order_by("-id").first()
    assert event.object_id == "2027-04:C3" and event.purpose == "医療的ケアのため"
    assert event.actor_id == staff.pk

    assert services.publish_round(round=rnd, staff=staff) == 0  # no linked cases
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.PUBLISHED


def test_publish_sends_notices_once_to_linked_applicants(staff, django_capture_on_commit_callbacks):
    first = hoiku_case("A000-0001", choices=("midori-chuo",), hours=8)
    second = hoiku_case("A000-0002", choices=("midori-chuo", "sakura"), hours=4)
    facilities = [
        {"id": "midori-chuo", "name": "みどり中央保育園", "seats": [0, 1, 0, 0, 0, 0]},
        {"id": "sakura", "name": "さくら保育園", "seats": [0, 0, 0, 0, 0, 0]},
    ]
    rnd = services.import_round_from_cases(
        round_id="2027-04", reference_date="2027-04-01", facilities=facilities, staff=staff
    )
    assert RoundCase.objects.filter(round=rnd).count() == 2
    scores = {h["id"]: h["score"] for h in rnd.input["households"]}
    assert scores["H-A000-0001"] > scores["H-A000-0002"]
    rnd = services.run_round(round=rnd, staff=staff, time_limit_s=10)
    assert rnd.result["assignments"] == {"C-A000-0001": "midori-chuo", "C-A000-0002": None}

    with django_capture_on_commit_callbacks(execute=True):
        assert services.publish_round(round=rnd, staff=staff) == 2
    offered = Notice.objects.get(recipient=first.applicant)
    assert "内定" in offered.title_ja
    assert "第1希望のみどり中央保育園（1歳児クラス）に内定しました。" in offered.body_ja
    held = Notice.objects.get(recipient=second.applicant)
    assert "保留" in held.title_ja
    cutoff = scores["H-A000-0001"]
    assert (
        f"第1希望のみどり中央保育園（1歳児クラス）は定員に達しており、入所の基準となる指数は{cutoff}点でした。"
        in held.body_ja
    )
    assert "第2希望のさくら保育園（1歳児クラス）は今回の募集枠がありませんでした。" in held.body_ja
    assert held.case_id == second.pk

    with django_capture_on_commit_callbacks(execute=True):
        assert services.publish_round(round=rnd, staff=staff) == 0
    assert Notice.objects.filter(kind=services.NOTICE_KIND).count() == 2


def test_bad_sheet_lists_every_problem_and_saves_nothing(staff):
    bad = "世帯ID,児童ID,年齢クラス,在籍施設ID,指数,同点キー1,希望1,希望2\nH1,C1,7,,105,0,F9,F2\nH2,C2,1,,100,0,F1,F2\n"
    with pytest.raises(services.NurseryError) as exc:
        sheet_round(staff, bad)
    text = " ".join(str(issue) for issue in exc.value.issues)
    assert len(exc.value.issues) >= 2 and "F9" in text
    not_integer = APPLICATIONS_CSV.replace(",105,", ",abc,")
    with pytest.raises(services.NurseryError) as exc:
        sheet_round(staff, not_integer)
    assert "申込.csv 2行目" in str(exc.value.issues[0])
    assert not Round.objects.exists()


def test_office_pages_flow(client, staff):
    client.force_login(staff)
    assert client.get("/office/nursery/").status_code == 200
    response = client.post(
        "/office/nursery/new/",
        {
            "round_id": "2027-04",
            "reference_date": "2027-04-01",
            "source": "sheet",
            "facilities_file": upload("施設.csv", FACILITIES_CSV),
            "applications_file": upload("申込.csv", APPLICATIONS_CSV),
        },
    )
    assert response.status_code == 302
    assert client.get("/office/nursery/2027-04/").status_code == 200  # draft, before the run
    assert client.get("/office/nursery/new/").status_code == 200
    assert client.post("/office/nursery/2027-04/run/", {"objective": "stable"}).status_code == 302
    assert client.get("/office/nursery/2027-04/children/C2/override/").status_code == 200
    page = client.get("/office/nursery/2027-04/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "ひまわり保育園" in body and "定員に達しており" in body
    assert client.get("/office/nursery/2027-04/?show=unplaced").content.decode().count("<tr>") >= 1
    response = client.post("/office/nursery/2027-04/children/C2/override/", {"facility_id": "", "reason": ""})
    assert response.status_code == 400 and not Override.objects.exists()
    response = client.post(
        "/office/nursery/2027-04/children/C2/override/", {"facility_id": "", "reason": "辞退"}
    )
    assert response.status_code == 302
    assert client.get("/office/nursery/2027-04/publish/").status_code == 200
    assert client.post("/office/nursery/2027-04/publish/").status_code == 302
    assert Round.objects.get().status == RoundStatus.PUBLISHED
    english = client.get("/en/office/nursery/2027-04/")
    assert english.status_code == 200 and "Allocation round 2027-04" in english.content.decode()


def test_office_new_round_with_bad_input_shows_problems(client, staff):
    client.force_login(staff)
    response = client.post(
        "/office/nursery/new/",
        {
            "round_id": "2027-04",
            "reference_date": "2027-04-01",
            "source": "sheet",
            "facilities_file": upload("施設.csv", FACILITIES_CSV),
            "applications_file": upload("申込.csv", "世帯ID,児童ID,年齢クラス,指数,希望1\nH1,C1,1,100,F9\n"),
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "何も保存していません" in body and "F9" in body
    assert not Round.objects.exists()


@pytest.mark.parametrize("code", ["shimin", "fukushi"])
def test_other_departments_get_404(client, code):
    other = StaffFactory(department=DepartmentFactory(code=code))
    Round.objects.create(
        round_id="2027-04", reference_date=dt.date(2027, 4, 1), input={"households": []}, created_by=other
    )
    client.force_login(other)
    for url in ("/office/nursery/", "/office/nursery/new/", "/office/nursery/2027-04/"):
        assert client.get(url).status_code == 404
    assert client.post("/office/nursery/2027-04/publish/").status_code == 404


def test_header_problems_and_unreadable_workbook(staff):
    sheet_round(staff)
    with pytest.raises(services.NurseryError) as exc:
        sheet_round(staff)  # the same round id again
    assert "2027-04" in exc.value.issues[0].ja
    with pytest.raises(services.NurseryError) as exc:
        services.import_round_from_sheet(
            round_id="2027-05",
            reference_date="2027-05-01",
            facilities_file=SimpleUploadedFile("round.xlsx", b"not a workbook"),
            staff=staff,
        )
    assert exc.value.messages("en")
    assert Round.objects.count() == 1


def test_override_outside_the_choices_is_refused(staff):
    rnd = services.run_round(round=sheet_round(staff), staff=staff, time_limit_s=10)
    with pytest.raises(services.NurseryError) as exc:
        services.override_assignment(round=rnd, child_id="C1", facility_id="F9", reason="x", staff=staff)
    assert "F9" in exc.value.issues[0].ja
    with pytest.raises(services.NurseryError):
        services.override_assignment(round=rnd, child_id="C404", facility_id=None, reason="x", staff=staff)
    assert not Override.objects.exists()
    assert not AuditEvent.objects.filter(action="override").exists()
    override = services.override_assignment(
        round=rnd, child_id="C3", facility_id=None, reason="確認", staff=staff
    )
    with pytest.raises(AppendOnlyError):
        override.delete()
