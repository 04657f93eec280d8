"""Reads of the programs app. Every function takes the program (and the actor where
visibility depends on who asks) and returns only that program's rows."""

from django.db.models import Count, Q
from django.http import Http404

from .models import (
    Agreement,
    Buyer,
    Code,
    CodeVersion,
    CodeVersionStatus,
    Facility,
    Membership,
    Program,
    Provision,
    SourcingRelationship,
    Supplier,
)


def get_or_404(queryset, **lookup):
    """Fetch one row from an already program-scoped queryset; 404 when absent."""
    obj = queryset.filter(**lookup).first()
    if obj is None:
        raise Http404
    return obj


def memberships_for_user(*, user):
    return (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("program", "buyer")
        .order_by("program__name")
    )


def program_public_list():
    return Program.objects.filter(is_public=True).order_by("name")


def member_list(*, program):
    return Membership.objects.filter(program=program).select_related("user", "buyer")


def supplier_list(*, program, search=None, country=None):
    qs = Supplier.objects.filter(program=program).annotate(
        facility_count=Count("facilities", distinct=True)
    )
    if search:
        qs = qs.filter(Q(legal_name__icontains=search) | Q(facilities__name__icontains=search))
        qs = qs.distinct()
    if country:
        qs = qs.filter(country=country.upper())
    return qs.order_by("legal_name")


def facility_list(*, program, search=None, supplier=None, country=None, status=None):
    qs = Facility.objects.filter(program=program).select_related("supplier")
    if search:
        qs = qs.filter(
            Q(name__icontains=search) | Q(address__icontains=search) | Q(os_id__iexact=search)
        )
    if supplier:
        qs = qs.filter(supplier_id=supplier)
    if country:
        qs = qs.filter(country=country.upper())
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("name")


def buyer_list(*, program, search=None):
    qs = Buyer.objects.filter(program=program)
    if search:
        qs = qs.filter(name__icontains=search)
    return qs.order_by("name")


def sourcing_list(*, program, buyer=None, supplier=None, active_on=None):
    qs = SourcingRelationship.objects.filter(program=program).select_related("buyer", "supplier")
    if buyer:
        qs = qs.filter(buyer_id=buyer)
    if supplier:
        qs = qs.filter(supplier_id=supplier)
    if active_on:
        qs = qs.filter(since__lte=active_on).filter(Q(until__isnull=True) | Q(until__gte=active_on))
    return qs


def agreement_list(*, program, buyer=None, status=None):
    qs = Agreement.objects.filter(program=program).select_related("buyer")
    if buyer:
        qs = qs.filter(buyer_id=buyer)
    if status:
        qs = qs.filter(status=status)
    return qs.prefetch_related("signatories")


def code_list(*, program):
    return Code.objects.filter(program=program).order_by("name")


def code_version_list(*, program, code=None):
    qs = CodeVersion.objects.filter(program=program).select_related("code", "ratified_by")
    if code:
        qs = qs.filter(code_id=code)
    return qs


def current_ratified_version(*, program, code=None):
    qs = CodeVersion.objects.filter(program=program, status=CodeVersionStatus.RATIFIED)
    if code is not None:
        qs = qs.filter(code=code)
    return qs.order_by("-number").first()


def provision_list(*, program, version=None):
    qs = Provision.objects.filter(program=program).select_related("version")
    if version is not None:
        qs = qs.filter(version=version)
    return qs.order_by("version_id", "number")


def current_provisions(*, program):
    """Provisions of every code's current ratified version (what complaints and audits cite)."""
    ratified = CodeVersion.objects.filter(program=program, status=CodeVersionStatus.RATIFIED)
    return provision_list(program=program).filter(version__in=ratified)
