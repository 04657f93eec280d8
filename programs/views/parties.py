"""Workspace pages for the dashboard and the parties: buyers, suppliers, facilities and
the sourcing relationships between them (/p/<program>/...)."""

from django.db.models import Sum
from django.urls import reverse
from django.views.generic import DetailView, TemplateView

from core.event_labels import describe_events
from core.roles import MANAGE_ROLES
from core.tenancy import ProgramViewMixin

from .. import selectors, services
from ..forms import BuyerForm, FacilityForm, SourcingEndForm, SourcingForm, SupplierForm
from ..models import FacilityStatus
from .base import ObjectFormMixin, ProgramListView, ServiceFormView, changed


def collect_panels(*, program, membership):
    """Dashboard panels contributed by the apps that have work to show: each app's
    ``dashboard.panels(*, program, membership) -> list[dict]``, a dict per panel with a
    ``template`` key and whatever that template needs."""
    # Imported here: those apps build on programs, whose views load first.
    from audits import dashboard as audits_dashboard
    from complaints import dashboard as complaints_dashboard
    from enforcement import dashboard as enforcement_dashboard
    from premiums import dashboard as premiums_dashboard

    panels = []
    for module in (
        complaints_dashboard,
        audits_dashboard,
        enforcement_dashboard,
        premiums_dashboard,
    ):
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
            "workers": selectors.facility_list(program=p, status=FacilityStatus.ACTIVE)
            .order_by()
            .aggregate(n=Sum("worker_count"))["n"]
            or 0,
            "agreements": selectors.agreement_list(program=p, status="active").count(),
            "sourcing": selectors.sourcing_list(program=p, ongoing=True).count(),
        }
        context["ratified"] = selectors.current_ratified_version(program=p)
        if context["ratified"] is not None:
            context["provision_count"] = context["ratified"].provisions.count()
        # The audit trail names members and payloads: for those who run the program.
        if self.membership.role in MANAGE_ROLES:
            context["events"] = describe_events(
                selectors.recent_audit_events(program=p, limit=10),
                program=p,
                user=self.request.user,
            )
        context["panels"] = collect_panels(program=p, membership=self.membership)
        return context


# ---------------------------------------------------------------- suppliers


class SupplierListView(ProgramListView):
    template_name = "programs/supplier_list.html"
    context_object_name = "suppliers"

    def get_scoped_queryset(self):
        return selectors.supplier_list(
            program=self.program, search=self.param("q"), country=self.param("country")
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


class SupplierCreateView(ServiceFormView):
    form_class = SupplierForm
    title = "New supplier"

    def get_cancel_url(self):
        return reverse("programs:supplier_list", kwargs={"program": self.program.slug})

    def perform(self, form):
        return services.supplier_create(
            actor=self.request.user, program=self.program, **form.cleaned_data
        )

    def success_url_for(self, supplier):
        self.success_message = f"Supplier “{supplier}” created."
        return reverse(
            "programs:supplier_detail", kwargs={"program": self.program.slug, "pk": supplier.pk}
        )


class SupplierEditView(ObjectFormMixin, ServiceFormView):
    form_class = SupplierForm
    title = "Edit supplier"
    success_message = "Supplier saved."

    def get_object_queryset(self):
        return selectors.supplier_list(program=self.program)

    def get_cancel_url(self):
        return self.success_url_for(self.object)

    def perform(self, form):
        return services.supplier_update(
            actor=self.request.user, supplier=self.fresh_object(), **changed(form)
        )

    def success_url_for(self, supplier):
        return reverse(
            "programs:supplier_detail", kwargs={"program": self.program.slug, "pk": supplier.pk}
        )


# ---------------------------------------------------------------- facilities


class FacilityListView(ProgramListView):
    template_name = "programs/facility_list.html"
    context_object_name = "facilities"

    def get_scoped_queryset(self):
        supplier = self.param("supplier")
        return selectors.facility_list(
            program=self.program,
            search=self.param("q"),
            supplier=int(supplier) if supplier.isdigit() else None,
            country=self.param("country"),
            status=self.param("status"),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["statuses"] = FacilityStatus.choices
        return context


class FacilityDetailView(ProgramViewMixin, DetailView):
    template_name = "programs/facility_detail.html"
    context_object_name = "facility"

    def get_scoped_queryset(self):
        return selectors.facility_list(program=self.program)


class FacilityCreateView(ServiceFormView):
    form_class = FacilityForm
    form_needs_program = True
    title = "New facility"

    def get_initial(self):
        return {"supplier": self.request.GET.get("supplier")}

    def get_cancel_url(self):
        return reverse("programs:facility_list", kwargs={"program": self.program.slug})

    def perform(self, form):
        return services.facility_create(
            actor=self.request.user, program=self.program, **form.cleaned_data
        )

    def success_url_for(self, facility):
        self.success_message = f"Facility “{facility}” created."
        return reverse(
            "programs:supplier_detail",
            kwargs={"program": self.program.slug, "pk": facility.supplier_id},
        )


class FacilityEditView(ObjectFormMixin, ServiceFormView):
    form_class = FacilityForm
    form_needs_program = True
    title = "Edit facility"
    success_message = "Facility saved."

    def get_object_queryset(self):
        return selectors.facility_list(program=self.program)

    def get_cancel_url(self):
        return self.success_url_for(self.object)

    def perform(self, form):
        return services.facility_update(
            actor=self.request.user, facility=self.fresh_object(), **changed(form)
        )

    def success_url_for(self, facility):
        return reverse(
            "programs:facility_detail", kwargs={"program": self.program.slug, "pk": facility.pk}
        )


# ---------------------------------------------------------------- buyers


class BuyerListView(ProgramListView):
    template_name = "programs/buyer_list.html"
    context_object_name = "buyers"

    def get_scoped_queryset(self):
        return selectors.buyer_list(
            program=self.program, search=self.param("q"), country=self.param("country")
        )


class BuyerDetailView(ProgramViewMixin, DetailView):
    template_name = "programs/buyer_detail.html"
    context_object_name = "buyer"

    def get_scoped_queryset(self):
        return selectors.buyer_list(program=self.program)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["agreements"] = selectors.agreements_visible(
            program=self.program,
            user=self.request.user,
            membership=self.membership,
            buyer=self.object.pk,
        )
        context["sourcing"] = selectors.sourcing_list(program=self.program, buyer=self.object.pk)
        return context


class BuyerCreateView(ServiceFormView):
    form_class = BuyerForm
    title = "New buyer"

    def get_cancel_url(self):
        return reverse("programs:buyer_list", kwargs={"program": self.program.slug})

    def perform(self, form):
        return services.buyer_create(
            actor=self.request.user, program=self.program, **form.cleaned_data
        )

    def success_url_for(self, buyer):
        self.success_message = f"Buyer “{buyer}” created."
        return reverse(
            "programs:buyer_detail", kwargs={"program": self.program.slug, "pk": buyer.pk}
        )


class BuyerEditView(ObjectFormMixin, ServiceFormView):
    form_class = BuyerForm
    title = "Edit buyer"
    success_message = "Buyer saved."

    def get_object_queryset(self):
        return selectors.buyer_list(program=self.program)

    def get_cancel_url(self):
        return self.success_url_for(self.object)

    def perform(self, form):
        return services.buyer_update(
            actor=self.request.user, buyer=self.fresh_object(), **changed(form)
        )

    def success_url_for(self, buyer):
        return reverse(
            "programs:buyer_detail", kwargs={"program": self.program.slug, "pk": buyer.pk}
        )


# ---------------------------------------------------------------- sourcing


class SourcingListView(ProgramListView):
    template_name = "programs/sourcing_list.html"
    context_object_name = "relationships"

    def get_scoped_queryset(self):
        state = self.param("state")
        ongoing = {"ongoing": True, "ended": False}.get(state)
        buyer, supplier = self.param("buyer"), self.param("supplier")
        return selectors.sourcing_list(
            program=self.program,
            search=self.param("q"),
            ongoing=ongoing,
            buyer=int(buyer) if buyer.isdigit() else None,
            supplier=int(supplier) if supplier.isdigit() else None,
        )


class SourcingCreateView(ServiceFormView):
    form_class = SourcingForm
    form_needs_program = True
    title = "New sourcing relationship"
    success_message = "Sourcing relationship recorded."

    def get_initial(self):
        return {
            "buyer": self.request.GET.get("buyer"),
            "supplier": self.request.GET.get("supplier"),
        }

    def get_cancel_url(self):
        return reverse("programs:sourcing_list", kwargs={"program": self.program.slug})

    def perform(self, form):
        return services.sourcing_create(
            actor=self.request.user, program=self.program, **form.cleaned_data
        )

    def success_url_for(self, rel):
        return reverse("programs:sourcing_list", kwargs={"program": self.program.slug})


class SourcingEndView(ObjectFormMixin, ServiceFormView):
    form_class = SourcingEndForm
    uses_instance = False
    submit_label = "End relationship"
    success_message = "Sourcing relationship ended."

    def get_object_queryset(self):
        return selectors.sourcing_list(program=self.program)

    def get_title(self):
        return f"End sourcing: {self.object}"

    def get_cancel_url(self):
        return reverse("programs:sourcing_list", kwargs={"program": self.program.slug})

    def perform(self, form):
        return services.sourcing_end(
            actor=self.request.user, relationship=self.fresh_object(), **form.cleaned_data
        )

    def success_url_for(self, rel):
        return self.get_cancel_url()
