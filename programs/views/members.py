"""Members of a program (admins invite and change them) and the user's API token."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView
from rest_framework.authtoken.models import Token

from core.roles import ADMIN_ROLES, ALL_ROLES, MANAGE_ROLES, Role
from core.tenancy import ProgramViewMixin

from .. import selectors, services
from ..forms import InviteForm, MembershipForm
from .base import ObjectFormMixin, ProgramListView, ServiceFormView


class MemberListView(ProgramListView):
    template_name = "programs/member_list.html"
    context_object_name = "members"
    # Staff may see who is on the program; only the worker organization's admins change it.
    read_roles = MANAGE_ROLES
    write_roles = ADMIN_ROLES

    def get_scoped_queryset(self):
        active = {"active": True, "inactive": False}.get(self.param("state"))
        return selectors.member_list(
            program=self.program, search=self.param("q"), role=self.param("role"), active=active
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["roles"] = Role.choices
        context["is_admin"] = self.membership.role in ADMIN_ROLES
        return context


class MemberInviteView(ServiceFormView):
    form_class = InviteForm
    form_needs_program = True
    read_roles = ADMIN_ROLES
    write_roles = ADMIN_ROLES
    title = "Invite a member"
    submit_label = "Invite"

    def get_intro(self):
        return (
            "A new address gets an account and an e-mail with a link to set a password. "
            "An existing account is simply added to this program."
        )

    def get_cancel_url(self):
        return reverse("programs:member_list", kwargs={"program": self.program.slug})

    def perform(self, form):
        return services.membership_invite(
            actor=self.request.user, program=self.program, **form.cleaned_data
        )

    def success_url_for(self, membership):
        self.success_message = (
            f"{membership.user.email} invited as {membership.get_role_display()}."
        )
        return self.get_cancel_url()


class MemberEditView(ObjectFormMixin, ServiceFormView):
    form_class = MembershipForm
    form_needs_program = True
    read_roles = ADMIN_ROLES
    write_roles = ADMIN_ROLES
    success_message = "Membership saved."

    def get_object_queryset(self):
        return selectors.member_list(program=self.program)

    def get_title(self):
        return f"Member: {self.object.user.get_username()}"

    def get_cancel_url(self):
        return reverse("programs:member_list", kwargs={"program": self.program.slug})

    def perform(self, form):
        data = form.cleaned_data
        return services.membership_change(
            actor=self.request.user,
            membership=self.fresh_object(),
            role=data["role"],
            is_active=data["is_active"],
            buyer=data.get("buyer"),
        )

    def success_url_for(self, membership):
        return self.get_cancel_url()


class ApiTokenView(ProgramViewMixin, TemplateView):
    """The signed-in user's own REST API token.

    A token belongs to the user, not to a program: it authenticates requests to every
    program the user is a member of, and each request is still checked against the
    membership of the program in its URL. The page lives in the workspace only so it is
    reachable from the navigation; any member (every role) may open it.
    """

    template_name = "programs/api_token.html"
    read_roles = ALL_ROLES
    write_roles = ALL_ROLES

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["token"] = Token.objects.filter(user=self.request.user).first()
        return context

    def post(self, request, *args, **kwargs):
        # A token is an account credential outside any program's audit chain; rotating it
        # invalidates the old one at once.
        Token.objects.filter(user=request.user).delete()
        if request.POST.get("action") != "revoke":
            Token.objects.create(user=request.user)
            messages.success(request, "A new API token was created; the old one no longer works.")
        else:
            messages.success(request, "Your API token was revoked.")
        return redirect("programs:api_token", program=self.program.slug)
