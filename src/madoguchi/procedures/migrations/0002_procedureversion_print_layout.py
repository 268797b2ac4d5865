"""ProcedureVersion.print_layout: the printed form's layout, kept with each version.

Versions published before this migration get theirs here, from their stored spec (a spec that cannot be read
is left without one; `selectors.form_layout` lays it out on first use).
"""

from django.db import migrations, models


def fill_layouts(apps, schema_editor):
    from madoguchi.procedures.forms.layout import layout_form
    from madoguchi.procedures.spec import ProcedureSpec

    ProcedureVersion = apps.get_model("procedures", "ProcedureVersion")
    for version in ProcedureVersion.objects.filter(print_layout__isnull=True).only("id", "spec").iterator():
        try:
            layout = layout_form(ProcedureSpec.from_json(version.spec)).to_json()
        except (ValueError, KeyError, TypeError, LookupError):
            continue
        ProcedureVersion.objects.filter(pk=version.pk).update(print_layout=layout)


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="procedureversion",
            name="print_layout",
            field=models.JSONField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill_layouts, migrations.RunPython.noop),
    ]
