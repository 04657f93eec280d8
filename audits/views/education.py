"""Worker education, grades and a facility's audit history."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.generic import FormView, ListView, TemplateView

from core.forms import run_service
from core.pagination import PAGE_SIZE, paginate, querystring_without_page
from core.tenancy import get_or_404
from programs.selectors import facility_list

from .. import selectors, services
from ..forms import (
    EducationForm,
)
from ..selectors import AUDIT_WRITE_ROLES
from ._base import AuditsViewMixin

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
        # A page of facilities is graded, not every facility of the program.
        page = paginate(self.request, selectors.graded_audits_by_name(program=self.program))
        sections, scores, averages, latest = selectors.facility_grades(
            program=self.program, audits=list(page.object_list)
        )
        context["sections"] = sections
        context["rows"] = [
            (audit.facility, audit, [scores[audit.facility_id][s] for s in sections])
            for audit in page.object_list
        ]
        context["averages"] = [averages[s] for s in sections]
        context["page_obj"] = page
        context["querystring"] = querystring_without_page(self.request)
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
            rate=selectors.cap_progress_by_facility(
                program=self.program, facilities=[facility.pk]
            ).get(facility.pk),
            sessions=selectors.education_list(program=self.program, facility=facility.pk)[:20],
            reach=selectors.education_reach_by_facility(program=self.program, facility=facility),
            grades=grades,
            graded_audit=graded_audit,
        )
        return context
