"""Report pages: request, progress (htmx polling), download; and the policy form."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils.http import content_disposition_header
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from core.forms import run_service
from core.pagination import PAGE_SIZE
from core.tenancy import get_or_404

from .. import selectors, services
from ..forms import (
    PolicyForm,
)
from ..models import (
    ReportKind,
    ReportStatus,
)
from ._base import AuditsViewMixin

# ---------------------------------------------------------------- reports


class ReportListView(AuditsViewMixin, ListView):
    template_name = "audits/report_list.html"
    paginate_by = PAGE_SIZE
    context_object_name = "reports"

    def get_scoped_queryset(self):
        qs = selectors.report_list(program=self.program)
        if self.membership.role not in selectors.AUDIT_FULL_VIEW_ROLES:
            visible = self.visible_audits().values("pk")
            qs = qs.filter(audit__in=visible) | qs.filter(audit__isnull=True)
        return qs


class ReportRequestView(AuditsViewMixin, View):
    """POST: queue an audit report (``audit`` in the form) or the CAP progress table."""

    write_action = "report.request"

    def post(self, request, *args, **kwargs):
        audit_pk = request.POST.get("audit")
        audit = self.get_audit(audit_pk) if audit_pk else None
        kind = ReportKind.AUDIT if audit else ReportKind.CAP_PROGRESS
        report = services.report_request(
            actor=request.user, program=self.program, kind=kind, audit=audit
        )
        return redirect("audits:report_detail", program=self.program.slug, pk=report.pk)


class ReportDetailView(AuditsViewMixin, TemplateView):
    """The report page; htmx polls the same URL for the status fragment until ready."""

    def get_report(self):
        report = get_or_404(selectors.report_list(program=self.program), pk=self.kwargs["pk"])
        if report.audit_id:
            self.get_audit(report.audit_id)  # the audit's visibility applies
        return report

    def get_template_names(self):
        if self.request.htmx:
            return ["audits/_report_status.html"]
        return ["audits/report_detail.html"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        report = self.get_report()
        context["report"] = report
        context["pending"] = report.status in (ReportStatus.QUEUED, ReportStatus.RENDERING)
        return context


class ReportDownloadView(ReportDetailView):
    def get(self, request, *args, **kwargs):
        report = self.get_report()
        if report.status != ReportStatus.READY or not report.file:
            raise Http404
        response = FileResponse(report.file.open("rb"), content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=report.filename
        )
        response["Cache-Control"] = "private, no-store"
        return response


class PolicyView(AuditsViewMixin, FormView):
    template_name = "audits/form.html"
    form_class = PolicyForm
    # The page is the form: shown to those who may save it.
    read_action = write_action = "audit_policy.update"
    extra_context = {"title": "Audit policy"}

    def get_initial(self):
        p = services.policy_for(self.program)
        return {
            "min_interview_coverage": p.min_interview_coverage,
            "document_checklist": "\n".join(p.document_checklist),
            "escalation_policy": "\n".join(
                f"{r['days_overdue']}, {r['stage']}" for r in p.escalation_policy
            ),
            "season_start_month": p.season_start_month,
        }

    def form_valid(self, form):
        done = run_service(
            form,
            services.audit_policy_update,
            actor=self.request.user,
            program=self.program,
            **form.cleaned_data,
        )
        if done is None:
            return self.form_invalid(form)
        messages.success(self.request, "Audit policy saved.")
        return redirect("audits:policy", program=self.program.slug)
