"""Audit pages: list by date, planning, fieldwork record, findings, evidence."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils.http import content_disposition_header
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from core.errors import DomainError
from core.forms import run_service
from core.pagination import PAGE_SIZE
from core.tenancy import get_or_404

from .. import selectors, services
from ..forms import (
    AuditFieldworkForm,
    AuditForm,
    AuditTransitionForm,
    EvidenceForm,
    FindingForm,
    TeamAddForm,
)
from ..models import (
    AUDIT_TRANSITIONS,
    AuditStatus,
    AuditType,
)
from ..selectors import AUDIT_MANAGE_ROLES, AUDIT_WRITE_ROLES
from ._base import AuditsViewMixin

# ---------------------------------------------------------------- audits


class AuditListView(AuditsViewMixin, ListView):
    template_name = "audits/audit_list.html"
    paginate_by = PAGE_SIZE
    context_object_name = "audits"

    def get_scoped_queryset(self):
        g = self.request.GET
        return selectors.audit_list(
            program=self.program,
            user=self.request.user,
            membership=self.membership,
            search=g.get("q", "").strip(),
            status=g.get("status", "").strip(),
            audit_type=g.get("type", "").strip(),
            date_from=g.get("from") or None,
            date_to=g.get("to") or None,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["statuses"] = AuditStatus.choices
        context["types"] = AuditType.choices
        context["assigned_only"] = self.membership.role not in selectors.AUDIT_FULL_VIEW_ROLES
        return context


class AuditCreateView(AuditsViewMixin, FormView):
    template_name = "audits/form.html"
    form_class = AuditForm
    read_roles = AUDIT_WRITE_ROLES
    extra_context = {"title": "Plan an audit"}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "program": self.program}

    def get_initial(self):
        initial = {"facility": self.request.GET.get("facility")}
        if self.membership.role not in AUDIT_MANAGE_ROLES:
            initial["lead_auditor"] = self.request.user.pk
        return initial

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        # An auditor who plans an audit leads it (and so can see it afterwards).
        if data["lead_auditor"] is None and self.membership.role not in AUDIT_MANAGE_ROLES:
            data["lead_auditor"] = self.request.user
        lead = data["lead_auditor"]
        data["team"] = [u for u in data["team"] if lead is None or u.pk != lead.pk]
        audit = run_service(
            form, services.audit_create, actor=self.request.user, program=self.program, **data
        )
        if audit is None:
            return self.form_invalid(form)
        messages.success(self.request, "Audit planned.")
        return redirect("audits:audit_detail", program=self.program.slug, pk=audit.pk)


class AuditDetailView(AuditsViewMixin, TemplateView):
    template_name = "audits/audit_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        audit = self.get_audit(self.kwargs["pk"])
        policy = services.policy_for(self.program)
        context.update(
            audit=audit,
            policy=policy,
            shortfall=services.coverage_shortfall(audit, policy),
            team=selectors.audit_team(audit=audit),
            findings=selectors.finding_list(program=self.program, audit=audit),
            can_edit=selectors.audit_can_edit(
                audit=audit, user=self.request.user, membership=self.membership
            ),
            next_statuses=[
                (s, AuditStatus(s).label) for s in sorted(AUDIT_TRANSITIONS[audit.status])
            ],
            transition_form=AuditTransitionForm(
                initial={"justification": audit.coverage_justification}
            ),
            team_form=TeamAddForm(program=self.program),
            reports=selectors.report_list(program=self.program, audit=audit)[:5],
        )
        return context


class AuditEditView(AuditsViewMixin, FormView):
    template_name = "audits/form.html"
    form_class = AuditFieldworkForm
    read_roles = AUDIT_WRITE_ROLES
    extra_context = {"title": "Fieldwork record"}

    def get_form_kwargs(self):
        self.audit = self.get_editable_audit(self.kwargs["pk"])
        checklist = services.policy_for(self.program).document_checklist
        return {**super().get_form_kwargs(), "checklist": checklist}

    def get_initial(self):
        a = self.audit
        return {
            f: getattr(a, f)
            for f in (
                "actual_start",
                "actual_end",
                "workforce_size",
                "workers_interviewed",
                "management_interviewed",
                "documents_reviewed",
                "coverage_justification",
                "summary",
            )
        }

    def form_valid(self, form):
        audit = run_service(
            form,
            services.audit_update,
            actor=self.request.user,
            audit=self.audit,
            **form.cleaned_data,
        )
        if audit is None:
            return self.form_invalid(form)
        messages.success(self.request, "Fieldwork record saved.")
        return redirect("audits:audit_detail", program=self.program.slug, pk=audit.pk)


class AuditTransitionView(AuditsViewMixin, View):
    def post(self, request, *args, **kwargs):
        audit = self.get_editable_audit(kwargs["pk"])
        form = AuditTransitionForm(request.POST)
        if form.is_valid():
            done = run_service(
                form,
                services.audit_transition,
                actor=request.user,
                audit=audit,
                status=form.cleaned_data["status"],
                justification=form.cleaned_data["justification"],
            )
            if done is not None:
                messages.success(request, f"Audit is now {done.get_status_display().lower()}.")
        for error in form.non_field_errors():
            messages.error(request, error)
        return redirect("audits:audit_detail", program=self.program.slug, pk=audit.pk)


class AuditTeamView(AuditsViewMixin, View):
    write_roles = AUDIT_MANAGE_ROLES

    def post(self, request, *args, **kwargs):
        audit = self.get_audit(kwargs["pk"])
        form = TeamAddForm(request.POST, program=self.program)
        if form.is_valid() and run_service(
            form,
            services.audit_team_add,
            actor=request.user,
            audit=audit,
            user=form.cleaned_data["user"],
            lead=form.cleaned_data["lead"],
        ):
            messages.success(request, "Team updated.")
        else:
            messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
        return redirect("audits:audit_detail", program=self.program.slug, pk=audit.pk)


class AuditTeamRemoveView(AuditsViewMixin, TemplateView):
    """Take a member off an audit's team: GET asks for confirmation, POST removes the
    grants (the member no longer sees the audit unless their role shows them all)."""

    template_name = "audits/team_remove.html"
    read_roles = AUDIT_MANAGE_ROLES
    write_roles = AUDIT_MANAGE_ROLES

    def get_member(self):
        audit = self.get_audit(self.kwargs["pk"])
        for entry in selectors.audit_team(audit=audit):
            if entry["user"].pk == self.kwargs["user"]:
                return audit, entry
        raise Http404

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["audit"], context["member"] = self.get_member()
        return context

    def post(self, request, *args, **kwargs):
        audit, member = self.get_member()
        try:
            services.audit_team_remove(actor=request.user, audit=audit, user=member["user"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            name = member["user"].get_full_name() or member["user"].get_username()
            messages.success(request, f"{name} is no longer on the team.")
        return redirect("audits:audit_detail", program=self.program.slug, pk=audit.pk)


class FindingCreateView(AuditsViewMixin, FormView):
    template_name = "audits/form.html"
    form_class = FindingForm
    read_roles = AUDIT_WRITE_ROLES
    extra_context = {"title": "Record a finding"}

    def get_form_kwargs(self):
        self.audit = self.get_editable_audit(self.kwargs["pk"])
        return {**super().get_form_kwargs(), "program": self.program}

    def form_valid(self, form):
        finding = run_service(
            form,
            services.finding_create,
            actor=self.request.user,
            audit=self.audit,
            **form.cleaned_data,
        )
        if finding is None:
            return self.form_invalid(form)
        messages.success(self.request, "Finding recorded.")
        return redirect("audits:audit_detail", program=self.program.slug, pk=self.audit.pk)


class FindingDetailView(AuditsViewMixin, TemplateView):
    template_name = "audits/finding_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        finding = self.get_finding(self.kwargs["pk"])
        context.update(
            finding=finding,
            evidence=selectors.evidence_list(program=self.program, finding=finding),
            cap_items=selectors.cap_item_list(program=self.program).filter(finding=finding),
            evidence_form=EvidenceForm(),
            can_edit=selectors.audit_can_edit(
                audit=finding.audit, user=self.request.user, membership=self.membership
            ),
            can_refer=self.can("audit_finding.refer"),
        )
        return context


class FindingEvidenceView(AuditsViewMixin, View):
    def post(self, request, *args, **kwargs):
        finding = self.get_finding(kwargs["pk"])
        if not selectors.audit_can_edit(
            audit=finding.audit, user=request.user, membership=self.membership
        ):
            raise PermissionDenied
        form = EvidenceForm(request.POST, request.FILES)
        if form.is_valid() and run_service(
            form,
            services.evidence_attach,
            actor=request.user,
            program=self.program,
            upload=form.cleaned_data["file"],
            finding=finding,
            description=form.cleaned_data["description"],
        ):
            messages.success(request, "Evidence attached.")
        else:
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("audits:finding_detail", program=self.program.slug, pk=finding.pk)


class FindingReferView(AuditsViewMixin, View):
    write_roles = AUDIT_MANAGE_ROLES

    def post(self, request, *args, **kwargs):
        finding = self.get_finding(kwargs["pk"])
        # No form to carry a refusal here (an unbound form cannot take an error): the
        # message goes straight to the page.
        try:
            services.audit_finding_refer(actor=request.user, finding=finding)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Finding referred to enforcement.")
        return redirect("audits:finding_detail", program=self.program.slug, pk=finding.pk)


class EvidenceDownloadView(AuditsViewMixin, View):
    """Private evidence: only through this view, after the visibility check."""

    def get(self, request, *args, **kwargs):
        evidence = get_or_404(
            selectors.evidence_visible(
                program=self.program, user=request.user, membership=self.membership
            ),
            pk=kwargs["pk"],
        )
        response = FileResponse(evidence.file.open("rb"), content_type=evidence.content_type)
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=evidence.original_name
        )
        response["Cache-Control"] = "private, no-store"
        return response
