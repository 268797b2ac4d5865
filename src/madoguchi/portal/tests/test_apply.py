import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from madoguchi.cases.models import Case, Status
from madoguchi.notify.models import Notice
from madoguchi.portal.tests import factories

pytestmark = pytest.mark.django_db


def _step_url(case, step_id):
    return reverse("portal:apply_step", args=[case.reference, step_id])


def _start(client) -> Case:
    response = client.post(reverse("portal:apply", args=["juminhyo-copy"]))
    assert response.status_code == 302
    case = Case.objects.get()
    assert response.url == _step_url(case, "applicant")
    return case


def test_apply_needs_sign_in(client, procedure):
    response = client.post(reverse("portal:apply", args=["juminhyo-copy"]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:login"))
    assert not Case.objects.exists()


def test_full_application_with_a_mistake_corrected(
    resident_client, resident, procedure, django_capture_on_commit_callbacks
):
    client = resident_client
    case = _start(client)

    page = client.get(_step_url(case, "applicant")).content.decode()
    assert "ステップ 1 / 3" in page
    assert 'href="/procedures/juminhyo-copy/"' in page  # back link on the first step
    assert "下書きを保存して後で続ける" in page

    # A mistake: no name, and a birth date that does not exist. Typed values come back, errors are explained.
    wrong = {
        **factories.JUMINHYO_STEPS["applicant"],
        "applicant_name": "",
        "applicant_birth_date": "1985-02-30",
    }
    response = client.post(_step_url(case, "applicant"), wrong)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in page
    assert 'href="#f-applicant_name"' in page
    assert 'href="#f-applicant_birth_date"' in page
    assert 'aria-invalid="true"' in page
    assert 'value="1985-02-30"' in page
    assert 'value="ミドリ タロウ"' in page
    assert "エラー" in page

    response = client.post(_step_url(case, "applicant"), factories.JUMINHYO_STEPS["applicant"])
    assert response.url == _step_url(case, "certificate")
    page = client.get(response.url).content.decode()
    assert "ステップ 2 / 3" in page
    assert f'href="{_step_url(case, "applicant")}"' in page  # back link

    response = client.post(_step_url(case, "certificate"), factories.JUMINHYO_STEPS["certificate"])
    assert response.url == _step_url(case, "delivery")
    response = client.post(_step_url(case, "delivery"), factories.JUMINHYO_STEPS["delivery"])
    assert response.url == reverse("portal:review", args=[case.reference])

    page = client.get(response.url).content.decode()
    for text in (
        "入力内容の確認",
        "緑 太郎",
        "ミドリ\u3000タロウ",
        "昭和60年（1985年）4月1日",
        "〒100-0001",
        "運転免許の申請・更新",
    ):
        assert text in page
    assert f'href="{_step_url(case, "certificate")}"' in page  # change link

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:review", args=[case.reference]))
    assert response.url == reverse("portal:receipt", args=[case.reference])
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED
    assert case.data["applicant_name"] == "緑 太郎"

    page = client.get(response.url).content.decode()
    assert "申請を受け付けました" in page
    assert case.reference in page
    assert "このあとの流れ" in page
    assert Notice.objects.filter(recipient=resident, case=case).exists()

    # The draft pages of a submitted case send the resident to its status page instead.
    response = client.get(_step_url(case, "applicant"))
    assert response.url == reverse("portal:case", args=[case.reference])


def test_save_draft_and_resume_later(resident_client, procedure):
    client = resident_client
    case = _start(client)
    client.post(_step_url(case, "applicant"), factories.JUMINHYO_STEPS["applicant"])
    partial = {"scope": "self", "copies": "", "purpose": "other", "action": "save"}
    response = client.post(_step_url(case, "certificate"), partial)
    assert response.url == reverse("portal:mypage")

    page = client.get(reverse("portal:mypage")).content.decode()
    assert "下書きを保存しました" in page
    assert "入力途中の申請（下書き）" in page
    assert reverse("portal:resume", args=[case.reference]) in page

    # Applying again resumes the same draft at the step where it was left, with what was typed.
    response = client.post(reverse("portal:apply", args=["juminhyo-copy"]))
    assert response.url == _step_url(case, "certificate")
    assert Case.objects.count() == 1
    assert client.get(reverse("portal:resume", args=[case.reference])).url == _step_url(case, "certificate")
    page = client.get(_step_url(case, "applicant")).content.decode()
    assert 'value="緑 太郎"' in page
    page = client.get(_step_url(case, "certificate")).content.decode()
    assert 'value="other" selected' in page


def test_submitting_an_incomplete_draft_goes_back_to_the_first_step_with_errors(resident_client, procedure):
    client = resident_client
    case = _start(client)
    client.post(_step_url(case, "applicant"), {**factories.JUMINHYO_STEPS["applicant"], "action": "save"})
    client.post(_step_url(case, "certificate"), factories.JUMINHYO_STEPS["certificate"])
    client.post(_step_url(case, "delivery"), factories.JUMINHYO_STEPS["delivery"])
    # The resident goes back and empties the phone number, saving the draft without continuing.
    client.post(
        _step_url(case, "applicant"),
        {**factories.JUMINHYO_STEPS["applicant"], "applicant_phone": "", "action": "save"},
    )

    response = client.post(reverse("portal:review", args=[case.reference]))
    assert response.url == _step_url(case, "applicant") + "?check=1"
    page = client.get(response.url).content.decode()
    assert 'href="#f-applicant_phone"' in page
    assert "入力内容に問題があります" in page
    case.refresh_from_db()
    assert case.status == Status.DRAFT

    # Opening the review page directly does the same.
    response = client.get(reverse("portal:review", args=[case.reference]))
    assert response.url == _step_url(case, "applicant") + "?check=1"


def test_unknown_step_is_404(resident_client, procedure):
    case = _start(resident_client)
    assert resident_client.get(_step_url(case, "no-such-step")).status_code == 404


def test_wrong_file_type_is_refused_with_a_clear_message(resident_client, procedure):
    client = resident_client
    case = _start(client)
    client.post(_step_url(case, "applicant"), factories.JUMINHYO_STEPS["applicant"])
    client.post(_step_url(case, "certificate"), factories.JUMINHYO_STEPS["certificate"])
    text_file = SimpleUploadedFile("license.txt", b"this is not an image", content_type="image/png")
    response = client.post(
        _step_url(case, "delivery"),
        {"delivery_method": "mail", "agree": "on", "id_document": text_file},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "この種類のファイルは受け付けられません。PDF、JPEG、PNGのいずれかでお送りください。" in page
    assert 'href="#f-id_document"' in page
    assert not case.attachments.exists()
    assert 'value="mail" checked' in page

    png = SimpleUploadedFile("license.png", factories.PNG_BYTES, content_type="image/png")
    response = client.post(
        _step_url(case, "delivery"), {"delivery_method": "mail", "agree": "on", "id_document": png}
    )
    assert response.url == reverse("portal:review", args=[case.reference])
    assert case.attachments.get().original_name == "license.png"
    assert "license.png" in client.get(response.url).content.decode()


def test_procedure_without_online_application_cannot_be_started(resident_client, procedure):
    procedure.online = False
    procedure.save(update_fields=["online"])
    response = resident_client.post(reverse("portal:apply", args=["juminhyo-copy"]))
    assert response.url == reverse("portal:procedure", args=["juminhyo-copy"])
    assert not Case.objects.exists()


def test_a_second_file_for_a_one_file_field_is_refused_not_piled_up(resident_client, procedure):
    client = resident_client
    case = _start(client)
    client.post(_step_url(case, "applicant"), factories.JUMINHYO_STEPS["applicant"])
    client.post(_step_url(case, "certificate"), factories.JUMINHYO_STEPS["certificate"])
    first = SimpleUploadedFile("front.png", factories.PNG_BYTES, content_type="image/png")
    client.post(_step_url(case, "delivery"), {"delivery_method": "mail", "agree": "on", "id_document": first})
    second = SimpleUploadedFile("again.png", factories.PNG_BYTES, content_type="image/png")
    response = client.post(
        _step_url(case, "delivery"), {"delivery_method": "mail", "agree": "on", "id_document": second}
    )
    page = response.content.decode()
    assert "このファイル欄にはすでに添付済みです" in page
    assert "front.png" in page
    assert list(case.attachments.values_list("original_name", flat=True)) == ["front.png"]
    # Continuing without a new file keeps the first one and goes on to the review.
    response = client.post(_step_url(case, "delivery"), {"delivery_method": "mail", "agree": "on"})
    assert response.url == reverse("portal:review", args=[case.reference])


def test_a_procedure_that_is_not_online_sends_the_resident_to_the_counter(resident_client, procedure):
    response = resident_client.post(reverse("portal:apply", args=["inkan-toroku"]), follow=True)

    page = response.content.decode()
    assert response.redirect_chain == [(reverse("portal:procedure", args=["inkan-toroku"]), 302)]
    assert "この手続きはオンラインでは申請できません。窓口でお手続きください。" in page  # the message
    assert "この手続きはオンラインでは申請できません。市役所の窓口でお手続きください。" in page  # the page
    assert reverse("portal:apply", args=["inkan-toroku"]) not in page
    assert not Case.objects.exists()
