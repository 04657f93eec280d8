"""Program scoping for views and API viewsets.

The program always comes from the URL (``<program>`` kwarg = Program.slug), never from a
session preference. ``resolve_membership`` is the single place that turns (user, program
slug) into a Membership; everything else works from ``self.program`` and
``self.membership``. Objects of another program are a 404, exactly like missing ones.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import permissions, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import PermissionDenied as DRFPermissionDenied

from core import authz
from core.errors import DomainError
from core.models import get_membership_model
from core.roles import INTERNAL_ROLES, MANAGE_ROLES

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def resolve_membership(user, program_slug):
    """Return (program, membership) for an active member, else raise Http404.

    A non-member learns nothing about the program's workspace, whether or not it exists.
    """
    if not user.is_authenticated:
        raise Http404
    membership = (
        get_membership_model()
        .objects.select_related("program", "buyer")
        .filter(user=user, program__slug=program_slug, is_active=True)
        .first()
    )
    if membership is None:
        raise Http404
    return membership.program, membership


def role_allows(membership, method, read_roles, write_roles):
    roles = read_roles if method in SAFE_METHODS else write_roles
    return membership.role in roles


def view_action(view, method):
    """The ``core.authz`` action a view names for ``method``, or None."""
    action = getattr(view, "read_action" if method in SAFE_METHODS else "write_action", None)
    # A viewset may name the action of each of its actions: {"confirm": "violation.confirm"}
    # or {"settings": ("enforcement.view", "enforcement_settings.update")} (GET, POST).
    per_action = getattr(view, "authz_actions", {}).get(getattr(view, "action", None))
    if per_action:
        action = per_action
        if isinstance(per_action, tuple):
            action = per_action[0] if method in SAFE_METHODS else per_action[1]
    return action


def view_allows(view, user, method):
    """A view that names its actions (``read_action``/``write_action``, keys of
    ``core.authz.ACTIONS``) is gated by the table, so the page and the controls that
    lead to it agree; otherwise by its ``read_roles``/``write_roles``."""
    action = view_action(view, method)
    if action:
        return authz.can(user, view.program, action, membership=view.membership)
    return role_allows(view.membership, method, view.read_roles, view.write_roles)


class ProgramViewMixin(LoginRequiredMixin):
    """Base for every staff-workspace HTML view under ``/p/<program>/``.

    Subclasses set ``read_roles``/``write_roles`` and implement ``get_scoped_queryset()``
    by calling a selector with ``program=self.program, actor=self.request.user``.
    """

    read_roles = INTERNAL_ROLES
    write_roles = MANAGE_ROLES
    read_action = None
    write_action = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.program, self.membership = resolve_membership(request.user, kwargs["program"])
        if not view_allows(self, request.user, request.method):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_scoped_queryset(self):
        raise NotImplementedError(f"{type(self).__name__} must implement get_scoped_queryset()")

    def get_queryset(self):
        return self.get_scoped_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["program"] = self.program
        context["membership"] = self.membership
        return context

    def can(self, action, obj=None):
        """``core.authz.can`` for the member viewing the page (the ``can_*`` flags)."""
        return authz.can(self.request.user, self.program, action, obj, membership=self.membership)

    @property
    def can_manage(self):
        if self.write_action:
            return self.can(self.write_action)
        return self.membership.role in self.write_roles


class ProgramRolePermission(permissions.BasePermission):
    """DRF permission: the view's membership role must allow the method."""

    def has_permission(self, request, view):
        allowed = view_allows(view, request.user, request.method)
        action = view_action(view, request.method)
        if not allowed and action:
            # The refusal says who may (the same sentence a service gives).
            self.message = authz.refusal(view.program, action)
        return allowed


class ProgramViewSet(viewsets.GenericViewSet):
    """Base for every API viewset under ``/api/v1/programs/<program>/``.

    Resolves program and membership once in ``initial``; ``get_queryset`` delegates to
    ``get_scoped_queryset()`` (a selector). Writes go through services in
    ``perform_create``/``perform_update`` of the subclass.
    """

    read_roles = INTERNAL_ROLES
    write_roles = MANAGE_ROLES
    read_action = None
    write_action = None
    authz_actions = {}
    permission_classes = [permissions.IsAuthenticated, ProgramRolePermission]
    lookup_value_regex = r"\d+"

    def initial(self, request, *args, **kwargs):
        # Authentication first (it is lazy in DRF), then the membership, then permissions.
        self.perform_authentication(request)
        if request.user and request.user.is_authenticated:
            try:
                self.program, self.membership = resolve_membership(
                    request.user, self.kwargs["program"]
                )
            except Http404 as exc:
                raise NotFound() from exc
        super().initial(request, *args, **kwargs)

    def get_scoped_queryset(self):
        raise NotImplementedError(f"{type(self).__name__} must implement get_scoped_queryset()")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return self.queryset.none() if self.queryset is not None else None
        return self.get_scoped_queryset()

    def deny(self):
        raise DRFPermissionDenied()


def same_program(program, *objs):
    """Refuse a record of another program handed to a service of this one (a program or
    its id; None entries are skipped)."""
    program_id = getattr(program, "pk", program)
    for obj in objs:
        if obj is not None and obj.program_id != program_id:
            raise DomainError("That record belongs to another program.")


def get_or_404(queryset, **lookup):
    """One row of an already program-scoped queryset; 404 when absent (missing and
    not-yours alike). A lookup value the column cannot hold (a word for an id, from a
    form field) is a 404 too, not a 500."""
    from django.core.exceptions import ValidationError

    try:
        obj = queryset.filter(**lookup).first()
    except (ValueError, TypeError, ValidationError):
        raise Http404 from None
    if obj is None:
        raise Http404
    return obj
