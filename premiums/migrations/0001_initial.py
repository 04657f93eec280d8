"""The premium ledger's models, moved from enforcement: the tables were created by
enforcement's first migration and keep their names, so this only records them here."""


import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('enforcement', '0001_initial'),
        ('programs', '0004_json_field_shapes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='LedgerImport',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('purchase_reports', 'Purchase reports'), ('payroll_distributions', 'Payroll distributions'), ('premium_payments', 'Premium payments')], max_length=30)),
                        ('filename', models.CharField(blank=True, max_length=255)),
                        ('sha256', models.CharField(max_length=64)),
                        ('row_count', models.PositiveIntegerField(default=0)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('program', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='programs.program')),
                    ],
                    options={
                        'db_table': 'enforcement_ledgerimport',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='PayrollDistribution',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('period_start', models.DateField()),
                        ('period_end', models.DateField()),
                        ('workers_paid', models.PositiveIntegerField()),
                        ('amount', models.DecimalField(decimal_places=2, max_digits=16)),
                        ('currency', models.CharField(default='USD', max_length=3)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('facility', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='programs.facility')),
                        ('program', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='programs.program')),
                        ('source', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='premiums.ledgerimport')),
                        ('supplier', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='programs.supplier')),
                    ],
                    options={
                        'db_table': 'enforcement_payrolldistribution',
                        'ordering': ['-period_start'],
                        'indexes': [models.Index(fields=['supplier', 'period_start'], name='payroll_period')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('amount__gte', 0)), name='payroll_amount_nonneg'), models.CheckConstraint(condition=models.Q(('period_end__gte', models.F('period_start'))), name='payroll_period_ordered')],
                    },
                ),
                migrations.CreateModel(
                    name='PremiumPayment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('period_start', models.DateField()),
                        ('period_end', models.DateField()),
                        ('amount', models.DecimalField(decimal_places=2, max_digits=16)),
                        ('currency', models.CharField(default='USD', max_length=3)),
                        ('paid_on', models.DateField()),
                        ('reference', models.CharField(blank=True, max_length=100)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('buyer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='programs.buyer')),
                        ('program', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='programs.program')),
                        ('source', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='premiums.ledgerimport')),
                        ('supplier', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='programs.supplier')),
                    ],
                    options={
                        'db_table': 'enforcement_premiumpayment',
                        'ordering': ['-paid_on'],
                        'indexes': [models.Index(fields=['supplier', 'period_start', 'period_end'], name='premiumpayment_period')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='premiumpayment_amount_pos'), models.CheckConstraint(condition=models.Q(('period_end__gte', models.F('period_start'))), name='premiumpayment_period_ordered')],
                    },
                ),
                migrations.CreateModel(
                    name='PurchaseReport',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('period_start', models.DateField()),
                        ('period_end', models.DateField()),
                        ('volume', models.DecimalField(decimal_places=3, max_digits=16)),
                        ('unit', models.CharField(max_length=20)),
                        ('premium_rate', models.DecimalField(decimal_places=6, max_digits=12)),
                        ('premium_owed', models.DecimalField(decimal_places=2, max_digits=16)),
                        ('currency', models.CharField(default='USD', max_length=3)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('agreement', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='programs.agreement')),
                        ('buyer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='programs.buyer')),
                        ('program', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='programs.program')),
                        ('source', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='premiums.ledgerimport')),
                        ('supplier', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='programs.supplier')),
                    ],
                    options={
                        'db_table': 'enforcement_purchasereport',
                        'ordering': ['-period_start', 'buyer_id', 'supplier_id'],
                        'constraints': [models.UniqueConstraint(fields=('program', 'buyer', 'supplier', 'period_start', 'period_end'), name='purchasereport_one_per_period'), models.CheckConstraint(condition=models.Q(('period_end__gte', models.F('period_start'))), name='purchasereport_period_ordered'), models.CheckConstraint(condition=models.Q(('volume__gte', 0)), name='purchasereport_volume_pos')],
                    },
                ),
            ],
        ),
    ]
