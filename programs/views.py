"""Staff workspace pages of the programs app (/p/<program>/...)."""

import importlib

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import DetailView, FormView, ListView, TemplateView

from wsr.forms import run_service
from wsr.pagination import PAGE_SIZE
from wsr.tenancy import ProgramViewMixin

from . import selectors, services
from .forms import FacilityForm, SupplierForm

PANEL_APPS = ["complaints", "audits", "enforcement"]


def collect_panels(*, program, membership):
    """Dashboard panels contributed by other apps.

    An app contributes by defining ``<app>/dashboard.py`` with
    ``panels(*, program, membership) -> list[dict]``; each dict has a ``template`` key and
    whatever that template needs. Apps stay decoupled from this view.
    """
    panels = []
    for label in PANEL_APPS:
        try:
            module = importlib.import_module(f"{label}.dashboard")
        except ModuleNotFoundError as exc:
            if exc.name != f"{label}.dashboard":
                raise
            continue
        panels.extend(module.panels(program=program, membership=membership))
    return panels


class DashboardView(ProgramViewMixin, TemplateView):
    template_name = "programs/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        p = self.program
        context["counts"] = {
            "buyers": selectors.buyer_list(program=p).count(),
            "suppliers": selectors.supplier_list(program=p).count(),
            "facilities": selectors.facility_list(program=p).count(),
            "agreements": selectors.agreement_list(program=p, status="active").count(),
        }
        context["ratified"] = selectors.current_ratified_version(program=p)
        context["panels"] = collect_panels(program=p, membership=self.membership)
        return context


class SupplierListView(ProgramViewMixin, ListView):
    template_name = "programs/supplier_list.html"
    paginate_by = PAGE_SIZE
    context_object_name = "suppliers"

    def get_scoped_queryset(self):
        return selectors.supplier_list(
            program=self.program,
            search=self.request.GET.get("q", "").strip(),
            country=self.request.GET.get("country", "").strip(),
        )


class SupplierDetailView(ProgramViewMixin, DetailView):
    template_name = "programs/supplier_detail.html"
    context_object_name = "supplier"

    def get_scoped_queryset(self):
        return selectors.supplier_list(program=self.program)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["facilities"] = selectors.facility_list(
            program=self.program, supplier=self.object.pk
        )
        context["sourcing"] = selectors.sourcing_list(program=self.program, supplier=self.object.pk)
        return context


class SupplierCreateView(ProgramViewMixin, FormView):
    template_name = "programs/form.html"
    form_class = SupplierForm
    extra_context = {"title": "New supplier"}

    def form_valid(self, form):
        supplier = run_service(
            form,
            services.supplier_create,
            actor=self.request.user,
            program=self.program,
            **form.cleaned_data,
        )
        if supplier is None:
            return self.form_invalid(form)
        messages.success(self.request, f"Supplier “{supplier}” created.")
        return redirect("programs:supplier_detail", program=self.program.slug, pk=supplier.pk)


class SupplierEditView(ProgramViewMixin, FormView):
    template_name = "programs/form.html"
    form_class = SupplierForm
    extra_context = {"title": "Edit supplier"}

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        self.object = selectors.get_or_404(
            selectors.supplier_list(program=self.program), pk=self.kwargs["pk"]
        )
        kwargs["instance"] = self.object
        return kwargs

    def form_valid(self, form):
        data = {f: form.cleaned_data[f] for f in form.changed_data}
        supplier = run_service(
            form,
            services.supplier_update,
            actor=self.request.user,
            supplier=selectors.get_or_404(
                selectors.supplier_list(program=self.program), pk=self.object.pk
            ),
            **data,
        )
        if supplier is None:
            return self.form_invalid(form)
        messages.success(self.request, "Supplier saved.")
        return redirect("programs:supplier_detail", program=self.program.slug, pk=supplier.pk)


class FacilityCreateView(ProgramViewMixin, FormView):
    template_name = "programs/form.html"
    form_class = FacilityForm
    extra_context = {"title": "New facility"}

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["program"] = self.program
        return kwargs

    def get_initial(self):
        return {"supplier": self.request.GET.get("supplier")}

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        facility = run_service(
            form, services.facility_create, actor=self.request.user, program=self.program, **data
        )
        if facility is None:
            return self.form_invalid(form)
        messages.success(self.request, f"Facility “{facility}” created.")
        return redirect(
            reverse(
                "programs:supplier_detail",
                kwargs={"program": self.program.slug, "pk": facility.supplier_id},
            )
        )
