"""A finding's violation becomes a foreign key (it was the violation's id as text), and
referrals no longer wait: a finding left 'pending' by the old beat job goes back to
'not referred' so staff can refer it again."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0002_json_field_shapes"),
        ("enforcement", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="finding",
            name="violation",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="audit_findings",
                to="enforcement.violation",
            ),
        ),
        migrations.RunSQL(
            sql="""
                UPDATE audits_finding f SET violation_id = v.id
                FROM enforcement_violation v
                WHERE f.referral_ref <> '' AND v.id::text = f.referral_ref;
                UPDATE audits_finding SET referral_status = ''
                WHERE referral_status = 'pending';
            """,
            reverse_sql="""
                UPDATE audits_finding SET referral_ref = COALESCE(violation_id::text, '')
            """,
        ),
        migrations.RemoveField(model_name="finding", name="referral_ref"),
        migrations.AlterField(
            model_name="finding",
            name="referral_status",
            field=models.CharField(
                blank=True,
                choices=[("", "Not referred"), ("sent", "Proposed as violation")],
                default="",
                max_length=10,
            ),
        ),
    ]
