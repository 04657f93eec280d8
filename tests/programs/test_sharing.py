"""Per-object grants (django-guardian, direct-FK table): sharing an agreement with a
member whose role would not show it, program-scoped."""

import datetime

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from core.errors import DomainError
from core.roles import Role
from programs import selectors, services
from programs.models import AgreementUserObjectPermission, Membership

from .conftest import events

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(a):
    return services.agreement_create(
        actor=a.user(Role.STAFF),
        program=a.program,
        buyer=a.buyer,
        title="Renewal under negotiation",
        effective_from=datetime.date(2027, 1, 1),
        consequence_clause="Suspend purchases.",
    )


def visible(world, role):
    user = world.user(role)
    membership = Membership.objects.get(user=user, program=world.program)
    return set(
        selectors.agreements_visible(program=world.program, user=user, membership=membership)
    )


def test_default_visibility_by_role(a, draft):
    for role in (Role.ADMIN, Role.STAFF, Role.VIEWER):
        assert visible(a, role) == {a.agreement, draft}, role
    for role in (Role.INVESTIGATOR, Role.AUDITOR, Role.BUYER_OFFICER):
        assert visible(a, role) == {a.agreement}, role


def test_share_grants_and_unshare_revokes(a, draft, client_for):
    staff, officer = a.user(Role.STAFF), a.user(Role.BUYER_OFFICER)
    url = reverse("programs:agreement_detail", kwargs={"program": a.slug, "pk": draft.pk})
    assert client_for(officer).get(url).status_code == 404

    services.agreement_share(actor=staff, agreement=draft, user=officer)
    assert draft in visible(a, Role.BUYER_OFFICER)
    assert client_for(officer).get(url).status_code == 200
    row = AgreementUserObjectPermission.objects.get(user=officer)
    assert row.content_object == draft  # the direct-FK table, not the generic one
    ev = events(a.program, "agreement.shared").get()
    assert ev.payload["user"] == officer.pk and ev.actor == staff

    services.agreement_unshare(actor=staff, agreement=draft, user=officer)
    assert draft not in visible(a, Role.BUYER_OFFICER)
    assert client_for(officer).get(url).status_code == 404
    assert events(a.program, "agreement.unshared").count() == 1


def test_share_refusals(a, b, draft, personas):
    staff = a.user(Role.STAFF)
    with pytest.raises(DomainError, match="active members of this program"):
        services.agreement_share(actor=staff, agreement=draft, user=b.user(Role.VIEWER))
    with pytest.raises(DomainError, match="active members of this program"):
        services.agreement_share(actor=staff, agreement=draft, user=personas.outsider)
    with pytest.raises(DomainError, match="already sees every agreement"):
        services.agreement_share(actor=staff, agreement=draft, user=a.user(Role.VIEWER))
    other_draft = services.agreement_create(
        actor=staff,
        program=a.program,
        buyer=a.other_buyer,
        title="Other buyer's draft",
        effective_from=datetime.date(2027, 1, 1),
        consequence_clause="x",
    )
    with pytest.raises(DomainError, match="their own buyer"):
        services.agreement_share(
            actor=staff, agreement=other_draft, user=a.user(Role.BUYER_OFFICER)
        )
    services.agreement_share(actor=staff, agreement=draft, user=a.user(Role.AUDITOR))
    with pytest.raises(DomainError, match="already shared"):
        services.agreement_share(actor=staff, agreement=draft, user=a.user(Role.AUDITOR))
    with pytest.raises(DomainError, match="not shared"):
        services.agreement_unshare(actor=staff, agreement=draft, user=a.user(Role.INVESTIGATOR))


def test_grant_is_program_scoped(a, b, draft):
    """A grant on program A's agreement never shows through program B's selector, even for
    a user who is a member of both programs."""
    auditor_a = a.user(Role.AUDITOR)
    services.membership_invite(
        actor=b.user(Role.ADMIN),
        program=b.program,
        email=auditor_a.email,
        role=Role.AUDITOR,
        send_email=False,
    )
    services.agreement_share(actor=a.user(Role.STAFF), agreement=draft, user=auditor_a)
    m_b = Membership.objects.get(user=auditor_a, program=b.program)
    seen_in_b = selectors.agreements_visible(program=b.program, user=auditor_a, membership=m_b)
    assert draft not in set(seen_in_b)
    # B's membership cannot be used to read A's program either.
    assert not selectors.agreements_visible(
        program=a.program, user=auditor_a, membership=m_b
    ).exists()


def test_share_control_htmx(a, draft, client_for):
    client = client_for(a.user(Role.STAFF))
    detail = reverse("programs:agreement_detail", kwargs={"program": a.slug, "pk": draft.pk})
    page = client.get(detail).content.decode()
    assert finders.find("django_htmx/htmx-2.min.js")
    assert 'src="/static/django_htmx/htmx-2.min.js"' in page
    assert 'id="agreement-shares"' in page and a.user(Role.AUDITOR).email in page
    assert (
        a.user(Role.VIEWER).email not in page.split('id="agreement-shares"')[1]
    )  # sees all already

    share = reverse("programs:agreement_share", kwargs={"program": a.slug, "pk": draft.pk})
    auditor = a.user(Role.AUDITOR)
    response = client.post(share, {"user": auditor.pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="agreement-shares">') and "Stop sharing" in html
    assert draft in visible(a, Role.AUDITOR)

    # Without htmx: a redirect back and a message.
    unshare = reverse("programs:agreement_unshare", kwargs={"program": a.slug, "pk": draft.pk})
    response = client.post(unshare, {"user": auditor.pk})
    assert response.status_code == 302 and response["Location"] == detail
    assert draft not in visible(a, Role.AUDITOR)

    # A viewer (read-only role) cannot share.
    assert client_for(a.user(Role.VIEWER)).post(share, {"user": auditor.pk}).status_code == 403


def test_admin_share_list_has_no_n_plus_one(a, client_for):
    """Agreement.__str__ reads the buyer (as Audit.__str__ read the facility on the
    admin's findings list, issue 16): the share list's queries are constant in rows."""
    from tests.conftest import make_user
    from tests.utils import assert_constant_queries

    staff, officer = a.user(Role.STAFF), a.user(Role.BUYER_OFFICER)
    client = client_for(make_user("root-shares@example.org", is_staff=True, is_superuser=True))
    url = reverse("admin:programs_agreementuserobjectpermission_changelist")

    def grow(n):
        for i in range(n):
            agreement = services.agreement_create(
                actor=staff,
                program=a.program,
                buyer=a.buyer,
                title=f"Draft {i}",
                effective_from=datetime.date(2027, 1, 1),
                consequence_clause="Suspend purchases.",
            )
            services.agreement_share(actor=staff, agreement=agreement, user=officer)

    grow(1)
    client.get(url)
    assert_constant_queries(lambda: client.get(url), grow)
