"""Confirmation.reference: the random reference a printed 確認書's QR code carries (instead of its number)."""

import secrets

from django.db import migrations, models

import madoguchi.benefits.models


def fill_references(apps, schema_editor):
    Confirmation = apps.get_model("benefits", "Confirmation")
    batch = []
    for confirmation in Confirmation.objects.filter(reference__isnull=True).only("id").iterator():
        confirmation.reference = secrets.token_hex(16)
        batch.append(confirmation)
        if len(batch) >= 5000:
            Confirmation.objects.bulk_update(batch, ["reference"])
            batch = []
    Confirmation.objects.bulk_update(batch, ["reference"])


class Migration(migrations.Migration):
    dependencies = [("benefits", "0002_payment_fewer_indexes")]

    operations = [
        migrations.AddField(
            model_name="confirmation",
            name="reference",
            field=models.CharField(max_length=32, null=True),
        ),
        migrations.RunPython(fill_references, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="confirmation",
            name="reference",
            field=models.CharField(
                default=madoguchi.benefits.models.new_reference, max_length=32, unique=True
            ),
        ),
    ]
