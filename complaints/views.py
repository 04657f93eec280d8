"""Staff workspace of the complaint line (/p/<program>/complaints/...)."""

import functools

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.views import View
from django.views.generic import ListView, TemplateView

from core.errors import DomainError
from core.forms import run_service
from core.pagination import (
    DETAIL_URL_MARKER,
    PAGE_SIZE,
    IdsFirstPaginator,
    querystring_without_page,
    with_choice_labels,
    with_detail_urls,
)
from core.roles import INTERNAL_ROLES, MANAGE_ROLES
from core.tenancy import ProgramViewMixin

from . import crypto, forms, selectors, services
from .access import case_access
from .custody import custody_context
from .models import CaseStatus, Priority

# Choice fields whose labels the case list shows (get_<field>_display in the template).
LIST_LABEL_FIELDS = ("category", "priority", "status", "outcome")


class CaseListView(ProgramViewMixin, ListView):
    template_name = "complaints/case_list.html"
    paginate_by = PAGE_SIZE
    paginator_class = IdsFirstPaginator
    context_object_name = "cases"

    def get_scoped_queryset(self):
        g = self.request.GET
        filters = {
            "status": g.get("status", "").strip() or None,
            "priority": g.get("priority", "").strip() or None,
            "q": g.get("q", "").strip() or None,
            "overdue": g.get("overdue") == "1",
            "mine": g.get("mine") == "1",
        }
        self.filters = filters
        return selectors.case_list(
            program=self.program, user=self.request.user, membership=self.membership, **filters
        )

    def get_paginator(self, queryset, per_page, **kwargs):
        paginator = super().get_paginator(queryset, per_page, **kwargs)
        count = selectors.case_list_count(
            program=self.program, membership=self.membership, **self.filters
        )
        if count is not None:
            paginator.count = count
        return paginator

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = with_choice_labels(context["page_obj"].object_list, LIST_LABEL_FIELDS)
        with_detail_urls(
            rows, "complaints:case_detail", program=self.program.slug, pk=DETAIL_URL_MARKER
        )
        context["statuses"] = CaseStatus.choices
        context["priorities"] = Priority.choices
        context["querystring"] = querystring_without_page(self.request)
        context["can_log"] = self.can("complaint.log")
        context["can_channels"] = self.can("channel.manage")
        return context


class CaseCreateView(ProgramViewMixin, TemplateView):
    """Staff log a complaint from the hotline, in person, SMS or WhatsApp."""

    template_name = "complaints/case_create.html"
    read_action = write_action = "complaint.log"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", forms.StaffComplaintForm(program=self.program))
        return context

    def post(self, request, *args, **kwargs):
        form = forms.StaffComplaintForm(request.POST, request.FILES, program=self.program)
        if form.is_valid():
            d = form.cleaned_data
            result = run_service(
                form,
                services.complaint_submit,
                actor=request.user,
                program=self.program,
                narrative=d["narrative"],
                category=d["category"],
                facility=d["facility"],
                facility_description=d["facility_description"],
                occurred=d["occurred"],
                language=d["language"],
                channel=d["channel"],
                identity=form.identity(),
                evidence=[d["evidence"]] if d.get("evidence") else [],
            )
            if result is not None:
                case, code = result
                # The code is shown once, to be passed on to the worker; never stored.
                return self.render_to_response(
                    self.get_context_data(
                        form=None, case=case, receipt_code=crypto.format_receipt_code(code)
                    )
                )
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PolicyView(ProgramViewMixin, TemplateView):
    """Clocks and retention of the program's complaint line (admins and staff)."""

    template_name = "complaints/policy.html"
    read_roles = MANAGE_ROLES

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", forms.PolicyForm(policy=services.policy_for(self.program)))
        return context

    def post(self, request, *args, **kwargs):
        form = forms.PolicyForm(request.POST, policy=services.policy_for(self.program))
        if form.is_valid():
            result = run_service(
                form,
                services.complaint_policy_set,
                actor=request.user,
                program=self.program,
                clocks=form.clocks(),
                identity_retention_days=form.cleaned_data["identity_retention_days"],
                retaliation_checkin_days=form.cleaned_data["retaliation_checkin_days"],
                public_count_threshold=form.cleaned_data["public_count_threshold"],
            )
            if result is not None:
                messages.success(
                    request, "Complaint policy saved. New deadlines apply to triage from now on."
                )
                return redirect("complaints:policy", program=self.program.slug)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class CaseMixin(ProgramViewMixin):
    read_roles = INTERNAL_ROLES
    write_roles = INTERNAL_ROLES

    def get_case(self):
        if not hasattr(self, "_case"):
            self._case = selectors.case_get(
                program=self.program,
                user=self.request.user,
                membership=self.membership,
                pk=self.kwargs["pk"],
            )
            self.access = case_access(
                case=self._case, user=self.request.user, membership=self.membership
            )
        return self._case


class CaseDetailView(CaseMixin, TemplateView):
    template_name = "complaints/case_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        case = self.get_case()
        p = self.program
        # Each list is read once (a list, not a queryset) and shown twice: in its panel
        # and on the timeline, which merges them in time order.
        lists = {
            "notes": list(selectors.note_list(program=p, case=case)),
            "thread": list(selectors.message_list(program=p, case=case)),
            "evidence": list(selectors.evidence_list(program=p, case=case)),
            "interviews": list(selectors.interview_list(program=p, case=case)),
            "findings": list(selectors.finding_list(program=p, case=case)),
        }
        events = list(selectors.case_status_events(program=p, case=case))
        context.update(
            case=case,
            access=self.access,
            provisions=selectors.case_provisions(case=case),
            timeline=selectors.case_timeline(case=case, events=events, **lists),
            **lists,
            custody=custody_context(case=case, membership=self.membership, user=self.request.user),
            retaliation_cases=selectors.case_list(
                program=p, user=self.request.user, membership=self.membership
            ).filter(retaliation_of=case),
        )
        initial_triage = {
            "category": case.category,
            "priority": case.priority,
            "facility": case.facility_id,
            "provisions": [cp.provision_id for cp in context["provisions"]],
        }
        defaults = {
            "triage_form": forms.TriageForm(program=p, initial=initial_triage),
            "assign_form": forms.AssignForm(
                program=p, initial={"investigator": case.assigned_to_id}
            ),
            "share_form": forms.ShareForm(program=p),
            "transition_form": forms.TransitionForm(),
            "retaliation_form": forms.RetaliationForm(),
            "note_form": forms.NoteForm(),
            "message_form": forms.MessageForm(),
            "evidence_form": forms.EvidenceForm(),
            "interview_form": forms.InterviewForm(),
            "finding_form": forms.FindingForm(program=p),
        }
        for key, value in defaults.items():
            context.setdefault(key, value)
        return context


class CaseActionView(CaseMixin, TemplateView):
    """POST-only action on a case: validate ``form_class``, call the service, redirect
    back to the case; on error re-render the case file with the user's input kept."""

    http_method_names = ["post"]
    template_name = "complaints/case_detail.html"
    form_class = None
    form_context_name = None
    needs = "work"  # or "manage"
    success_message = "Saved."

    def form_kwargs(self):
        return {}

    def call(self, form, case):
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        case = self.get_case()
        if not getattr(self.access, self.needs):
            raise PermissionDenied
        form = self.form_class(request.POST, request.FILES, **self.form_kwargs())
        if form.is_valid():
            result = run_service(form, functools.partial(self.call, form, case))
            if result is not None:
                messages.success(request, self.success_message)
                return redirect("complaints:case_detail", program=self.program.slug, pk=case.pk)
        detail = CaseDetailView()
        detail.setup(request, *args, **kwargs)
        detail.program, detail.membership = self.program, self.membership
        detail._case, detail.access = case, self.access
        context = detail.get_context_data(**{self.form_context_name: form})
        return self.render_to_response(context, status=400)


class CaseTriageView(CaseActionView):
    form_class = forms.TriageForm
    form_context_name = "triage_form"
    needs = "manage"
    success_message = "Triage saved."

    def form_kwargs(self):
        return {"program": self.program}

    def call(self, form, case):
        d = form.cleaned_data
        return services.case_triage(
            actor=self.request.user,
            case=case,
            category=d["category"],
            priority=d["priority"],
            provisions=list(d["provisions"]),
            facility=d["facility"],
            note=d["note"],
        )


class CaseAssignView(CaseActionView):
    form_class = forms.AssignForm
    form_context_name = "assign_form"
    needs = "manage"
    success_message = "Case assigned."

    def form_kwargs(self):
        return {"program": self.program}

    def call(self, form, case):
        return services.case_assign(
            actor=self.request.user,
            case=case,
            investigator=form.cleaned_data["investigator"],
            with_identity=form.cleaned_data["with_identity"],
        )


class CaseShareView(CaseActionView):
    form_class = forms.ShareForm
    form_context_name = "share_form"
    needs = "manage"
    success_message = "Case shared."

    def form_kwargs(self):
        return {"program": self.program}

    def call(self, form, case):
        return services.case_share(
            actor=self.request.user,
            case=case,
            user=form.cleaned_data["user"],
            with_identity=form.cleaned_data["with_identity"],
        )


class CaseTransitionView(CaseActionView):
    form_class = forms.TransitionForm
    form_context_name = "transition_form"
    success_message = "Status changed."

    def call(self, form, case):
        d = form.cleaned_data
        closing_or_reopening = d["status"] == CaseStatus.CLOSED or case.status in (
            CaseStatus.RESOLVED,
            CaseStatus.CLOSED,
        )
        if closing_or_reopening and not self.access.manage:
            raise DomainError("Only admins and staff close or reopen cases.")
        return services.case_transition(
            actor=self.request.user,
            case=case,
            status=d["status"],
            outcome=d["outcome"],
            summary=d["summary"],
            reason=d["reason"],
        )


class CaseRetaliationView(CaseActionView):
    form_class = forms.RetaliationForm
    form_context_name = "retaliation_form"
    needs = "manage"
    success_message = "Flagged as retaliation; the case is now urgent."

    def call(self, form, case):
        ref = form.cleaned_data["original_reference"].strip()
        original = (
            selectors.case_list(
                program=self.program, user=self.request.user, membership=self.membership
            )
            .filter(reference__iexact=ref)
            .first()
        )
        if original is None:
            from django.core.exceptions import ValidationError

            raise ValidationError(
                {"original_reference": "No case of this program has that reference."}
            )
        return services.case_flag_retaliation(
            actor=self.request.user, case=case, original=original, note=form.cleaned_data["note"]
        )


class NoteAddView(CaseActionView):
    form_class = forms.NoteForm
    form_context_name = "note_form"
    success_message = "Note added."

    def call(self, form, case):
        return services.note_add(actor=self.request.user, case=case, body=form.cleaned_data["body"])


class MessageSendView(CaseActionView):
    form_class = forms.MessageForm
    form_context_name = "message_form"
    success_message = "Message sent; the worker sees it on the status page."

    def call(self, form, case):
        d = form.cleaned_data
        return services.message_send(
            actor=self.request.user,
            case=case,
            body=d["body"],
            attachments=[d["attachment"]] if d.get("attachment") else [],
        )


class EvidenceAddView(CaseActionView):
    form_class = forms.EvidenceForm
    form_context_name = "evidence_form"
    success_message = "Evidence stored."

    def call(self, form, case):
        return services.evidence_add(
            actor=self.request.user,
            case=case,
            upload=form.cleaned_data["file"],
            description=form.cleaned_data["description"],
        )


class InterviewAddView(CaseActionView):
    form_class = forms.InterviewForm
    form_context_name = "interview_form"
    success_message = "Interview recorded."

    def call(self, form, case):
        d = form.cleaned_data
        return services.interview_record(
            actor=self.request.user,
            case=case,
            kind=d["kind"],
            conducted_on=d["conducted_on"],
            summary=d["summary"],
            language=d["language"],
        )


class FindingAddView(CaseActionView):
    form_class = forms.FindingForm
    form_context_name = "finding_form"
    success_message = "Finding recorded."

    def form_kwargs(self):
        return {"program": self.program}

    def call(self, form, case):
        d = form.cleaned_data
        return services.finding_add(
            actor=self.request.user,
            case=case,
            provision=d["provision"],
            facts=d["facts"],
            severity=d["severity"] or None,
            facility=d["facility"],
        )


class IdentityRevealView(CaseMixin, TemplateView):
    """POST: decrypt the identity into this one response (audited), never a GET, so
    link prefetchers and history do not reveal it."""

    http_method_names = ["post"]
    template_name = "complaints/case_detail.html"

    def post(self, request, *args, **kwargs):
        case = self.get_case()
        if not self.access.identity:
            raise PermissionDenied
        detail = CaseDetailView()
        detail.setup(request, *args, **kwargs)
        detail.program, detail.membership = self.program, self.membership
        detail._case, detail.access = case, self.access
        try:
            identity = services.case_identity_reveal(actor=request.user, case=case)
        except DomainError as exc:  # custody: no approval yet (complaints/custody.py)
            # Refused, so a 403 (as every refusal), on the case page with the reason.
            messages.error(request, exc.message)
            return self.render_to_response(detail.get_context_data(), status=403)
        context = detail.get_context_data(identity=identity, identity_revealed=True)
        return self.render_to_response(context)


class FindingReferView(CaseMixin, View):
    http_method_names = ["post"]
    read_roles = MANAGE_ROLES
    write_roles = MANAGE_ROLES

    def post(self, request, *args, **kwargs):
        finding = selectors.finding_get(
            program=self.program, user=request.user, membership=self.membership, pk=kwargs["pk"]
        )
        try:
            services.finding_refer(actor=request.user, finding=finding)
            messages.success(request, "Finding referred to enforcement.")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("complaints:case_detail", program=self.program.slug, pk=finding.case_id)


class EvidenceDownloadView(CaseMixin, View):
    """Evidence is private: served only here, after the case's visibility check, as an
    attachment with the sniffed type (never rendered inline)."""

    def get(self, request, *args, **kwargs):
        evidence = selectors.evidence_get(
            program=self.program, user=request.user, membership=self.membership, pk=kwargs["pk"]
        )
        try:
            handle = evidence.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        ext = evidence.file.name.rsplit(".", 1)[-1]
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=f"{evidence.case.reference}-evidence-{evidence.pk}.{ext}",
            content_type=evidence.content_type,
        )
        response["Cache-Control"] = "no-store"
        return response


class CaseSummaryPdfView(CaseMixin, View):
    """The case file as a PDF; identity is included (and the reveal audited) only for a
    member allowed to see it."""

    def get(self, request, *args, **kwargs):
        from . import reports

        case = self.get_case()
        pdf = reports.case_summary_pdf(
            case=case, user=request.user, membership=self.membership, access=self.access
        )
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{case.reference}.pdf"'
        response["Cache-Control"] = "no-store"
        return response
