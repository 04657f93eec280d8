"""Tenant scoping in the ORM (core/scoping.py, django-scopes): with
TENANT_SCOPES_ENFORCED, a query on a program's table outside a program scope raises,
and inside program A's scope no query returns program B's rows, whatever it forgot to
filter. Requests get the scope of their URL's program; tasks run as the system.

The test run's own code runs in a system scope (tests/conftest.py); these tests step
out of it with ``no_scope()`` to see the rule."""

import pytest
from django.db.models import Count
from django.urls import reverse

from audits.models import Audit
from complaints.models import Case
from core.models import ProgramOwned
from core.roles import Role
from core.scoping import ScopeError, no_scope, program_scope, system_scope
from programs.models import Facility, Supplier

pytestmark = pytest.mark.django_db


@pytest.fixture
def enforced(settings):
    settings.TENANT_SCOPES_ENFORCED = True


def tenant_models():
    from django.apps import apps

    return [m for m in apps.get_models() if issubclass(m, ProgramOwned)]


def test_every_tenant_model_has_the_scoped_manager():
    from core.scoping import TenantManager

    models = tenant_models()
    assert len(models) > 40
    for model in models:
        assert isinstance(model._default_manager, TenantManager), model
        assert isinstance(model.objects, TenantManager), model


def test_a_queryset_made_outside_a_scope_runs_in_the_scope_active_when_it_runs(enforced, personas):
    """A form field's queryset is made at import time: it takes the scope of the request
    that evaluates it, not of the moment it was made."""
    with no_scope():
        made_at_import = Facility.objects.all()
    with program_scope(personas.a.program):
        assert set(made_at_import.all()) == {personas.a.facility}
    with program_scope(personas.b.program):
        assert set(made_at_import.all()) == {personas.b.facility}


@pytest.mark.parametrize(
    "query",
    [
        lambda m: list(m.objects.all()),
        lambda m: m.objects.filter(pk=1).first(),
        lambda m: m.objects.count(),
        lambda m: m.objects.exists(),
        lambda m: m.objects.filter(pk=1).exists(),
        lambda m: m.objects.exclude(pk=1).exists(),
        lambda m: m.objects.in_bulk([1]),
        lambda m: list(m.objects.values_list("pk", flat=True)[:1]),
        lambda m: m.objects.filter(pk=1).update(),
        lambda m: m.objects.filter(pk=1).delete(),
        lambda m: m.objects.get(pk=1),
        lambda m: m.objects.aggregate(n=Count("pk")),
        lambda m: list(m.objects.filter(pk__in=m.objects.values("pk"))),
    ],
    ids=[
        "all",
        "first",
        "count",
        "exists",
        "filter-exists",
        "exclude-exists",
        "in_bulk",
        "values_list",
        "update",
        "delete",
        "get",
        "aggregate",
        "subquery",
    ],
)
def test_an_unscoped_query_on_a_tenant_table_raises(query, enforced, personas):
    for model in (Case, Audit, Facility, Supplier):
        with no_scope(), pytest.raises(ScopeError):
            query(model)


def test_a_related_manager_is_scoped_too(enforced, personas):
    supplier = personas.a.supplier
    with no_scope(), pytest.raises(ScopeError):
        list(supplier.facilities.all())
    with program_scope(personas.a.program):
        assert list(supplier.facilities.all()) == [personas.a.facility]


def test_program_a_scope_never_returns_program_bs_rows(enforced, personas):
    a, b = personas.a, personas.b
    for model in tenant_models():
        with program_scope(a.program):
            programs = set(model.objects.values_list("program_id", flat=True).distinct())
        assert programs <= {a.program.pk}, model
    with program_scope(a.program):
        # Asked for B's rows by id, forgetting the program: nothing.
        assert not Facility.objects.filter(pk=b.facility.pk).exists()
        assert Supplier.objects.filter(pk=b.supplier.pk).first() is None
        with pytest.raises(Facility.DoesNotExist):
            Facility.objects.get(pk=b.facility.pk)
        assert Facility.objects.filter(pk=a.facility.pk).get() == a.facility
    with program_scope([a.program, b.program]):
        assert {a.facility, b.facility} <= set(Facility.objects.all())
    with system_scope("the test compares both programs"):
        assert Facility.objects.filter(pk=b.facility.pk).exists()


def test_off_by_setting_nothing_changes(settings, personas):
    settings.TENANT_SCOPES_ENFORCED = False
    with no_scope():
        assert Facility.objects.filter(pk=personas.b.facility.pk).exists()


def test_a_request_runs_in_its_urls_program(enforced, personas, client_for):
    """The middleware scopes /p/<program>/ to that program: pages and the API work as
    before, B's facility is not found through A's URL."""
    a, b = personas.a, personas.b
    admin = client_for(a.user(Role.ADMIN))
    page = admin.get(reverse("programs:facility_list", kwargs={"program": a.slug}))
    assert page.status_code == 200
    assert a.facility.name in page.content.decode()
    assert b.facility.name not in page.content.decode()
    other = reverse("programs:facility_detail", kwargs={"program": a.slug, "pk": b.facility.pk})
    assert admin.get(other).status_code == 404
    api = client_for(a.user(Role.STAFF)).get(f"/api/v1/programs/{a.slug}/facilities/")
    assert api.status_code == 200
    assert {row["id"] for row in api.json()["results"]} == {a.facility.pk}


def test_an_officer_sees_the_portal_in_their_programs(enforced, personas, client_for):
    officer = client_for(personas.a.user(Role.BUYER_OFFICER))
    assert officer.get(reverse("buyer:portal")).status_code == 200
    assert officer.get(reverse("buyer:obligation_list")).status_code == 200


def test_second_factor_rule_reads_each_programs_own_settings(enforced, personas, client_for):
    """A program that lets viewers confirm violations makes its viewers use a second
    factor, even while the request is scoped to another program or to none."""
    from core.mfa import mfa_required
    from enforcement.models import EnforcementSettings

    viewer = personas.b.user(Role.VIEWER)
    settings_b, _ = EnforcementSettings.objects.get_or_create(program=personas.b.program)
    settings_b.confirm_roles = [Role.ADMIN, Role.VIEWER]
    settings_b.save()
    for scope_of in (no_scope, lambda: program_scope(personas.a.program)):
        with scope_of():
            assert mfa_required(viewer)
