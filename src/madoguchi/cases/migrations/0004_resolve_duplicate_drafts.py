from django.db import IntegrityError, migrations, transaction
from django.db.models import Count, ProtectedError
from django.utils import timezone

WITHDRAWN_NOTE = (
    "同じ手続きの下書きが重複していたため、自動で取り下げました。入力内容は残っています。"
    "申請を続けるには、手続きのページの「オンラインで申請する」から、もう一方の下書きをお使いください。"
)


def resolve_duplicate_drafts(apps, schema_editor):
    """Before one draft per resident and procedure is enforced: keep the newest draft of each pair (the one
    "apply" resumed), delete the others when they hold nothing, and withdraw (with a history row the resident
    sees) those that hold typed data or files, so that nothing a resident entered is lost."""
    Case = apps.get_model("cases", "Case")
    CaseHistory = apps.get_model("cases", "CaseHistory")
    CaseCount = apps.get_model("cases", "CaseCount")
    duplicated = (
        Case.objects.filter(status="draft", applicant__isnull=False)
        .values("applicant_id", "procedure_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    now = timezone.now()
    for group in duplicated.iterator():
        drafts = list(
            Case.objects.filter(
                status="draft", applicant_id=group["applicant_id"], procedure_id=group["procedure_id"]
            ).order_by("-created_at", "-id")
        )
        for draft in drafts[1:]:
            holds_something = (
                bool(draft.draft_data)
                or draft.attachments.exists()
                or draft.history.exists()
                or draft.messages.exists()
                or draft.notes.exists()
            )
            if not holds_something:
                try:
                    with transaction.atomic():
                        draft.delete()
                    continue
                except (ProtectedError, IntegrityError):
                    pass  # something else refers to it (a nursery link …): withdraw it instead
            Case.objects.filter(pk=draft.pk).update(status="withdrawn", status_changed_at=now, closed_at=now)
            CaseHistory.objects.create(
                case_id=draft.pk,
                action="withdraw",
                from_status="draft",
                to_status="withdrawn",
                note=WITHDRAWN_NOTE,
                visible_to_applicant=True,
            )
            if not CaseCount.objects.filter(department_id=draft.department_id, status="withdrawn").exists():
                CaseCount.objects.create(department_id=draft.department_id, status="withdrawn", n=0)
            counter = CaseCount.objects.get(department_id=draft.department_id, status="withdrawn")
            counter.n += 1
            counter.save(update_fields=["n"])


class Migration(migrations.Migration):
    """Own migration (own transaction): on PostgreSQL, rows written here leave deferred trigger events that
    would stop the next migration's CREATE INDEX in the same transaction."""

    dependencies = [
        ("cases", "0003_attachment_safe_copy"),
    ]

    operations = [
        migrations.RunPython(resolve_duplicate_drafts, migrations.RunPython.noop),
    ]
