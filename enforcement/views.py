"""Staff pages of enforcement (/p/<program>/enforcement/...): the violation queue, supplier
standing, the obligations board, the consequence ladder and the premium ledger."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from core.errors import DomainError
from core.forms import run_service
from core.pagination import PAGE_SIZE, paginate, querystring_without_page
from core.roles import ADMIN_ROLES, INTERNAL_ROLES, Role
from core.tenancy import ProgramViewMixin, get_or_404
from enforcement.forms import (
    ConfirmForm,
    EnforcementSettingsForm,
    PolicyRatifyForm,
    ProposalDecisionForm,
    ReasonForm,
    ReinstateForm,
    RejectForm,
    RemediateForm,
    RuleForm,
    VerifyForm,
    ViolationProposeForm,
)
from enforcement.models import ObligationState, Standing, ViolationState
from programs import selectors as program_selectors
from programs.models import Severity

from . import selectors, services


class ListPageMixin:
    paginate_by = PAGE_SIZE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["querystring"] = querystring_without_page(self.request)
        return context


# ---------------------------------------------------------------- violations


class ViolationListView(ListPageMixin, ProgramViewMixin, ListView):
    template_name = "enforcement/violation_list.html"
    context_object_name = "violations"

    def get_scoped_queryset(self):
        g = self.request.GET
        return selectors.violation_list(
            program=self.program,
            state=g.get("state") or None,
            severity=g.get("severity") or None,
            search=g.get("q", "").strip() or None,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["states"] = ViolationState.choices
        context["severities"] = Severity.choices
        return context


def _violation(view):
    return get_or_404(selectors.violation_list(program=view.program), pk=view.kwargs["pk"])


class ViolationDetailView(ProgramViewMixin, TemplateView):
    template_name = "enforcement/violation_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        violation = _violation(self)
        context["violation"] = violation
        context["obligations"] = selectors.obligation_list(program=self.program).filter(
            violation=violation
        )
        context["confirm_form"] = kwargs.get("confirm_form") or ConfirmForm()
        context["dismiss_form"] = kwargs.get("dismiss_form") or ReasonForm()
        context["remediate_form"] = kwargs.get("remediate_form") or RemediateForm()
        # Each control shows exactly when its service would accept the member.
        context["can_confirm"] = self.can("violation.confirm", violation)
        context["can_dismiss"] = self.can("violation.dismiss", violation)
        context["can_remediate"] = self.can("violation.remediate", violation)
        return context


class _ViolationActionView(ProgramViewMixin, View):
    """POST-only: runs a service on a violation; on refusal, re-renders the detail page
    with the form (and what was typed) and the error."""

    http_method_names = ["post"]
    # Who may actually confirm, dismiss or remediate is the service's decision.
    write_roles = INTERNAL_ROLES - {Role.VIEWER}
    form_class = ConfirmForm
    form_name = "confirm_form"
    success = "Done."

    def call(self, form, violation):
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        violation = _violation(self)
        form = self.form_class(request.POST)
        if form.is_valid() and self.call(form, violation) is not None:
            messages.success(request, self.success)
            return redirect(
                "enforcement:violation_detail", program=self.program.slug, pk=violation.pk
            )
        detail = ViolationDetailView()
        detail.setup(request, *args, **kwargs)
        detail.program, detail.membership = self.program, self.membership
        detail.request = request
        context = detail.get_context_data(**{self.form_name: form})
        return detail.render_to_response(context, status=400)


class ViolationConfirmView(_ViolationActionView):
    write_action = "violation.confirm"
    success = "Violation confirmed: the consequences are being applied."

    def call(self, form, violation):
        return run_service(
            form, services.violation_confirm, actor=self.request.user, violation=violation
        )


class ViolationDismissView(_ViolationActionView):
    write_action = "violation.dismiss"
    form_class = ReasonForm
    form_name = "dismiss_form"
    success = "Violation dismissed."

    def call(self, form, violation):
        return run_service(
            form,
            services.violation_dismiss,
            actor=self.request.user,
            violation=violation,
            reason=form.cleaned_data["reason"],
        )


class ViolationRemediateView(_ViolationActionView):
    write_action = "violation.remediate"
    form_class = RemediateForm
    form_name = "remediate_form"
    success = "Violation marked remediated."

    def call(self, form, violation):
        return run_service(
            form,
            services.violation_remediate,
            actor=self.request.user,
            violation=violation,
            note=form.cleaned_data["note"],
        )


class ViolationProposeView(ProgramViewMixin, FormView):
    template_name = "enforcement/form.html"
    form_class = ViolationProposeForm
    read_roles = write_roles = INTERNAL_ROLES - {Role.VIEWER}
    extra_context = {"title": "Propose a violation", "submit_label": "Propose"}

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["program"] = self.program
        kwargs["provisions"] = program_selectors.current_provisions(program=self.program)
        return kwargs

    def form_valid(self, form):
        data = form.cleaned_data
        violation = run_service(
            form,
            services.violation_propose,
            actor=self.request.user,
            program=self.program,
            provision=data["provision"],
            facility=data["facility"],
            severity=data["severity"] or None,
            source_kind="manual",
            source_ref=data["source_ref"],
            summary=data["summary"],
        )
        if violation is None:
            return self.form_invalid(form)
        messages.success(self.request, "Violation proposed.")
        return redirect("enforcement:violation_detail", program=self.program.slug, pk=violation.pk)


# ---------------------------------------------------------------- standing


class StandingListView(ListPageMixin, ProgramViewMixin, ListView):
    template_name = "enforcement/standing_list.html"
    context_object_name = "standings"

    def get_scoped_queryset(self):
        return selectors.standing_list(
            program=self.program,
            standing=self.request.GET.get("standing") or None,
            search=self.request.GET.get("q", "").strip() or None,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["standing_choices"] = Standing.choices
        return context


class StandingDetailView(ProgramViewMixin, TemplateView):
    template_name = "enforcement/standing_detail.html"

    def get_supplier(self):
        return get_or_404(
            program_selectors.supplier_list(program=self.program), pk=self.kwargs["supplier"]
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        supplier = self.get_supplier()
        context["supplier"] = supplier
        context["standing"] = selectors.standing_for_supplier(
            program=self.program, supplier=supplier
        )
        context["history"] = paginate(
            self.request, selectors.standing_history(program=self.program, supplier=supplier)
        )
        context["page_obj"] = context["history"]
        context["sanctions"] = selectors.sanction_list(program=self.program, supplier=supplier.pk)[
            :50
        ]
        context["reinstate_form"] = kwargs.get("reinstate_form") or ReinstateForm()
        context["can_reinstate"] = self.can("standing.reinstate")
        context["proposals"] = selectors.escalation_proposals(
            program=self.program, supplier=supplier
        )[:20]
        context["decision_form"] = kwargs.get("decision_form") or ProposalDecisionForm()
        context["can_decide"] = self.can("escalation.decide")
        return context


class StandingReinstateView(StandingDetailView):
    http_method_names = ["post"]
    write_roles = ADMIN_ROLES

    def post(self, request, *args, **kwargs):
        supplier = self.get_supplier()
        form = ReinstateForm(request.POST)
        if form.is_valid() and run_service(
            form,
            services.standing_reinstate,
            actor=request.user,
            program=self.program,
            supplier=supplier,
            reason=form.cleaned_data["reason"],
            to_standing=form.cleaned_data["to_standing"],
        ):
            messages.success(request, "Supplier reinstated.")
            return redirect(
                "enforcement:standing_detail", program=self.program.slug, supplier=supplier.pk
            )
        return self.render_to_response(self.get_context_data(reinstate_form=form), status=400)


class ProposalDecideView(StandingDetailView):
    """Approve or decline an escalation stage that CAP escalation proposed."""

    http_method_names = ["post"]
    # Whoever holds one of the program's confirm roles: refused before the form is read.
    write_roles = INTERNAL_ROLES
    write_action = "escalation.decide"

    def post(self, request, *args, **kwargs):
        supplier = self.get_supplier()
        proposal = get_or_404(
            selectors.escalation_proposals(program=self.program, supplier=supplier),
            pk=self.kwargs["pk"],
        )
        form = ProposalDecisionForm(request.POST)
        if form.is_valid() and run_service(
            form,
            services.escalation_proposal_decide,
            actor=request.user,
            proposal=proposal,
            approve=form.cleaned_data["decision"] == "approve",
            reason=form.cleaned_data["reason"],
        ):
            messages.success(request, "Decision recorded.")
            return redirect(
                "enforcement:standing_detail", program=self.program.slug, supplier=supplier.pk
            )
        return self.render_to_response(self.get_context_data(decision_form=form), status=400)


# ---------------------------------------------------------------- obligations


class ObligationBoardView(ListPageMixin, ProgramViewMixin, ListView):
    template_name = "enforcement/obligation_board.html"
    context_object_name = "obligations"

    def get_scoped_queryset(self):
        g = self.request.GET
        return selectors.obligation_list(
            program=self.program,
            state=g.get("state") or None,
            buyer=g.get("buyer") if (g.get("buyer") or "").isdigit() else None,
            open_only=g.get("open") == "1",
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["states"] = ObligationState.choices
        context["counts"] = selectors.obligation_counts(program=self.program)
        context["buyers"] = program_selectors.buyer_list(program=self.program)
        return context


def _obligation(view):
    return get_or_404(selectors.obligation_list(program=view.program), pk=view.kwargs["pk"])


class ObligationDetailView(ProgramViewMixin, TemplateView):
    template_name = "enforcement/obligation_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["obligation"] = _obligation(self)
        context["waive_form"] = kwargs.get("waive_form") or ReasonForm()
        context["can_waive"] = self.can("obligation.waive")
        context["verify_form"] = kwargs.get("verify_form") or VerifyForm()
        context["reject_form"] = kwargs.get("reject_form") or RejectForm()
        context["can_verify"] = self.can("obligation.verify")
        return context


class _ObligationActionView(ObligationDetailView):
    """A staff decision on one obligation: a form, its service, back to the obligation
    (or the page again with the form's errors, under ``context_name``)."""

    http_method_names = ["post"]
    form_class = service = field = context_name = done = None

    def post(self, request, *args, **kwargs):
        obligation = _obligation(self)
        form = self.form_class(request.POST)
        if form.is_valid() and run_service(
            form,
            type(self).service,
            actor=request.user,
            obligation=obligation,
            **{self.field: form.cleaned_data[self.field]},
        ):
            messages.success(request, self.done)
            return redirect(
                "enforcement:obligation_detail", program=self.program.slug, pk=obligation.pk
            )
        context = self.get_context_data(**{self.context_name: form})
        return self.render_to_response(context, status=400)


class ObligationVerifyView(_ObligationActionView):
    """The worker organization accepts the buyer's attestation: fulfilled."""

    write_action = "obligation.verify"
    form_class, service, field, context_name = (
        VerifyForm,
        services.obligation_verify,
        "note",
        "verify_form",
    )
    done = "Attestation verified: the obligation is fulfilled."


class ObligationRejectView(_ObligationActionView):
    """The worker organization does not accept the attestation, with a reason the buyer
    sees; the obligation is open again."""

    write_action = "obligation.verify"
    form_class, service, field, context_name = (
        RejectForm,
        services.obligation_reject,
        "reason",
        "reject_form",
    )
    done = "Attestation rejected. The buyer's officers were told why."


class ObligationWaiveView(_ObligationActionView):
    write_roles = ADMIN_ROLES
    form_class, service, field, context_name = (
        ReasonForm,
        services.obligation_waive,
        "reason",
        "waive_form",
    )
    done = "Obligation waived."


class ObligationEvidenceView(ProgramViewMixin, View):
    """The attested evidence file, only to members of the program's staff side."""

    def get(self, request, *args, **kwargs):
        obligation = _obligation(self)
        if not obligation.evidence:
            raise Http404
        response = FileResponse(
            obligation.evidence.open("rb"),
            as_attachment=True,
            filename=obligation.evidence_name or "evidence",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class BreachListView(ListPageMixin, ProgramViewMixin, ListView):
    template_name = "enforcement/breach_list.html"
    context_object_name = "breaches"

    def get_scoped_queryset(self):
        return selectors.buyer_breaches(program=self.program)


# ---------------------------------------------------------------- policy


class PolicyView(ProgramViewMixin, TemplateView):
    """The ladder's versions; admins draft, edit, ratify, and set the program's knobs."""

    template_name = "enforcement/policy.html"
    write_roles = ADMIN_ROLES

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["policies"] = selectors.policy_list(program=self.program)
        context["settings"] = services.settings_for(self.program)
        context["can_edit"] = self.can("policy.edit")
        context["rule_form"] = kwargs.get("rule_form") or RuleForm()
        context["ratify_form"] = kwargs.get("ratify_form") or PolicyRatifyForm()
        context["settings_form"] = kwargs.get("settings_form") or EnforcementSettingsForm(
            instance=context["settings"]
        )
        context["form_errors"] = kwargs.get("form_errors")
        return context

    def _back(self):
        return redirect("enforcement:policy", program=self.program.slug)

    def _invalid(self, **forms):
        return self.render_to_response(self.get_context_data(**forms), status=400)


class PolicyDraftView(PolicyView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            services.policy_draft_create(actor=request.user, program=self.program)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Draft started from the ratified ladder.")
        return self._back()


def _policy(view):
    return get_or_404(selectors.policy_list(program=view.program), pk=view.kwargs["pk"])


class PolicyRuleView(PolicyView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        policy = _policy(self)
        form = RuleForm(request.POST)
        if form.is_valid() and run_service(
            form,
            services.policy_rule_set,
            actor=request.user,
            policy=policy,
            **form.cleaned_data,
        ):
            messages.success(request, "Rule saved in the draft.")
            return self._back()
        return self._invalid(rule_form=form)


class PolicyRatifyView(PolicyView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        policy = _policy(self)
        form = PolicyRatifyForm(request.POST)
        if form.is_valid() and run_service(
            form,
            services.policy_ratify,
            actor=request.user,
            policy=policy,
            effective_date=form.cleaned_data.get("effective_date"),
        ):
            messages.success(request, f"Version {policy.number} ratified.")
            return self._back()
        return self._invalid(ratify_form=form)


class SettingsView(PolicyView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = EnforcementSettingsForm(request.POST, instance=services.settings_for(self.program))
        if form.is_valid():
            data = {f: form.cleaned_data[f] for f in form.Meta.fields}
            if run_service(
                form,
                services.enforcement_settings_update,
                actor=request.user,
                program=self.program,
                **data,
            ):
                messages.success(request, "Enforcement settings saved.")
                return self._back()
        return self._invalid(settings_form=form)
