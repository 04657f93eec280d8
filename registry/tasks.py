"""Background jobs of the import: a large file's preview and its apply (20,000 rows take
longer than a web request may). Thin: load by id, re-check the program, call the
service. Idempotent: the preview runs only while the batch is "analysing", the apply
only while it is "applying" (a redelivered apply finds it applied and stops)."""

from celery import shared_task
from django.contrib.auth import get_user_model

from . import services
from .models import ImportBatch, ImportStatus


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=600, time_limit=660)
def import_analyse_task(batch_id, program_id):
    if not ImportBatch.objects.filter(pk=batch_id, program_id=program_id).exists():
        return None
    return services.import_analyse(batch_id=batch_id).status


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=600, time_limit=660)
def import_apply_task(batch_id, program_id, user_id):
    batch = ImportBatch.objects.filter(pk=batch_id, program_id=program_id).first()
    if batch is None or batch.status != ImportStatus.APPLYING:
        return None
    actor = get_user_model().objects.get(pk=user_id)
    try:
        return services.import_apply(actor=actor, batch_id=batch_id).status
    except Exception as exc:
        ImportBatch.objects.filter(pk=batch_id, status=ImportStatus.APPLYING).update(
            status=ImportStatus.PREVIEW, error=str(exc)[:500]
        )
        raise
