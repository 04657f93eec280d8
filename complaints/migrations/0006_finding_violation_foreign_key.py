"""A finding's violation becomes a foreign key (it was the violation's id as text).

The text column and the key's column share a name (violation_id), so the key is added
under a temporary name, filled from the text, and renamed once the text is gone.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0005_identity_custody"),
        ("enforcement", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="finding",
            name="violation_link",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="enforcement.violation",
            ),
        ),
        migrations.RunSQL(
            sql="""
                UPDATE complaints_finding f SET violation_link_id = v.id
                FROM enforcement_violation v
                WHERE f.violation_id <> '' AND v.id::text = f.violation_id
            """,
            reverse_sql="""
                UPDATE complaints_finding
                SET violation_id = COALESCE(violation_link_id::text, '')
            """,
        ),
        migrations.RemoveField(model_name="finding", name="violation_id"),
        migrations.RenameField(model_name="finding", old_name="violation_link", new_name="violation"),
        migrations.AlterField(
            model_name="finding",
            name="violation",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="complaint_findings",
                to="enforcement.violation",
            ),
        ),
    ]
