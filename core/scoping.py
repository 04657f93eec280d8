"""Tenant scoping in the ORM: a query on a program's table must say whose rows it wants.

Every model of ``core.models.ProgramOwned`` (cases, audits, facilities, suppliers,
buyers, agreements, obligations, ...: 48 tables, each with a direct ``program`` foreign
key) has ``objects = TenantManager()``. With ``settings.TENANT_SCOPES_ENFORCED``:

- inside ``program_scope(program)`` every query on those tables is filtered to that
  program (a list of programs: any of them), whatever the code forgot to filter;
- outside any scope a query raises ``ScopeError`` (a 500, a failing test) instead of
  reading every program's rows;
- ``system_scope(reason)`` lets code that must cross programs (beat jobs over every
  program, the platform admin, cross-program indexes) say so, with the reason.

Off (the default until the whole suite runs with it), the manager is a plain manager and
the scopes are no-ops, exactly as before.

Who opens the scope: ``TenantScopeMiddleware`` for requests (the program of the URL;
an officer's programs under /buyer/), ``scope_celery_tasks`` for Celery tasks (tasks
load their records by id across programs and check them, as ``SystemActor``).

Why not django-scopes' manager (pretix's; evaluated, version 2.1.0, on Django 6.1): it
decides when the queryset is *made*, not when it runs. A ModelForm's foreign-key field
builds its queryset at import time (programs/forms.py), outside any scope, so it raised
at import (and had it been made inside a scope it would have kept that program for good);
and its refusing queryset leaves ``exists()``, ``in_bulk()``, ``contains()``,
``explain()`` and the async methods running unfiltered. Here the check is made when the
SQL is compiled (``TenantQuery.get_compiler``, which every SELECT, COUNT, EXISTS,
aggregate and subquery goes through) and before an UPDATE or a fast DELETE, so a
queryset is filtered by the scope active when it runs. The scope state is a
``contextvars.ContextVar`` (per thread and per asyncio task), as django-scopes' is.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.sql import Query

NO_PROGRAM = -1  # a scope that matches no row (an unknown program in a URL)
_SYSTEM = "system"

# None: no scope (tenant queries raise); _SYSTEM: across programs; else a tuple of ids.
_scope: ContextVar = ContextVar("wsr_program_scope", default=None)


class ScopeError(Exception):
    """A query on a program's table ran outside a program scope."""


def enforced():
    return getattr(settings, "TENANT_SCOPES_ENFORCED", False)


def _ids(program):
    if isinstance(program, list | tuple | set | frozenset):
        return tuple(NO_PROGRAM if p is None else getattr(p, "pk", p) for p in program)
    return (NO_PROGRAM if program is None else getattr(program, "pk", program),)


@contextmanager
def _set(value):
    token = _scope.set(value)
    try:
        yield
    finally:
        _scope.reset(token)


def program_scope(program):
    """Queries inside see only ``program``'s rows (a Program, its id, or several)."""
    return _set(_ids(program))


def system_scope(reason):
    """Queries inside cross programs. ``reason`` says why (for the reader: each use is a
    place that decides for itself which program a record belongs to)."""
    assert reason, "say why this code crosses programs"
    return _set(_SYSTEM)


def no_scope():
    """Leave any scope: tenant queries inside raise (tests of the rule)."""
    return _set(None)


def current_scope():
    return _scope.get()


def _scoped(query):
    """``query`` filtered to the active scope (a clone), or ``query`` itself when not
    enforced, across programs, or already filtered; ``ScopeError`` without a scope."""
    if not enforced() or getattr(query, "_tenant_scoped", False):
        return query
    current = _scope.get()
    if current == _SYSTEM:
        return query
    if current is None:
        raise ScopeError(
            f"A query on {query.model._meta.label} ran outside a program scope "
            "(core.scoping.program_scope, or system_scope with the reason it crosses "
            "programs)."
        )
    scoped = query.clone()
    if len(current) == 1:
        scoped.add_q(Q(program_id=current[0]))
    else:
        scoped.add_q(Q(program_id__in=current))
    scoped._tenant_scoped = True
    return scoped


class TenantQuery(Query):
    def get_compiler(self, using=None, connection=None, elide_empty=True):
        query = _scoped(self)
        return Query.get_compiler(query, using, connection, elide_empty)


class TenantQuerySet(models.QuerySet):
    def __init__(self, model=None, query=None, using=None, hints=None):
        super().__init__(model, query or TenantQuery(model), using, hints)

    def _in_scope(self):
        clone = self._chain()
        clone.query = _scoped(clone.query)
        return clone

    # An UPDATE and a fast DELETE turn the query into another class (no TenantQuery
    # compiler): filter before.
    def update(self, **kwargs):
        return models.QuerySet.update(self._in_scope(), **kwargs)

    update.alters_data = True

    def _update(self, values):
        return models.QuerySet._update(self._in_scope(), values)

    _update.alters_data = True

    def _raw_delete(self, using):
        return models.QuerySet._raw_delete(self._in_scope(), using)

    _raw_delete.alters_data = True


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    """``Model.objects`` of a tenant table (see the module docstring)."""


def tenant_manager():
    return TenantManager()


# ---------------------------------------------------------------- requests


# Routes that show several programs at once, by design: the platform admin (the
# operator's tool), the public index of programs and the member's list of their own
# programs. Each filters by program itself.
CROSS_PROGRAM_PREFIXES = ("/admin/",)
CROSS_PROGRAM_ROUTES = {"home", "disclosure:index"}
BUYER_NAMESPACES = {"buyer", "buyer-api"}


def _officer_programs(user):
    from core.models import get_membership_model
    from core.roles import Role

    if not getattr(user, "is_authenticated", False):
        return [NO_PROGRAM]
    ids = list(
        get_membership_model()
        .objects.filter(user=user, role=Role.BUYER_OFFICER, is_active=True)
        .values_list("program_id", flat=True)
    )
    return ids or [NO_PROGRAM]


def request_scope(request):
    """The scope a request runs in: the program its URL names (/p/<program>/,
    /api/v1/programs/<program>/, the public pages of one program), the officer's own
    programs under /buyer/, every program on the few cross-program routes, and
    otherwise none (a tenant query there raises)."""
    from django.urls import Resolver404, resolve

    from core.models import get_tenant_model

    if request.path_info.startswith(CROSS_PROGRAM_PREFIXES):
        return system_scope("the platform admin site: the operator's, across programs")
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return program_scope(NO_PROGRAM)
    slug = match.kwargs.get("program")
    if slug is not None:
        pid = get_tenant_model().objects.filter(slug=slug).values_list("pk", flat=True).first()
        return program_scope(NO_PROGRAM if pid is None else pid)
    if match.namespace in BUYER_NAMESPACES:
        return program_scope(_officer_programs(request.user))
    if match.view_name in CROSS_PROGRAM_ROUTES:
        return system_scope("lists the programs a person may open or read")
    return no_scope()


class TenantScopeMiddleware:
    """Opens the request's scope (``request_scope``) around the view and the rendering
    of its response. After AuthenticationMiddleware (an officer's programs)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not enforced():
            return self.get_response(request)
        with request_scope(request):
            response = self.get_response(request)
            if getattr(response, "streaming", False):
                # A streamed body (CSV, zip) is read after this returns: read it now,
                # inside the scope, rather than outside it.
                response.streaming_content = list(response.streaming_content)
        return response


# ---------------------------------------------------------------- tasks


_task_tokens = {}


def _task_started(task_id=None, **kwargs):
    # Tasks load their records by id across programs and check them (they act as
    # core.actors.SystemActor; beat jobs walk every program).
    _task_tokens[task_id] = _scope.set(_SYSTEM)


def _task_finished(task_id=None, **kwargs):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        _scope.reset(token)


def scope_celery_tasks():
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(_task_started, weak=False, dispatch_uid="wsr.scope_task_start")
    task_postrun.connect(_task_finished, weak=False, dispatch_uid="wsr.scope_task_end")
