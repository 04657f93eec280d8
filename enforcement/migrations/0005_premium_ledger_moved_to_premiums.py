"""The premium ledger's models now belong to the premiums app (its 0001 records them);
the tables stay, so this only forgets them here."""


from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('premiums', '0001_initial'),
        ('enforcement', '0004_ledger_period_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='ledgerimport',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='ledgerimport',
                    name='program',
                ),
                migrations.RemoveIndex(
                    model_name='payrolldistribution',
                    name='payroll_period',
                ),
                migrations.RemoveConstraint(
                    model_name='payrolldistribution',
                    name='payroll_amount_nonneg',
                ),
                migrations.RemoveConstraint(
                    model_name='payrolldistribution',
                    name='payroll_period_ordered',
                ),
                migrations.RemoveIndex(
                    model_name='premiumpayment',
                    name='premiumpayment_period',
                ),
                migrations.RemoveConstraint(
                    model_name='premiumpayment',
                    name='premiumpayment_amount_pos',
                ),
                migrations.RemoveConstraint(
                    model_name='premiumpayment',
                    name='premiumpayment_period_ordered',
                ),
                migrations.RemoveConstraint(
                    model_name='purchasereport',
                    name='purchasereport_one_per_period',
                ),
                migrations.RemoveConstraint(
                    model_name='purchasereport',
                    name='purchasereport_period_ordered',
                ),
                migrations.RemoveConstraint(
                    model_name='purchasereport',
                    name='purchasereport_volume_pos',
                ),
                migrations.RemoveField(
                    model_name='premiumpayment',
                    name='buyer',
                ),
                migrations.RemoveField(
                    model_name='premiumpayment',
                    name='program',
                ),
                migrations.RemoveField(
                    model_name='premiumpayment',
                    name='source',
                ),
                migrations.RemoveField(
                    model_name='premiumpayment',
                    name='supplier',
                ),
                migrations.RemoveField(
                    model_name='purchasereport',
                    name='agreement',
                ),
                migrations.RemoveField(
                    model_name='purchasereport',
                    name='buyer',
                ),
                migrations.RemoveField(
                    model_name='purchasereport',
                    name='program',
                ),
                migrations.RemoveField(
                    model_name='purchasereport',
                    name='source',
                ),
                migrations.RemoveField(
                    model_name='purchasereport',
                    name='supplier',
                ),
                migrations.DeleteModel(
                    name='PayrollDistribution',
                ),
                migrations.DeleteModel(
                    name='PremiumPayment',
                ),
                migrations.DeleteModel(
                    name='LedgerImport',
                ),
                migrations.DeleteModel(
                    name='PurchaseReport',
                ),
            ],
        ),
    ]
