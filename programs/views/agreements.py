"""Workspace pages for binding agreements: create/edit drafts, activate, terminate,
signatories, the signed PDF (served only through an access-checked view) and sharing a
single agreement with a member (django-guardian)."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView

from core.errors import DomainError
from core.event_labels import describe_events
from core.forms import run_service
from core.roles import MANAGE_ROLES
from core.tenancy import ProgramViewMixin, get_or_404

from .. import selectors, services
from ..forms import (
    AgreementActivateForm,
    AgreementForm,
    AgreementTerminateForm,
    ShareForm,
    SignatoryForm,
)
from ..models import AgreementStatus
from .base import ObjectFormMixin, ProgramListView, ServiceFormView, changed


class AgreementScopeMixin:
    """Agreements as the asking member may see them (role + per-object grants)."""

    read_roles = selectors.AGREEMENT_READ_ROLES

    def visible_agreements(self, **filters):
        return selectors.agreements_visible(
            program=self.program, user=self.request.user, membership=self.membership, **filters
        )

    def get_object_queryset(self):
        return self.visible_agreements()

    def get_scoped_queryset(self):
        return self.visible_agreements()

    def detail_url(self, agreement):
        return reverse(
            "programs:agreement_detail", kwargs={"program": self.program.slug, "pk": agreement.pk}
        )


class AgreementListView(AgreementScopeMixin, ProgramListView):
    template_name = "programs/agreement_list.html"
    context_object_name = "agreements"

    def get_scoped_queryset(self):
        buyer = self.param("buyer")
        return self.visible_agreements(
            search=self.param("q"),
            status=self.param("status"),
            buyer=int(buyer) if buyer.isdigit() else None,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["statuses"] = AgreementStatus.choices
        # The filter names only buyers whose agreements this member may see: a buyer
        # officer must not learn the names of every other buyer from a choice list.
        context["buyers"] = selectors.buyer_list(program=self.program).filter(
            pk__in=self.visible_agreements().values("buyer_id")
        )
        return context


def share_context(view, agreement, form=None):
    candidates = selectors.share_candidates(program=view.program, agreement=agreement)
    return {
        "program": view.program,
        "agreement": agreement,
        "shares": selectors.agreement_shares(agreement=agreement),
        "share_form": form or ShareForm(candidates=candidates),
        "has_candidates": candidates.exists(),
    }


class AgreementDetailView(AgreementScopeMixin, ProgramViewMixin, DetailView):
    template_name = "programs/agreement_detail.html"
    context_object_name = "agreement"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agreement = self.object
        context["signatories"] = selectors.signatory_list(program=self.program, agreement=agreement)
        context["history"] = describe_events(
            selectors.object_history(program=self.program, obj=agreement),
            program=self.program,
            user=self.request.user,
        )
        context["can_manage"] = self.can("agreement.manage")
        if context["can_manage"]:
            context["signatory_form"] = SignatoryForm()
            context.update(share_context(self, agreement))
        return context


class AgreementCreateView(ServiceFormView):
    form_class = AgreementForm
    form_needs_program = True
    title = "New agreement (draft)"

    def get_initial(self):
        return {"buyer": self.request.GET.get("buyer")}

    def get_cancel_url(self):
        return reverse("programs:agreement_list", kwargs={"program": self.program.slug})

    def perform(self, form):
        data = dict(form.cleaned_data)
        return services.agreement_create(
            actor=self.request.user,
            program=self.program,
            document=data.pop("document", None),
            **data,
        )

    def success_url_for(self, agreement):
        self.success_message = f"Draft agreement “{agreement.title}” created."
        return reverse(
            "programs:agreement_detail", kwargs={"program": self.program.slug, "pk": agreement.pk}
        )


class AgreementEditView(AgreementScopeMixin, ObjectFormMixin, ServiceFormView):
    form_class = AgreementForm
    form_needs_program = True
    read_roles = MANAGE_ROLES
    title = "Edit agreement"
    success_message = "Agreement saved."

    def get_intro(self):
        if self.object.status != AgreementStatus.DRAFT:
            return "This agreement is in force: only its end date can still change."
        return ""

    def get_cancel_url(self):
        return self.detail_url(self.object)

    def perform(self, form):
        data = changed(form)
        data.pop("buyer", None)
        document = data.pop("document", None)
        return services.agreement_update(
            actor=self.request.user, agreement=self.fresh_object(), document=document, **data
        )

    def success_url_for(self, agreement):
        return self.detail_url(agreement)


class AgreementActivateView(AgreementScopeMixin, ObjectFormMixin, ServiceFormView):
    form_class = AgreementActivateForm
    uses_instance = False
    read_roles = MANAGE_ROLES
    submit_label = "Activate"
    success_message = "The agreement is now active and binding."

    def get_title(self):
        return f"Activate “{self.object.title}”"

    def get_intro(self):
        return (
            "Once active, the agreement binds the buyer to its consequence clause and its "
            "terms can no longer be edited."
        )

    def get_cancel_url(self):
        return self.detail_url(self.object)

    def perform(self, form):
        return services.agreement_transition(
            actor=self.request.user, agreement=self.object, status=AgreementStatus.ACTIVE
        )

    def success_url_for(self, agreement):
        return self.detail_url(agreement)


class AgreementTerminateView(AgreementScopeMixin, ObjectFormMixin, ServiceFormView):
    form_class = AgreementTerminateForm
    uses_instance = False
    read_roles = MANAGE_ROLES
    submit_label = "Terminate"
    success_message = "The agreement was terminated."

    def get_title(self):
        return f"Terminate “{self.object.title}”"

    def get_cancel_url(self):
        return self.detail_url(self.object)

    def perform(self, form):
        return services.agreement_transition(
            actor=self.request.user,
            agreement=self.object,
            status=AgreementStatus.TERMINATED,
            reason=form.cleaned_data["reason"],
        )

    def success_url_for(self, agreement):
        return self.detail_url(agreement)


class AgreementDocumentView(AgreementScopeMixin, ProgramViewMixin, View):
    """The signed PDF, only for members who may see the agreement. There is no public
    media URL: files live outside any served directory."""

    def get(self, request, *args, **kwargs):
        agreement = get_or_404(self.visible_agreements(), pk=kwargs["pk"])
        if not agreement.document:
            raise Http404
        response = FileResponse(
            agreement.document.open("rb"),
            as_attachment=True,
            filename=f"agreement-{agreement.pk}.pdf",
            content_type="application/pdf",
        )
        response["Cache-Control"] = "private, no-store"
        return response


class SignatoryAddView(AgreementScopeMixin, ObjectFormMixin, ServiceFormView):
    form_class = SignatoryForm
    uses_instance = False
    read_roles = MANAGE_ROLES
    title = "Add signatory"
    success_message = "Signatory added."

    def get_cancel_url(self):
        return self.detail_url(self.object)

    def perform(self, form):
        return services.signatory_add(
            actor=self.request.user, agreement=self.object, **form.cleaned_data
        )

    def success_url_for(self, signatory):
        return self.detail_url(self.object)


class SignatoryRemoveView(AgreementScopeMixin, ProgramViewMixin, View):
    read_roles = MANAGE_ROLES

    def post(self, request, *args, **kwargs):
        agreement = get_or_404(self.visible_agreements(), pk=kwargs["pk"])
        signatory = get_or_404(
            selectors.signatory_list(program=self.program, agreement=agreement),
            pk=kwargs["signatory"],
        )
        try:
            services.signatory_remove(actor=request.user, signatory=signatory)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Signatory removed.")
        return redirect(self.detail_url(agreement))


class _ShareBase(AgreementScopeMixin, ProgramViewMixin, View):
    """POST-only; answers htmx with the refreshed sharing panel, others with a redirect."""

    read_roles = MANAGE_ROLES

    def respond(self, request, agreement, form=None, error=None):
        if request.htmx:
            context = share_context(self, agreement, form)
            context["share_error"] = error
            return render(request, "programs/_agreement_shares.html", context)
        if error:
            messages.error(request, error)
        return redirect(self.detail_url(agreement))


class AgreementShareView(_ShareBase):
    def post(self, request, *args, **kwargs):
        agreement = get_or_404(self.visible_agreements(), pk=kwargs["pk"])
        candidates = selectors.share_candidates(program=self.program, agreement=agreement)
        form = ShareForm(request.POST, candidates=candidates)
        if not form.is_valid():
            return self.respond(request, agreement, form, "Choose a member to share with.")
        result = run_service(
            form,
            lambda: (
                services.agreement_share(
                    actor=request.user, agreement=agreement, user=form.cleaned_data["user"]
                )
                or True
            ),
        )
        if result is None:
            return self.respond(request, agreement, form, " ".join(form.non_field_errors()))
        if not request.htmx:
            messages.success(request, f"Shared with {form.cleaned_data['user'].get_username()}.")
        return self.respond(request, agreement)


class AgreementUnshareView(_ShareBase):
    def post(self, request, *args, **kwargs):
        agreement = get_or_404(self.visible_agreements(), pk=kwargs["pk"])
        user_id = request.POST.get("user", "")
        share = (
            selectors.agreement_shares(agreement=agreement).filter(user_id=user_id).first()
            if user_id.isdigit()
            else None
        )
        if share is None:
            return self.respond(request, agreement, error="This agreement is not shared with them.")
        user = get_user_model().objects.get(pk=share.user_id)
        services.agreement_unshare(actor=request.user, agreement=agreement, user=user)
        if not request.htmx:
            messages.success(request, f"No longer shared with {user.get_username()}.")
        return self.respond(request, agreement)
