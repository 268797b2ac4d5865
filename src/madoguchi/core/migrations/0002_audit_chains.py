"""The audit log becomes a pool of parallel chains: rows get a `chain` (existing rows: chain 1) and are
unique per (chain, seq); `AuditChainHead.id` is the chain number (the existing head, id 1, is chain 1)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="chain",
            field=models.PositiveSmallIntegerField(default=1),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(fields=("chain", "seq"), name="audit_chain_seq_unique"),
        ),
        migrations.AlterField(
            model_name="auditchainhead",
            name="id",
            field=models.PositiveSmallIntegerField(primary_key=True, serialize=False),
        ),
    ]
