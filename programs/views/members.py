"""Members of a program (admins invite and change them) and the user's API token."""

from django.urls import reverse
from django.views.generic import RedirectView

from core import authz
from core.roles import ADMIN_ROLES, ALL_ROLES, Role
from core.tenancy import ProgramViewMixin

from .. import selectors, services
from ..forms import InviteForm, MembershipForm
from .base import ObjectFormMixin, ProgramListView, ServiceFormView


class MemberListView(ProgramListView):
    template_name = "programs/member_list.html"
    context_object_name = "members"
    # Staff may see who is on the program; only the worker organization's admins change it.
    read_action = "members.view"
    write_action = "member.change"

    def get_scoped_queryset(self):
        active = {"active": True, "inactive": False}.get(self.param("state"))
        return selectors.member_list(
            program=self.program, search=self.param("q"), role=self.param("role"), active=active
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["roles"] = Role.choices
        context["is_admin"] = authz.can(
            self.request.user, self.program, "member.change", membership=self.membership
        )
        context["may_end_sessions"] = authz.can(
            self.request.user, self.program, "member.sessions_end", membership=self.membership
        )
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


class ApiTokenView(ProgramViewMixin, RedirectView):
    """The API token page moved to the account (/accounts/tokens/): tokens are the
    user's, named and expiring. The workspace link still lands there."""

    read_roles = ALL_ROLES
    write_roles = ALL_ROLES
    pattern_name = "accounts:api_tokens"

    def get_redirect_url(self, *args, **kwargs):
        return reverse("accounts:api_tokens")
