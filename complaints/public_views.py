"""The public complaint line: intake and status by receipt code (no login).

Privacy: PublicPrivacyMiddleware has already blanked the client address and strips every
cookie but CSRF and the language choice; nothing here reads or stores request metadata.
The receipt code travels only in POST bodies (never in a URL, so never in a log line or
a Referer), and the result page is not cached (Cache-Control: no-store).
"""

from django.conf import settings
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from core.actors import PUBLIC
from programs.models import Program

from . import crypto, forms, selectors, services, throttle
from .models import CaseStatus, Direction, Outcome

LANG_PARAM = "lang"


def public_status_text(case):
    """The case's status in plain words for the worker."""
    texts = {
        CaseStatus.RECEIVED: _("We received your complaint. Someone will read it soon."),
        CaseStatus.TRIAGED: _("We have read your complaint and are deciding how to look into it."),
        CaseStatus.INVESTIGATING: _("Your complaint is being investigated."),
        CaseStatus.RESOLVED: _("The investigation of your complaint is finished."),
        CaseStatus.CLOSED: _("Your complaint is closed."),
    }
    return texts.get(case.status, "")


def public_outcome_text(case):
    texts = {
        Outcome.SUBSTANTIATED: _("What you reported was confirmed. The program is acting on it."),
        Outcome.NOT_SUBSTANTIATED: _("The investigation could not confirm what was reported."),
        Outcome.REFERRED: _("Your complaint was passed on to the organization that can act on it."),
        Outcome.WITHDRAWN: _("The complaint was withdrawn."),
    }
    return texts.get(case.outcome, "") if case.outcome else ""


class PublicComplaintMixin:
    """Resolves the program from the URL and the page language from ``?lang=``.

    The language choice persists in Django's language cookie, which holds only the
    language code ("es") — the same value for everyone who picks it, so it identifies
    no one. It is the one cookie besides CSRF that PublicPrivacyMiddleware lets through.
    """

    def dispatch(self, request, *args, **kwargs):
        self.program = Program.objects.filter(slug=kwargs["program"]).first()
        if self.program is None:
            raise Http404
        self.chosen_language = None
        lang = request.GET.get(LANG_PARAM) or request.POST.get(LANG_PARAM)
        if lang in dict(settings.LANGUAGES):
            translation.activate(lang)
            request.LANGUAGE_CODE = lang
            self.chosen_language = lang
        response = super().dispatch(request, *args, **kwargs)
        if self.chosen_language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                self.chosen_language,
                max_age=365 * 86400,
                samesite="Lax",
                secure=request.is_secure(),
                httponly=True,
            )
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["program"] = self.program
        context["public_program"] = self.program
        context["languages"] = [
            (code, translation.get_language_info(code)["name_local"])
            for code, _name in settings.LANGUAGES
        ]
        context["current_language"] = translation.get_language()
        return context


class IntakeView(PublicComplaintMixin, TemplateView):
    template_name = "complaints/public/new.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if "form" not in context:
            context["form"] = forms.PublicComplaintForm(
                program=self.program, search=self.request.GET.get("q", "")
            )
        return context

    def post(self, request, *args, **kwargs):
        if not throttle.allow("submit", self.program.slug):
            form = forms.PublicComplaintForm(
                request.POST, program=self.program, search=request.POST.get("q", "")
            )
            form.is_valid()
            form.add_error(
                None, _("Too many complaints are arriving right now. Please try again in a minute.")
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        form = forms.PublicComplaintForm(
            request.POST, request.FILES, program=self.program, search=request.POST.get("q", "")
        )
        if form.is_valid():
            d = form.cleaned_data
            result = None
            from core.forms import run_service

            result = run_service(
                form,
                services.complaint_submit,
                actor=PUBLIC,
                program=self.program,
                narrative=d["narrative"],
                category=d["category"],
                facility=d["facility"],
                facility_description=d["facility_description"],
                occurred=d["occurred"],
                language=translation.get_language() or settings.LANGUAGE_CODE,
                identity=form.identity(),
                evidence=[d["evidence"]] if d.get("evidence") else [],
            )
            if result is not None:
                case, code = result
                context = self.get_context_data(
                    receipt_code=crypto.format_receipt_code(code), case=case
                )
                self.template_name = "complaints/public/receipt.html"
                return self.render_to_response(context)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class StatusView(PublicComplaintMixin, TemplateView):
    template_name = "complaints/public/status.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", forms.ReceiptCodeForm())
        return context

    def post(self, request, *args, **kwargs):
        replying = "body" in request.POST
        form_class = forms.WorkerReplyForm if replying else forms.ReceiptCodeForm
        form = form_class(request.POST, request.FILES)
        # Every attempt counts, well-formed or not, found or not.
        if not throttle.allow("lookup", self.program.slug):
            form.is_valid()
            return self.render_to_response(
                self.get_context_data(form=forms.ReceiptCodeForm(), throttled=True), status=429
            )
        code_ok = form.is_valid() or "receipt_code" not in form.errors
        code = form.cleaned_data.get("receipt_code") if code_ok else None
        if code is None:
            return self.render_to_response(
                self.get_context_data(form=forms.ReceiptCodeForm(request.POST)), status=400
            )
        case = selectors.case_for_receipt(program=self.program, code=code)
        self.receipt_code = code
        if case is None:
            # One message for every wrong code: nothing tells a guesser how close it was.
            return self.render_to_response(
                self.get_context_data(form=forms.ReceiptCodeForm(), not_found=True), status=404
            )
        reply_form = forms.WorkerReplyForm(initial={"receipt_code": code})
        if replying:
            if form.is_valid():
                from core.forms import run_service

                d = form.cleaned_data
                sent = run_service(
                    form,
                    services.message_receive,
                    case=case,
                    body=d["body"],
                    attachments=[d["attachment"]] if d.get("attachment") else [],
                )
                if sent is not None:
                    return self._thread(case, reply_form, sent=True)
            reply_form = form
            return self._thread(case, reply_form, status=400)
        return self._thread(case, reply_form)

    def _thread(self, case, reply_form, sent=False, status=200):
        context = self.get_context_data(
            case=case,
            status_text=public_status_text(case),
            outcome_text=public_outcome_text(case),
            thread=selectors.public_thread(case=case),
            reply_form=reply_form,
            sent=sent,
            from_worker=Direction.FROM_WORKER,
            closed=case.status == CaseStatus.CLOSED,
            receipt_code=self.receipt_code,
        )
        return self.render_to_response(context, status=status)
