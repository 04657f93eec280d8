"""Reads of the programs app. Every function takes the program (and the actor where
visibility depends on who asks) and returns only that program's rows."""

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from guardian.shortcuts import get_objects_for_user

from core import authz
from core.models import AuditEvent
from core.roles import Role

from .models import (
    Agreement,
    AgreementStatus,
    AgreementUserObjectPermission,
    Buyer,
    Code,
    CodeVersion,
    CodeVersionStatus,
    Facility,
    Membership,
    Program,
    Provision,
    Signatory,
    SourcingRelationship,
    Supplier,
)


def memberships_for_user(*, user):
    return (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("program", "buyer")
        .order_by("program__name")
    )


def program_public_list():
    return Program.objects.filter(is_public=True).order_by("name")


def member_list(*, program, search=None, role=None, active=None):
    qs = Membership.objects.filter(program=program).select_related("user", "buyer")
    if search:
        qs = qs.filter(
            Q(user__email__icontains=search)
            | Q(user__username__icontains=search)
            | Q(user__first_name__icontains=search)
            | Q(user__last_name__icontains=search)
        )
    if role:
        qs = qs.filter(role=role)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("user__username")


def recent_audit_events(*, program, limit=10):
    return AuditEvent.objects.filter(program=program).order_by("-seq")[:limit]


def object_history(*, program, obj, limit=50):
    """The audit events about one record of ``program``, newest first."""
    return AuditEvent.objects.filter(
        program=program, object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).order_by("-seq")[:limit]


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


def buyer_list(*, program, search=None, country=None):
    # A subquery, not a JOIN + GROUP BY: callers add their own annotations safely.
    active = (
        Agreement.objects.filter(buyer=OuterRef("pk"), status=AgreementStatus.ACTIVE)
        .order_by()
        .values("buyer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    qs = Buyer.objects.filter(program=program).annotate(
        active_agreement_count=Coalesce(Subquery(active), 0)
    )
    if search:
        qs = qs.filter(name__icontains=search)
    if country:
        qs = qs.filter(headquarters_country=country.upper())
    return qs.order_by("name")


def sourcing_list(*, program, buyer=None, supplier=None, active_on=None, search=None, ongoing=None):
    qs = SourcingRelationship.objects.filter(program=program).select_related("buyer", "supplier")
    if search:
        qs = qs.filter(Q(buyer__name__icontains=search) | Q(supplier__legal_name__icontains=search))
    if ongoing is not None:
        qs = qs.filter(until__isnull=ongoing)
    if buyer:
        qs = qs.filter(buyer_id=buyer)
    if supplier:
        qs = qs.filter(supplier_id=supplier)
    if active_on:
        qs = qs.filter(since__lte=active_on).filter(Q(until__isnull=True) | Q(until__gte=active_on))
    return qs


def agreement_list(*, program, buyer=None, status=None, search=None):
    qs = Agreement.objects.filter(program=program).select_related("buyer")
    if buyer:
        qs = qs.filter(buyer_id=buyer)
    if status:
        qs = qs.filter(status=status)
    if search:
        qs = qs.filter(Q(title__icontains=search) | Q(buyer__name__icontains=search))
    return qs.prefetch_related("signatories")


# Who sees which agreements by default (the role alone):
# - admin, staff, viewer: every agreement of the program, drafts included. They run or
#   oversee the negotiation.
# - investigator, auditor: agreements that exist in the world (active, expired,
#   terminated): they need to know which buyers are bound and to what consequences, but
#   a draft under negotiation is none of their business.
# - buyer_officer: their own buyer's agreements, except drafts.
# Anything more is a per-object grant (agreement_share), read here through guardian.
AGREEMENT_FULL_VIEW_ROLES = authz.ACTIONS["agreement_drafts.view"].roles
AGREEMENT_READ_ROLES = frozenset(Role.values)


def agreements_visible(*, program, user, membership, **filters):
    """``agreement_list`` narrowed to what ``membership`` may see, plus what was shared
    with ``user``. One SQL query (guardian's grant lookup becomes a subquery)."""
    qs = agreement_list(program=program, **filters)
    if membership is None or membership.program_id != program.pk or not membership.is_active:
        return qs.none()
    if membership.role in AGREEMENT_FULL_VIEW_ROLES:
        return qs
    by_role = Q(pk__in=[])
    if membership.role in (Role.INVESTIGATOR, Role.AUDITOR):
        by_role = ~Q(status=AgreementStatus.DRAFT)
    elif membership.role == Role.BUYER_OFFICER:
        by_role = Q(buyer_id=membership.buyer_id) & ~Q(status=AgreementStatus.DRAFT)
    shared = get_objects_for_user(
        user,
        "programs.view_agreement",
        # Always a program-filtered queryset: a grant can never reach another program.
        klass=Agreement.objects.filter(program=program),
        with_superuser=False,
        accept_global_perms=False,
    )
    return qs.filter(by_role | Q(pk__in=shared.values("pk")))


def agreement_shares(*, agreement):
    """Members an agreement has been shared with (guardian rows, program-checked)."""
    return (
        AgreementUserObjectPermission.objects.filter(
            content_object=agreement,
            content_object__program_id=agreement.program_id,
            permission__codename="view_agreement",
        )
        .select_related("user")
        .order_by("user__username")
    )


def share_candidates(*, program, agreement):
    """Active members whose role does not already show them ``agreement``: those the
    share control offers. Buyer officers only of the agreement's own buyer."""
    already = agreement_shares(agreement=agreement).values("user_id")
    return (
        Membership.objects.filter(program=program, is_active=True)
        .exclude(role__in=AGREEMENT_FULL_VIEW_ROLES)
        .exclude(Q(role=Role.BUYER_OFFICER) & ~Q(buyer_id=agreement.buyer_id))
        .exclude(user_id__in=already)
        .select_related("user")
        .order_by("user__username")
    )


def signatory_list(*, program, agreement=None):
    qs = Signatory.objects.filter(program=program).select_related("agreement")
    if agreement is not None:
        qs = qs.filter(agreement=agreement)
    return qs


def code_list(*, program, search=None):
    qs = Code.objects.filter(program=program).annotate(
        version_count=Count("versions", distinct=True)
    )
    if search:
        qs = qs.filter(name__icontains=search)
    return qs.order_by("name")


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


def provision_list(*, program, version=None, search=None, severity=None, category=None):
    qs = Provision.objects.filter(program=program).select_related("version")
    if version is not None:
        qs = qs.filter(version=version)
    if search:
        qs = qs.filter(
            Q(title__icontains=search) | Q(text__icontains=search) | Q(number__startswith=search)
        )
    if severity:
        qs = qs.filter(severity=severity)
    if category:
        qs = qs.filter(category=category)
    return qs.order_by("version_id", "number")


def current_provisions(*, program):
    """Provisions of every code's current ratified version (what complaints and audits cite)."""
    ratified = CodeVersion.objects.filter(program=program, status=CodeVersionStatus.RATIFIED)
    return provision_list(program=program).filter(version__in=ratified)
