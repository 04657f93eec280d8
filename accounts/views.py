"""Account pages: second factors (set up, verify, recovery codes), API tokens and
sessions. They live under /accounts/, outside any program: the credentials are the
user's, and so is the choice to end a session."""

import base64
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.views import CompleteCredentialRegistrationView

from core.errors import DomainError
from core.mfa import has_second_factor, mfa_required
from core.tenancy import get_or_404

from . import services
from .models import ApiToken, UserSession


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


def _safe_next(request, default="/p/"):
    nxt = request.POST.get("next") or request.GET.get("next") or default
    if not url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return default
    return nxt


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


# ---------------------------------------------------------------- second factors


class MfaOverviewView(LoginRequiredMixin, TemplateView):
    """The user's second factors; where a user who must enrol is sent first."""

    template_name = "accounts/mfa_overview.html"

    def get_context_data(self, **kwargs):
        from django_otp.plugins.otp_static.models import StaticToken

        user = self.request.user
        context = super().get_context_data(**kwargs)
        context["required"] = mfa_required(user)
        context["totp_devices"] = TOTPDevice.objects.filter(user=user, confirmed=True)
        context["passkeys"] = WebAuthnCredential.objects.filter(user=user, confirmed=True)
        context["recovery_left"] = StaticToken.objects.filter(device__user=user).count()
        context["enrolled"] = has_second_factor(user)
        context["next"] = _safe_next(self.request, "")
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        if action == "recovery":
            codes = services.recovery_codes_regenerate(actor=request.user)
            return _no_store(self.render_to_response(self.get_context_data(new_codes=codes)))
        if action in ("remove_totp", "remove_passkey"):
            model = TOTPDevice if action == "remove_totp" else WebAuthnCredential
            device = get_or_404(
                model.objects.all(), pk=request.POST.get("device"), user=request.user
            )
            services.mfa_device_remove(actor=request.user, device=device)
            messages.success(request, "The second factor was removed.")
        else:
            # A button this page does not have: say so rather than redirect in silence.
            messages.error(request, "Nothing was changed: choose one of the page's buttons.")
        return redirect("accounts:mfa")


class TotpSetupView(LoginRequiredMixin, TemplateView):
    """Add an authenticator app. POST action=start makes the secret (accounts.services.
    totp_setup_begin, audited); GET shows the pending one (QR code and text), or the
    button that starts; POST with a code confirms. A GET changes nothing."""

    template_name = "accounts/totp_setup.html"

    def get_context_data(self, **kwargs):
        import segno

        context = super().get_context_data(**kwargs)
        context["next"] = _safe_next(self.request, "")
        device = kwargs.get("device") or services.pending_totp_device(self.request.user)
        if device is None:
            return context
        secret = base64.b32encode(device.bin_key).decode()
        label = quote(f"WSR Platform:{self.request.user.get_username()}")
        uri = f"otpauth://totp/{label}?secret={secret}&issuer=WSR%20Platform&digits={device.digits}&period={device.step}"
        context["secret"] = secret
        context["qr_svg"] = segno.make(uri, error="m").svg_inline(scale=4)
        context["form"] = kwargs.get("form") or CodeForm()
        return context

    def get(self, request, *args, **kwargs):
        return _no_store(super().get(request, *args, **kwargs))

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") == "start":
            services.totp_setup_begin(actor=request.user)
            nxt = _safe_next(request, "")
            return redirect(reverse("accounts:totp_setup") + (f"?next={quote(nxt)}" if nxt else ""))
        device = services.pending_totp_device(request.user)
        if device is None:  # confirmed in another tab, or never started
            return redirect("accounts:totp_setup")
        form = CodeForm(request.POST)
        if form.is_valid():
            try:
                device, codes = services.totp_confirm(
                    actor=request.user, device=device, token=form.cleaned_data["code"]
                )
            except DomainError as exc:
                form.add_error("code", exc.message)
            else:
                otp_login(request, device)
                context = {"new_codes": codes, "next": _safe_next(request)}
                return _no_store(
                    self.response_class(
                        request=request,
                        template="accounts/totp_done.html",
                        context=context,
                        using=self.template_engine,
                    )
                )
        return _no_store(self.render_to_response(self.get_context_data(form=form, device=device)))


class PasskeySetupView(LoginRequiredMixin, TemplateView):
    """Add a passkey or security key (WebAuthn, through django-otp-webauthn's scripts)."""

    template_name = "accounts/passkey_setup.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["next"] = _safe_next(self.request, reverse("accounts:mfa"))
        return context


class AuditedCredentialRegistrationView(CompleteCredentialRegistrationView):
    """django-otp-webauthn's registration, recorded on the platform audit chain."""

    def post(self, *args, **kwargs):
        with transaction.atomic():
            response = super().post(*args, **kwargs)
            if response.status_code == 200:
                services.mfa_device_recorded(actor=self.request.user, kind="passkey")
        return response


class MfaVerifyView(LoginRequiredMixin, TemplateView):
    """The second step of logging in: a code from the authenticator app, a recovery code
    or a passkey."""

    template_name = "accounts/mfa_verify.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not has_second_factor(request.user):
            return redirect(f"{reverse('accounts:mfa_setup')}?next={quote(_safe_next(request))}")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = kwargs.get("form") or CodeForm()
        context["next"] = _safe_next(self.request)
        context["has_passkey"] = WebAuthnCredential.objects.filter(
            user=self.request.user, confirmed=True
        ).exists()
        return context

    def get(self, request, *args, **kwargs):
        return _no_store(super().get(request, *args, **kwargs))

    def post(self, request, *args, **kwargs):
        form = CodeForm(request.POST)
        if form.is_valid():
            code = form.cleaned_data["code"].strip().replace(" ", "")
            # match_token tries the user's TOTP devices and recovery codes; django-otp
            # throttles each device after failures and burns a recovery code on use.
            device = match_token(request.user, code)
            if device is not None:
                otp_login(request, device)
                return redirect(_safe_next(request))
            form.add_error("code", "That code is not right.")
        return _no_store(self.render_to_response(self.get_context_data(form=form)))


class MfaSetupView(MfaOverviewView):
    """Where a member who must use a second factor and has none is sent."""

    template_name = "accounts/mfa_setup.html"

    def post(self, request, *args, **kwargs):
        raise Http404


# ---------------------------------------------------------------- API tokens


class TokenForm(forms.Form):
    name = forms.CharField(label="Name (what or who will use it)", max_length=100)
    days = forms.TypedChoiceField(
        label="Expires after",
        coerce=int,
        initial=services.TOKEN_DEFAULT_DAYS,
        choices=[(7, "7 days"), (30, "30 days"), (90, "90 days"), (365, "1 year")],
    )


class ApiTokensView(LoginRequiredMixin, TemplateView):
    """The user's named API tokens: create (the secret is shown once), list, revoke."""

    template_name = "accounts/api_tokens.html"

    def get_context_data(self, **kwargs):
        from django.utils import timezone

        context = super().get_context_data(**kwargs)
        context["tokens"] = ApiToken.objects.filter(user=self.request.user)
        context["now"] = timezone.now()
        context["form"] = kwargs.get("form") or TokenForm()
        return context

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") == "revoke":
            token = get_or_404(
                ApiToken.objects.all(), pk=request.POST.get("token"), user=request.user
            )
            services.api_token_revoke(actor=request.user, token=token)
            messages.success(request, f"Token “{token.name}” revoked.")
            return redirect("accounts:api_tokens")
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                token, secret = services.api_token_create(
                    actor=request.user, user=request.user, **form.cleaned_data
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                # Shown in this response only; never in a message or the session.
                return _no_store(
                    self.render_to_response(self.get_context_data(new_token=token, secret=secret))
                )
        return self.render_to_response(self.get_context_data(form=form))


# ---------------------------------------------------------------- sessions


class SessionsView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/sessions.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sessions"] = services.sessions_of(self.request.user)
        context["current_key"] = self.request.session.session_key
        return context

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") == "end_others":
            count = services.sessions_end_all(
                actor=request.user, user=request.user, keep_key=request.session.session_key
            )
            messages.success(request, f"{count} other session(s) ended.")
            return redirect("accounts:sessions")
        session = get_or_404(
            UserSession.objects.all(), pk=request.POST.get("session"), user=request.user
        )
        current = session.session_key == request.session.session_key
        services.session_end(actor=request.user, session=session)
        if current:
            return redirect("login")
        messages.success(request, "The session was ended.")
        return redirect("accounts:sessions")


class MemberSessionsEndView(View):
    """An admin of the program ends every session of one of its members (a lost laptop,
    a member leaving)."""

    def post(self, request, program, pk):
        from django.core.exceptions import PermissionDenied

        from core.authz import can
        from core.tenancy import resolve_membership
        from programs.models import Membership

        if not request.user.is_authenticated:
            return redirect(f"{reverse('login')}?next={quote(request.path)}")
        program_obj, membership = resolve_membership(request.user, program)
        if not can(request.user, program_obj, "member.sessions_end", membership=membership):
            raise PermissionDenied
        member = get_object_or_404(Membership, pk=pk, program=program_obj)
        count = services.sessions_end_all(actor=request.user, user=member.user, program=program_obj)
        messages.success(request, f"{count} session(s) of {member.user.get_username()} ended.")
        return redirect("programs:member_list", program=program_obj.slug)
