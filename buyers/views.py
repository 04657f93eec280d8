"""The buyer compliance officer's portal (/buyer/): across every program where the user
holds an active buyer_officer membership, their buyer's obligations, agreements, the
do-not-source list and premium figures.

``PortalMixin`` resolves the memberships once per request; every read goes through
``selectors`` with them, so nothing outside the (program, buyer) pairs can be
reached, whatever id is put in the URL (404, like a missing record). Writes call
enforcement's services, which check the officer again.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from core import csvwriter
from core.errors import DomainError
from core.forms import run_service
from core.models import ExportJobKind
from core.pagination import PAGE_SIZE, querystring_without_page
from enforcement import services as enforcement_services
from enforcement.models import ATTESTABLE_OBLIGATION_STATES, ObligationState
from exports import jobs

from . import notifications, selectors, services
from .forms import AttestForm, NotificationsForm, PurchaseReportForm, PurchaseUploadForm


class PortalMixin(LoginRequiredMixin):
    """Resolves ``self.memberships`` (all the user's active officer memberships) and
    ``self.scope`` (those narrowed by ``?program=<slug>``). Users without an officer
    membership get 403: the portal is not theirs, and it names no program."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.memberships = selectors.officer_memberships(user=request.user)
        if not self.memberships:
            raise PermissionDenied("The buyer portal is for buyer compliance officers.")
        slug = request.GET.get("program", "").strip()
        self.program_filter = slug
        self.scope = (
            [m for m in self.memberships if m.program.slug == slug] if slug else self.memberships
        )
        return super().dispatch(request, *args, **kwargs)

    def param(self, name):
        return self.request.GET.get(name, "").strip()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["memberships"] = self.memberships
        context["program_filter"] = self.program_filter
        context["querystring"] = querystring_without_page(self.request)
        return context


def _no_store(response):
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- overview


class PortalHomeView(PortalMixin, TemplateView):
    template_name = "buyer/portal.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        scope = self.scope
        open_qs = selectors.obligation_list(memberships=scope, status="open")
        context["counts"] = selectors.obligation_counts(memberships=scope)
        context["open_obligations"] = list(open_qs[:10])
        context["recent_fulfilled"] = list(
            selectors.obligation_list(memberships=scope, status="closed")[:5]
        )
        context["do_not_source"] = selectors.do_not_source_list(memberships=scope)
        context["agreements"] = list(
            selectors.agreement_list(user=self.request.user, memberships=scope)[:10]
        )
        periods = selectors.premium_periods(memberships=scope)
        context["premium_periods"] = periods[:6]
        context["premium_totals"] = selectors.premium_totals(periods)
        return context


# ---------------------------------------------------------------- obligations


class ObligationListView(PortalMixin, ListView):
    template_name = "buyer/obligation_list.html"
    context_object_name = "obligations"
    paginate_by = PAGE_SIZE
    STATUSES = [("open", "Open"), ("closed", "History"), ("all", "All")]

    def status(self):
        status = self.param("status") or "open"
        return status if status in dict(self.STATUSES) else "open"

    def get_queryset(self):
        status = self.status()
        state = self.param("state")
        return selectors.obligation_list(
            memberships=self.scope,
            status=None if status == "all" else status,
            state=state if state in ObligationState.values else None,
            search=self.param("q") or None,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["status"] = self.status()
        context["statuses"] = self.STATUSES
        context["states"] = ObligationState.choices
        context["counts"] = selectors.obligation_counts(memberships=self.scope)
        return context


class ObligationObjectMixin(PortalMixin):
    def get_obligation(self):
        # The whole membership list, not ?program=: an id is reachable iff it is ours.
        return selectors.obligation_get(memberships=self.memberships, pk=self.kwargs["pk"])

    def detail_url(self, obligation):
        return reverse("buyer:obligation_detail", kwargs={"pk": obligation.pk})


class ObligationDetailView(ObligationObjectMixin, TemplateView):
    template_name = "buyer/obligation_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        obligation = self.get_obligation()
        context["obligation"] = obligation
        context["category"] = obligation.violation.provision.get_category_display()
        context["can_acknowledge"] = obligation.state == ObligationState.PENDING
        context["can_attest"] = obligation.state in ATTESTABLE_OBLIGATION_STATES
        context.setdefault("form", AttestForm())
        return context


class ObligationAcknowledgeView(ObligationObjectMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        obligation = self.get_obligation()
        try:
            enforcement_services.obligation_acknowledge(actor=request.user, obligation=obligation)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Obligation acknowledged. The program staff can see it.")
        return redirect(self.detail_url(obligation))


class ObligationAttestView(ObligationObjectMixin, FormView):
    """Attest fulfilment with a note and an evidence file. A refusal (wrong state, bad
    file) re-renders the form with the message and the note kept."""

    template_name = "buyer/obligation_attest.html"
    form_class = AttestForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        obligation = getattr(self, "obligation", None) or self.get_obligation()
        context["obligation"] = obligation
        context["category"] = obligation.violation.provision.get_category_display()
        return context

    def get(self, request, *args, **kwargs):
        self.obligation = self.get_obligation()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.obligation = self.get_obligation()
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def form_valid(self, form):
        result = run_service(
            form,
            enforcement_services.obligation_attest,
            actor=self.request.user,
            obligation=self.obligation,
            note=form.cleaned_data["note"],
            evidence=form.cleaned_data.get("evidence") or None,
        )
        if result is None:
            return self.form_invalid(form)
        messages.success(
            self.request,
            _(
                "Fulfilment attested. The worker organization will check it: the obligation "
                "is fulfilled once they verify it."
            ),
        )
        return redirect(self.detail_url(result))


class ObligationEvidenceView(ObligationObjectMixin, View):
    """The evidence the officer's buyer attached, only to that buyer's officers."""

    def get(self, request, *args, **kwargs):
        obligation = self.get_obligation()
        if not obligation.evidence:
            raise Http404
        response = FileResponse(
            obligation.evidence.open("rb"),
            as_attachment=True,
            filename=obligation.evidence_name or f"evidence-{obligation.pk}",
            content_type="application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        return _no_store(response)


# ---------------------------------------------------------------- exports


def _csv_cell(value):
    return "" if value is None else value


def _csv_response(filename, header, rows):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # The one CSV writer neutralises formulas: supplier names and notes come from others.
    writer = csvwriter.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return _no_store(response)


OBLIGATION_CSV_HEADER = [
    "id",
    "program",
    "buyer",
    "supplier",
    "provision_category",
    "kind",
    "required",
    "due_date",
    "state",
    "overdue",
    "acknowledged_at",
    "attested_at",
    "attestation_note",
    "evidence_sha256",
]


def obligation_csv_row(o):
    return [
        o.pk,
        o.program.name,
        o.buyer.name,
        o.supplier.legal_name,
        o.violation.provision.get_category_display(),
        o.get_kind_display(),
        o.required,
        o.due_date.isoformat(),
        o.get_state_display(),
        "yes" if o.is_overdue else "no",
        o.acknowledged_at.isoformat() if o.acknowledged_at else "",
        o.attested_at.isoformat() if o.attested_at else "",
        o.attestation_note,
        o.evidence_sha256,
    ]


class ObligationsCSVView(PortalMixin, View):
    def get(self, request, *args, **kwargs):
        status = request.GET.get("status", "all")
        qs = selectors.obligation_list(
            memberships=self.scope, status=status if status in ("open", "closed") else None
        )
        return _csv_response(
            f"obligations-{timezone.localdate():%Y%m%d}.csv",
            OBLIGATION_CSV_HEADER,
            (obligation_csv_row(o) for o in qs.iterator(chunk_size=500)),
        )


class ObligationsPDFView(PortalMixin, View):
    """The old address of the statement (links and bookmarks): the statement is a
    background job now, so this sends the officer to its page (same ?program=)."""

    def get(self, request, *args, **kwargs):
        url = reverse("buyer:statement")
        if self.program_filter:
            url += "?" + urlencode({"program": self.program_filter})
        return redirect(url)


class StatementJobView(PortalMixin, TemplateView):
    """POST: start the obligations statement as a background job (exports/jobs.py);
    GET ?job=<id>: its progress, then the download link."""

    template_name = "buyer/statement_job.html"

    def post(self, request, *args, **kwargs):
        job = services.statement_job_start(
            actor=request.user, memberships=self.scope, program_filter=self.program_filter
        )
        return redirect(f"{reverse('buyer:statement')}?job={job.pk}")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job_id = self.request.GET.get("job")
        job = (
            jobs.job_get(
                kind=ExportJobKind.OBLIGATIONS_STATEMENT, user=self.request.user, job_id=job_id
            )
            if job_id
            else None
        )
        context["job"] = job
        context["progress"] = jobs.job_progress(job) if job else None
        context["running"] = jobs.job_running(job)
        return context

    def render_to_response(self, context, **kwargs):
        return _no_store(super().render_to_response(context, **kwargs))


class StatementDownloadView(PortalMixin, View):
    def get(self, request, *args, **kwargs):
        if not request.GET.get("job"):  # nothing asked for: the page that starts one
            return redirect("buyer:statement")
        job = jobs.job_get(
            kind=ExportJobKind.OBLIGATIONS_STATEMENT,
            user=request.user,
            job_id=request.GET.get("job"),
        )
        handle = jobs.job_file(job=job, user=request.user)
        stamp = timezone.localtime(job.finished_at).strftime("%Y%m%d")
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=f"obligations-statement-{stamp}.pdf",
            content_type="application/pdf",
        )
        return _no_store(response)


# ---------------------------------------------------------------- agreements


class AgreementListView(PortalMixin, TemplateView):
    template_name = "buyer/agreement_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["agreements"] = selectors.agreement_list(
            user=self.request.user, memberships=self.scope
        ).prefetch_related("signatories")
        return context


class AgreementObjectMixin(PortalMixin):
    def get_agreement(self):
        return selectors.agreement_get(
            user=self.request.user, memberships=self.memberships, pk=self.kwargs["pk"]
        )


class AgreementDetailView(AgreementObjectMixin, TemplateView):
    template_name = "buyer/agreement_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agreement = self.get_agreement()
        context["agreement"] = agreement
        context["signatories"] = list(agreement.signatories.all())
        # The ladder the consequence clause refers to (enforcement binds it), if bound.
        try:
            policy = agreement.enforcement_policy.policy
        except ObjectDoesNotExist:
            policy = None
        context["policy"] = policy
        context["rules"] = list(policy.rules.all()) if policy else []
        return context


class AgreementDocumentView(AgreementObjectMixin, View):
    """The signed PDF, only to officers of the agreement's own buyer (or with whom it was
    shared). No public media URL exists."""

    def get(self, request, *args, **kwargs):
        agreement = self.get_agreement()
        if not agreement.document:
            raise Http404
        response = FileResponse(
            agreement.document.open("rb"),
            as_attachment=True,
            filename=f"agreement-{agreement.pk}.pdf",
            content_type="application/pdf",
        )
        return _no_store(response)


# ---------------------------------------------------------------- do-not-source, premium


class DoNotSourceView(PortalMixin, TemplateView):
    template_name = "buyer/do_not_source.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = selectors.do_not_source_list(memberships=self.scope)
        return context


DO_NOT_SOURCE_CSV_HEADER = [
    "program",
    "supplier_id",
    "supplier",
    "country",
    "standing",
    "suspended_since",
    "suspended_until",
    "terminated_on",
    "escalation_stage",
    "sourced_by_you",
]


def do_not_source_csv_row(row):
    return [
        row.program.slug,
        row.supplier_id,
        row.supplier.legal_name,
        row.supplier.country,
        row.standing,
        row.suspended_since.isoformat() if row.suspended_since else "",
        row.suspended_until.isoformat() if row.suspended_until else "",
        row.terminated_on.isoformat() if row.terminated_on else "",
        row.stage,
        "yes" if row.sourced_by_you else "no",
    ]


class DoNotSourceCSVView(PortalMixin, View):
    def get(self, request, *args, **kwargs):
        rows = selectors.do_not_source_list(memberships=self.scope)
        return _csv_response(
            f"do-not-source-{timezone.localdate():%Y%m%d}.csv",
            DO_NOT_SOURCE_CSV_HEADER,
            (do_not_source_csv_row(r) for r in rows),
        )


class PremiumView(PortalMixin, TemplateView):
    template_name = "buyer/premium.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        periods = selectors.premium_periods(memberships=self.scope)
        context["periods"] = periods
        context["totals"] = selectors.premium_totals(periods)
        return context


# ---------------------------------------------------------------- reporting purchases

# Which form field an import error's column belongs to (the rest go on top of the form).
REPORT_FIELD_OF_COLUMN = {
    "supplier": "supplier",
    "period_start": "period_start",
    "period_end": "period_end",
    "volume": "volume",
    "unit": "unit",
    "amount": "amount_paid",
    "paid_on": "paid_on",
    "reference": "reference",
}


class PurchaseReportView(PortalMixin, TemplateView):
    """The officer reports purchase volumes (and the premium paid) for their own buyer:
    a form for one period, or a CSV upload. Both go through the premium ledger's import
    (premiums.services), all or nothing, with each row's errors shown."""

    template_name = "buyer/premium_report.html"

    def supplier_choices(self):
        from premiums.services import buyer_suppliers

        many = len(self.memberships) > 1
        choices = []
        for m in self.memberships:
            for supplier in buyer_suppliers(program=m.program, buyer=m.buyer).order_by(
                "legal_name"
            ):
                label = supplier.legal_name
                if many:
                    label += f" ({m.buyer.name}, {m.program.name})"
                choices.append((f"{m.pk}:{supplier.pk}", label))
        return choices

    def default_unit(self):
        from premiums.services import active_agreement

        m = self.memberships[0]
        agreement = active_agreement(program=m.program, buyer=m.buyer, on=timezone.localdate())
        return agreement.premium_unit if agreement else ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault(
            "report_form",
            PurchaseReportForm(
                choices=self.supplier_choices(), initial={"unit": self.default_unit()}
            ),
        )
        context.setdefault("upload_form", PurchaseUploadForm(memberships=self.memberships))
        context.setdefault("upload_errors", [])
        context.setdefault("open_panel", "")
        return context

    def membership(self, pk):
        # Only the officer's own memberships: anything else is not found.
        found = next((m for m in self.memberships if str(m.pk) == str(pk)), None)
        if found is None:
            raise Http404
        return found

    def post(self, request, *args, **kwargs):
        from premiums import services as premium_services

        form = PurchaseReportForm(request.POST, choices=self.supplier_choices())
        if form.is_valid():
            membership_pk, supplier_pk = form.cleaned_data["supplier"].split(":")
            m = self.membership(membership_pk)
            data = form.cleaned_data
            try:
                premium_services.buyer_purchase_report_enter(
                    actor=request.user,
                    program=m.program,
                    buyer=m.buyer,
                    supplier=supplier_pk,
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    volume=data["volume"],
                    unit=data["unit"],
                    amount_paid=data.get("amount_paid"),
                    paid_on=data.get("paid_on"),
                    reference=data.get("reference") or "",
                )
            except premium_services.ImportRejected as exc:
                for error in exc.errors:
                    field = REPORT_FIELD_OF_COLUMN.get(error["column"])
                    form.add_error(field, error["message"].capitalize() + ".")
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Purchase report saved."))
                return redirect("buyer:premium")
        context = self.get_context_data(report_form=form, open_panel="form")
        return self.render_to_response(context, status=400)


class PurchaseUploadView(PurchaseReportView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        from premiums import services as premium_services

        form = PurchaseUploadForm(request.POST, request.FILES, memberships=self.memberships)
        errors = []
        if form.is_valid():
            m = self.membership(form.cleaned_data["membership"])
            upload = form.cleaned_data["file"]
            try:
                batch = premium_services.buyer_ledger_import_csv(
                    actor=request.user,
                    program=m.program,
                    buyer=m.buyer,
                    kind=form.cleaned_data["kind"],
                    content=upload.read(),
                    filename=upload.name,
                )
            except premium_services.ImportRejected as exc:
                form.add_error(
                    None, _("Nothing was saved: correct the rows below and upload again.")
                )
                errors = exc.errors
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                n = batch.row_count
                messages.success(
                    request, ngettext("%(n)s row saved.", "%(n)s rows saved.", n) % {"n": n}
                )
                return redirect("buyer:premium")
        context = self.get_context_data(upload_form=form, upload_errors=errors, open_panel="csv")
        return self.render_to_response(context, status=400)


# ---------------------------------------------------------------- settings


class NotificationsView(PortalMixin, FormView):
    template_name = "buyer/notifications.html"
    form_class = NotificationsForm

    def get_initial(self):
        return {"delivery": notifications.officer_delivery(user=self.request.user)}

    def form_valid(self, form):
        result = run_service(
            form,
            notifications.portal_notifications_set,
            actor=self.request.user,
            delivery=form.cleaned_data["delivery"],
        )
        if result is None:
            return self.form_invalid(form)
        messages.success(self.request, "Notification preference saved.")
        return redirect("buyer:notifications")


class ApiAccessView(PortalMixin, TemplateView):
    """Create, rotate or revoke the officer's API token for /api/v1/buyer/."""

    template_name = "buyer/api_access.html"

    def get_context_data(self, **kwargs):
        from django.utils import timezone

        from accounts.models import ApiToken

        context = super().get_context_data(**kwargs)
        context["has_token"] = ApiToken.objects.filter(
            user=self.request.user,
            name=services.PORTAL_TOKEN_NAME,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        ).exists()
        return context

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") == "revoke":
            services.portal_api_token_revoke(actor=request.user)
            messages.success(request, "API token revoked.")
            return redirect("buyer:api_access")
        secret = services.portal_api_token_rotate(actor=request.user)
        # Shown once, in this response only; never put in a message or the session.
        response = self.render_to_response(self.get_context_data(new_token=secret))
        return _no_store(response)
