"""Staff workspace pages of the audits app (/p/<program>/audits/...)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils.http import content_disposition_header
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from programs.selectors import facility_list, get_or_404
from wsr.forms import run_service
from wsr.pagination import PAGE_SIZE, querystring_without_page
from wsr.roles import ADMIN_ROLES, INTERNAL_ROLES
from wsr.tenancy import ProgramViewMixin

from . import selectors, services
from .forms import (
    AuditFieldworkForm,
    AuditForm,
    AuditTransitionForm,
    CAPItemForm,
    CAPItemTransitionForm,
    CommentForm,
    EducationForm,
    EvidenceForm,
    FindingForm,
    PolicyForm,
    TeamAddForm,
)
from .models import (
    AUDIT_TRANSITIONS,
    CAP_ITEM_TRANSITIONS,
    AuditStatus,
    AuditType,
    CAPItemStatus,
    ReportKind,
    ReportStatus,
)
from .selectors import AUDIT_MANAGE_ROLES, AUDIT_WRITE_ROLES, CAP_WRITE_ROLES


class AuditsViewMixin(ProgramViewMixin):
    read_roles = INTERNAL_ROLES
    write_roles = AUDIT_WRITE_ROLES

    def visible_audits(self):
        return selectors.audit_list(
            program=self.program, user=self.request.user, membership=self.membership
        )

    def get_audit(self, pk):
        return get_or_404(self.visible_audits(), pk=pk)

    def get_editable_audit(self, pk):
        audit = self.get_audit(pk)
        if not selectors.audit_can_edit(
            audit=audit, user=self.request.user, membership=self.membership
        ):
            raise PermissionDenied
        return audit

    def get_finding(self, pk):
        return get_or_404(
            selectors.findings_visible(
                program=self.program, user=self.request.user, membership=self.membership
            ),
            pk=pk,
        )

    def get_item(self, pk):
        return get_or_404(selectors.cap_item_list(program=self.program), pk=pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_write"] = self.membership.role in self.write_roles
        context["querystring"] = querystring_without_page(self.request)
        return context


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
            can_refer=self.membership.role in AUDIT_MANAGE_ROLES,
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
        form = CommentForm()  # a carrier for the refusal message
        if run_service(form, services.audit_finding_refer, actor=request.user, finding=finding):
            messages.success(request, "Finding referred to enforcement.")
        for error in form.non_field_errors():
            messages.error(request, error)
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


# ---------------------------------------------------------------- CAPs


class CAPListView(AuditsViewMixin, ListView):
    template_name = "audits/cap_list.html"
    paginate_by = PAGE_SIZE
    context_object_name = "items"

    def get_scoped_queryset(self):
        g = self.request.GET
        return selectors.cap_item_list(
            program=self.program,
            status=g.get("status", "").strip(),
            facility=g.get("facility") or None,
            search=g.get("q", "").strip(),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["statuses"] = CAPItemStatus.choices
        context["caps"] = selectors.cap_list(program=self.program)[:50]
        context["progress"] = selectors.cap_progress_by_facility(program=self.program)
        context["program_rate"] = selectors.cap_progress_program(program=self.program)
        return context


class CAPDetailView(AuditsViewMixin, TemplateView):
    template_name = "audits/cap_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cap = get_or_404(selectors.cap_list(program=self.program), pk=self.kwargs["pk"])
        context.update(
            cap=cap,
            items=selectors.cap_item_list(program=self.program, cap=cap),
            rate=selectors.cap_progress_by_facility(program=self.program).get(cap.facility_id),
        )
        return context


class CAPItemCreateView(AuditsViewMixin, FormView):
    template_name = "audits/form.html"
    form_class = CAPItemForm
    read_roles = CAP_WRITE_ROLES
    write_roles = CAP_WRITE_ROLES
    extra_context = {"title": "New CAP item"}

    def get_form_kwargs(self):
        finding_pk = self.request.GET.get("finding") or self.request.POST.get("finding")
        self.finding = self.get_finding(finding_pk) if finding_pk else None
        return {**super().get_form_kwargs(), "program": self.program, "finding": self.finding}

    def get_initial(self):
        initial = {"facility": self.request.GET.get("facility")}
        if self.finding is not None:
            initial["observation"] = self.finding.facts
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["finding"] = self.finding
        return context

    def form_valid(self, form):
        item = run_service(
            form,
            services.cap_item_create,
            actor=self.request.user,
            program=self.program,
            finding=self.finding,
            **form.cleaned_data,
        )
        if item is None:
            return self.form_invalid(form)
        messages.success(self.request, "CAP item added.")
        return redirect("audits:cap_item_detail", program=self.program.slug, pk=item.pk)


class CAPItemDetailView(AuditsViewMixin, TemplateView):
    template_name = "audits/cap_item_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        item = self.get_item(self.kwargs["pk"])
        allowed = sorted(CAP_ITEM_TRANSITIONS[item.status])
        form = CAPItemTransitionForm()
        form.fields["status"].choices = [(s, CAPItemStatus(s).label) for s in allowed]
        context.update(
            item=item,
            history=selectors.cap_item_history(item=item),
            comments=selectors.cap_item_comments(item=item),
            evidence=selectors.evidence_list(program=self.program, cap_item=item),
            transition_form=form if allowed else None,
            comment_form=CommentForm(),
            evidence_form=EvidenceForm(),
        )
        return context


class CAPItemTransitionView(AuditsViewMixin, View):
    write_roles = CAP_WRITE_ROLES

    def post(self, request, *args, **kwargs):
        item = self.get_item(kwargs["pk"])
        form = CAPItemTransitionForm(request.POST)
        if form.is_valid() and run_service(
            form,
            services.cap_item_transition,
            actor=request.user,
            item=item,
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
        ):
            messages.success(request, "Status recorded.")
        else:
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
        return redirect("audits:cap_item_detail", program=self.program.slug, pk=item.pk)


class CAPItemCommentView(AuditsViewMixin, View):
    write_roles = CAP_WRITE_ROLES

    def post(self, request, *args, **kwargs):
        item = self.get_item(kwargs["pk"])
        form = CommentForm(request.POST)
        if form.is_valid() and run_service(
            form, services.cap_item_comment, actor=request.user, item=item, **form.cleaned_data
        ):
            messages.success(request, "Comment added.")
        return redirect("audits:cap_item_detail", program=self.program.slug, pk=item.pk)


class CAPItemEvidenceView(AuditsViewMixin, View):
    write_roles = CAP_WRITE_ROLES

    def post(self, request, *args, **kwargs):
        item = self.get_item(kwargs["pk"])
        form = EvidenceForm(request.POST, request.FILES)
        if form.is_valid() and run_service(
            form,
            services.evidence_attach,
            actor=request.user,
            program=self.program,
            upload=form.cleaned_data["file"],
            cap_item=item,
            description=form.cleaned_data["description"],
        ):
            messages.success(request, "Evidence attached.")
        else:
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("audits:cap_item_detail", program=self.program.slug, pk=item.pk)


# ---------------------------------------------------------------- education, grades, history


class EducationListView(AuditsViewMixin, ListView):
    template_name = "audits/education_list.html"
    paginate_by = PAGE_SIZE
    context_object_name = "sessions"

    def get_scoped_queryset(self):
        return selectors.education_list(
            program=self.program,
            facility=self.request.GET.get("facility") or None,
            search=self.request.GET.get("q", "").strip(),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["reach"] = selectors.education_reach(program=self.program)
        return context


class EducationCreateView(AuditsViewMixin, FormView):
    template_name = "audits/form.html"
    form_class = EducationForm
    read_roles = AUDIT_WRITE_ROLES
    extra_context = {"title": "Record an education session"}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "program": self.program}

    def form_valid(self, form):
        session = run_service(
            form,
            services.education_session_record,
            actor=self.request.user,
            program=self.program,
            **form.cleaned_data,
        )
        if session is None:
            return self.form_invalid(form)
        messages.success(self.request, "Education session recorded.")
        return redirect("audits:education_list", program=self.program.slug)


class GradesView(AuditsViewMixin, TemplateView):
    template_name = "audits/grades.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        sections, scores, averages, latest = selectors.facility_grades(program=self.program)
        context["sections"] = sections
        context["rows"] = [
            (audit.facility, audit, [scores[fid][s] for s in sections])
            for fid, audit in sorted(latest.items(), key=lambda kv: kv[1].facility.name)
        ]
        context["averages"] = [averages[s] for s in sections]
        return context


class FacilityHistoryView(AuditsViewMixin, TemplateView):
    template_name = "audits/facility_history.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        facility = get_or_404(facility_list(program=self.program), pk=self.kwargs["facility"])
        audits = selectors.audit_list(
            program=self.program,
            user=self.request.user,
            membership=self.membership,
            facility=facility.pk,
        )
        grades, graded_audit = selectors.facility_grade_rows(
            program=self.program, facility=facility
        )
        context.update(
            facility=facility,
            audits=audits,
            findings=selectors.findings_visible(
                program=self.program,
                user=self.request.user,
                membership=self.membership,
                facility=facility,
            ),
            cap_items=selectors.cap_item_list(program=self.program, facility=facility.pk),
            rate=selectors.cap_progress_by_facility(program=self.program).get(facility.pk),
            sessions=selectors.education_list(program=self.program, facility=facility.pk)[:20],
            reach=selectors.education_reach_by_facility(program=self.program, facility=facility),
            grades=grades,
            graded_audit=graded_audit,
        )
        return context


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
    read_roles = INTERNAL_ROLES
    write_roles = ADMIN_ROLES
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
