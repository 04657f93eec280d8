"""Reads of the registry, scoped to the program (another program's batch is a 404)."""

import uuid

from django.http import Http404

from core.tenancy import get_or_404

from .models import ImportBatch, OSHubFacility


def batch_list(*, program):
    return (
        ImportBatch.objects.filter(program=program)
        .select_related("created_by")
        .defer("rows", "preview")
    )


def batch_get(*, program, pk):
    try:
        pk = uuid.UUID(str(pk))
    except ValueError:
        raise Http404 from None
    return get_or_404(ImportBatch.objects.filter(program=program), pk=pk)


def oshub_count(*, program):
    return OSHubFacility.objects.filter(program=program).count()
