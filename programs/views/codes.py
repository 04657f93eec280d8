"""Workspace pages for the code of conduct: codes, their versions and provisions.

Provisions change only on a draft version; ratification (worker-organization admins
only) freezes a version. Every refusal is shown on the page, never a 500.
"""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView

from core.errors import DomainError
from core.tenancy import ProgramViewMixin, get_or_404

from .. import selectors, services
from ..forms import CodeForm, ProvisionForm, RatifyForm
from ..models import Category, Severity
from .base import ObjectFormMixin, ProgramListView, ServiceFormView, changed


def version_url(program, version_pk):
    return reverse("programs:version_detail", kwargs={"program": program.slug, "pk": version_pk})


class CodeListView(ProgramListView):
    template_name = "programs/code_list.html"
    context_object_name = "codes"

    def get_scoped_queryset(self):
        return selectors.code_list(program=self.program, search=self.param("q"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        ratified = selectors.code_version_list(program=self.program).filter(status="ratified")
        context["ratified_by_code"] = {v.code_id: v for v in ratified}
        return context


class CodeDetailView(ProgramViewMixin, DetailView):
    template_name = "programs/code_detail.html"
    context_object_name = "code"

    def get_scoped_queryset(self):
        return selectors.code_list(program=self.program)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        versions = list(selectors.code_version_list(program=self.program, code=self.object.pk))
        context["versions"] = versions
        context["draft"] = next((v for v in versions if v.is_editable), None)
        return context


class CodeCreateView(ServiceFormView):
    form_class = CodeForm
    title = "New code of conduct"

    def get_intro(self):
        return "The code starts with an empty draft version; add its provisions, then ratify."

    def get_cancel_url(self):
        return reverse("programs:code_list", kwargs={"program": self.program.slug})

    def perform(self, form):
        return services.code_create(
            actor=self.request.user, program=self.program, **form.cleaned_data
        )

    def success_url_for(self, code):
        self.success_message = f"Code “{code}” created with an empty draft."
        return reverse("programs:code_detail", kwargs={"program": self.program.slug, "pk": code.pk})


class CodeDraftCreateView(ProgramViewMixin, View):
    """POST: start a new draft as a copy of the current ratified version."""

    def post(self, request, *args, **kwargs):
        code = get_or_404(selectors.code_list(program=self.program), pk=kwargs["pk"])
        try:
            draft = services.code_version_draft_create(actor=request.user, code=code)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("programs:code_detail", program=self.program.slug, pk=code.pk)
        messages.success(request, f"Draft version {draft.number} started from the current text.")
        return redirect(version_url(self.program, draft.pk))


class VersionDetailView(ProgramViewMixin, DetailView):
    template_name = "programs/version_detail.html"
    context_object_name = "version"

    def get_scoped_queryset(self):
        return selectors.code_version_list(program=self.program)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["provisions"] = selectors.provision_list(
            program=self.program,
            version=self.object,
            search=self.request.GET.get("q", "").strip(),
            severity=self.request.GET.get("severity", "").strip(),
            category=self.request.GET.get("category", "").strip(),
        )
        context["severities"] = Severity.choices
        context["categories"] = Category.choices
        context["can_edit"] = self.object.is_editable and self.can("code.edit")
        context["can_ratify"] = self.object.is_editable and self.can("code.ratify")
        return context


class _VersionMixin:
    def get_version(self):
        return get_or_404(selectors.code_version_list(program=self.program), pk=self.kwargs["pk"])

    def get_cancel_url(self):
        return version_url(self.program, self.kwargs["pk"])

    def not_editable_intro(self, version):
        if not version.is_editable:
            return (
                f"Version {version.number} is {version.get_status_display().lower()} and "
                "can no longer change. Start a new draft from the code's page instead."
            )
        return ""


class ProvisionAddView(_VersionMixin, ServiceFormView):
    form_class = ProvisionForm
    form_needs_program = True
    title = "Add provision"
    success_message = "Provision added."

    def get_intro(self):
        return self.not_editable_intro(self.get_version())

    def perform(self, form):
        return services.provision_add(
            actor=self.request.user, version=self.get_version(), **form.cleaned_data
        )

    def success_url_for(self, provision):
        return version_url(self.program, provision.version_id)


class ProvisionEditView(ObjectFormMixin, ServiceFormView):
    form_class = ProvisionForm
    form_needs_program = True
    title = "Edit provision"
    success_message = "Provision saved."

    def get_object_queryset(self):
        return selectors.provision_list(program=self.program)

    def get_intro(self):
        return _VersionMixin.not_editable_intro(self, self.object.version)

    def get_cancel_url(self):
        return version_url(self.program, self.object.version_id)

    def perform(self, form):
        return services.provision_update(
            actor=self.request.user, provision=self.fresh_object(), **changed(form)
        )

    def success_url_for(self, provision):
        return version_url(self.program, provision.version_id)


class ProvisionRemoveView(ProgramViewMixin, View):
    def post(self, request, *args, **kwargs):
        provision = get_or_404(selectors.provision_list(program=self.program), pk=kwargs["pk"])
        try:
            services.provision_remove(actor=request.user, provision=provision)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Provision {provision.number} removed.")
        return redirect(version_url(self.program, provision.version_id))


class VersionRatifyView(_VersionMixin, ServiceFormView):
    form_class = RatifyForm
    # The form is shown exactly to those the table lets ratify (core.authz).
    write_action = "code.ratify"
    submit_label = "Ratify"

    def get_title(self):
        version = self.get_version()
        return f"Ratify {version.code.name}, version {version.number}"

    def get_intro(self):
        version = self.get_version()
        return self.not_editable_intro(version) or (
            "Ratifying freezes this version's text; the version in force becomes superseded."
        )

    def perform(self, form):
        return services.code_version_ratify(
            actor=self.request.user, version=self.get_version(), **form.cleaned_data
        )

    def success_url_for(self, version):
        self.success_message = f"Version {version.number} ratified."
        return version_url(self.program, version.pk)
