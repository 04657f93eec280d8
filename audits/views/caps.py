"""Corrective action plan pages: the program list, a facility's CAP, items."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from core.forms import run_service
from core.pagination import PAGE_SIZE, IdsFirstPaginator
from core.tenancy import get_or_404
from enforcement.selectors import escalation_proposals
from programs.models import Facility

from .. import selectors, services
from ..forms import (
    DATE,
    CAPItemForm,
    CAPItemTransitionForm,
    CommentForm,
    EvidenceForm,
)
from ..models import (
    CAP_ITEM_TRANSITIONS,
    CAPItemStatus,
)
from ..selectors import AUDIT_MANAGE_ROLES, CAP_WRITE_ROLES
from ._base import AuditsViewMixin

# ---------------------------------------------------------------- CAPs

CAPS_SHOWN = 50


class CAPListView(AuditsViewMixin, ListView):
    template_name = "audits/cap_list.html"
    paginate_by = PAGE_SIZE
    paginator_class = IdsFirstPaginator  # the page's ids first, then 25 rows joined
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
        # The first CAPs_SHOWN plans are cut first, then their items counted: the
        # counts cost the same for a program of 50 CAPs or of 15,000.
        context["caps"] = selectors.with_cap_counts(
            selectors.cap_list(program=self.program)[:CAPS_SHOWN]
        )
        context["program_rate"] = selectors.cap_progress_program(program=self.program)
        return context


class CAPDetailView(AuditsViewMixin, TemplateView):
    template_name = "audits/cap_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cap = get_or_404(selectors.cap_list(program=self.program), pk=self.kwargs["pk"])
        selectors.with_cap_counts([cap])
        context.update(
            cap=cap,
            items=selectors.cap_item_list(program=self.program, cap=cap),
            rate=selectors.cap_progress_by_facility(
                program=self.program, facilities=[cap.facility_id]
            ).get(cap.facility_id),
            can_change_deadline=self.can("cap_item.deadline"),
            proposals=_pending_proposals(self.program, cap.facility.supplier_id),
        )
        return context


def _pending_proposals(program, supplier_id):
    """Escalations of the facility's supplier waiting for a person's approval (shown on
    the CAP: its overdue items are usually why)."""
    return list(escalation_proposals(program=program, supplier=supplier_id, state="proposed")[:10])


class CAPItemCreateView(AuditsViewMixin, FormView):
    template_name = "audits/form.html"
    form_class = CAPItemForm
    read_roles = CAP_WRITE_ROLES
    write_roles = CAP_WRITE_ROLES
    extra_context = {"title": "New CAP item"}

    def get_form_kwargs(self):
        finding_pk = self.request.GET.get("finding") or self.request.POST.get("finding")
        self.finding = self.get_finding(finding_pk) if finding_pk else None
        kwargs = {**super().get_form_kwargs(), "program": self.program, "finding": self.finding}
        if self.membership.role not in AUDIT_MANAGE_ROLES:
            kwargs["facilities"] = Facility.objects.filter(
                program=self.program,
                pk__in=selectors.audit_list(
                    program=self.program, user=self.request.user, membership=self.membership
                )
                .order_by()
                .values("facility_id"),
            )
        return kwargs

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
            deadline_changes=selectors.cap_item_deadline_changes(item=item),
            can_change_deadline=(
                self.can("cap_item.deadline", item) and item.status != CAPItemStatus.VERIFIED
            ),
            # Follow-up controls only where the member may follow up (auditors: where
            # they audit), as the services decide.
            can_write=self.can("cap_item.update", item),
        )
        return context


class CAPItemDeadlineForm(forms.Form):
    deadline = forms.DateField(widget=DATE, label="New deadline")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text="Kept in the item's record with the change.",
    )


class CAPItemDeadlineView(AuditsViewMixin, FormView):
    """Move an item's deadline, with a reason. Admin and staff only: an extension
    decides when escalation starts, so the program decides it, not the auditor."""

    template_name = "audits/cap_item_deadline.html"
    form_class = CAPItemDeadlineForm
    read_roles = AUDIT_MANAGE_ROLES
    write_roles = AUDIT_MANAGE_ROLES

    def get_form_kwargs(self):
        self.item = self.get_item(self.kwargs["pk"])
        return super().get_form_kwargs()

    def get_initial(self):
        return {"deadline": self.item.deadline}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["item"] = self.item
        return context

    def form_valid(self, form):
        if form.cleaned_data["deadline"] == self.item.deadline:
            form.add_error("deadline", "That is already the deadline.")
            return self.form_invalid(form)
        item = run_service(
            form,
            services.cap_item_update,
            actor=self.request.user,
            item=self.item,
            deadline=form.cleaned_data["deadline"],
            reason=form.cleaned_data["reason"],
        )
        if item is None:
            return self.form_invalid(form)
        messages.success(self.request, f"Deadline moved to {item.deadline}.")
        return redirect("audits:cap_item_detail", program=self.program.slug, pk=item.pk)


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
