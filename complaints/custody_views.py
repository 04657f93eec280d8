"""Pages of identity custody (complaints/custody.py): a member asks to see a
complainant's identity, a custodian approves or declines, an admin sets who the
custodians are."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import TemplateView

from core.errors import DomainError
from core.roles import ADMIN_ROLES, INTERNAL_ROLES, Role
from core.tenancy import ProgramViewMixin

from . import custody
from .models import ComplaintPolicy, IdentityRevealRequest, RevealStatus
from .views import CaseMixin


class RequestForm(forms.Form):
    reason = forms.CharField(
        label="Why do you need to see who filed it?", widget=forms.Textarea, max_length=2000
    )


class DecisionForm(forms.Form):
    reason = forms.CharField(label="Reason", widget=forms.Textarea, max_length=2000)


class IdentityRequestView(CaseMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        case = self.get_case()
        if not self.access.identity:
            raise PermissionDenied
        form = RequestForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Say why you need to see who filed this complaint.")
        else:
            try:
                custody.identity_reveal_request(
                    actor=request.user, case=case, reason=form.cleaned_data["reason"]
                )
                messages.success(request, "Your request was sent to the program's custodians.")
            except DomainError as exc:
                messages.error(request, exc.message)
        return redirect("complaints:case_detail", program=self.program.slug, pk=case.pk)


class CustodianMixin(ProgramViewMixin):
    read_roles = INTERNAL_ROLES
    write_roles = INTERNAL_ROLES
    # The table's gate asks whether the member is one of the program's custodians.
    read_action = write_action = "identity_request.decide"

    def check_custodian(self):
        if not custody.is_custodian(user=self.request.user, program=self.program):
            raise PermissionDenied


class IdentityRequestListView(CustodianMixin, TemplateView):
    """The custodian's queue: pending requests first, then the last decisions."""

    template_name = "complaints/identity_requests.html"

    def get(self, request, *args, **kwargs):
        self.check_custodian()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        qs = IdentityRevealRequest.objects.filter(program=self.program).select_related(
            "case", "requester", "decided_by"
        )
        context["pending"] = qs.filter(status=RevealStatus.PENDING)
        context["decided"] = qs.exclude(status=RevealStatus.PENDING)[:50]
        context["form"] = DecisionForm()
        return context


class IdentityRequestDecideView(CustodianMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        reveal_request = get_object_or_404(
            IdentityRevealRequest, program=self.program, pk=kwargs["pk"]
        )
        self.check_custodian()
        form = DecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Give a reason for the decision.")
        else:
            try:
                custody.identity_reveal_decide(
                    actor=request.user,
                    request=reveal_request,
                    approve=request.POST.get("decision") == "approve",
                    reason=form.cleaned_data["reason"],
                )
                messages.success(request, "Decision recorded.")
            except DomainError as exc:
                messages.error(request, exc.message)
        return redirect("complaints:identity_requests", program=self.program.slug)


class CustodySettingsForm(forms.Form):
    required = forms.BooleanField(
        required=False,
        label="A custodian must approve before anyone but an admin sees a complainant's identity",
    )
    custodians = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Custodians",
    )

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["custodians"].queryset = (
            get_user_model()
            .objects.filter(
                memberships__program=program,
                memberships__is_active=True,
            )
            .exclude(memberships__role=Role.BUYER_OFFICER)
            .order_by("username")
        )


class CustodySettingsView(ProgramViewMixin, TemplateView):
    template_name = "complaints/custody_settings.html"
    read_roles = ADMIN_ROLES
    write_roles = ADMIN_ROLES
    read_action = write_action = "custody.set"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if "form" not in kwargs:
            policy = ComplaintPolicy.objects.filter(program=self.program).first()
            initial = {
                "required": bool(policy and policy.identity_requires_custodian),
                "custodians": list(policy.identity_custodians.all()) if policy else [],
            }
            context["form"] = CustodySettingsForm(program=self.program, initial=initial)
        return context

    def post(self, request, *args, **kwargs):
        form = CustodySettingsForm(request.POST, program=self.program)
        if form.is_valid():
            try:
                custody.identity_custody_set(
                    actor=request.user,
                    program=self.program,
                    required=form.cleaned_data["required"],
                    custodians=form.cleaned_data["custodians"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Identity custody saved.")
                return redirect("complaints:custody_settings", program=self.program.slug)
        return self.render_to_response(self.get_context_data(form=form), status=400)
