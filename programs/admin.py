"""Django admin for the programs app.

Domain records change only through services (each writes an audit event), so most
models are read-only here: the admin is for looking things up. The exceptions go through
the services too: creating/editing a Program, inviting a member (an admin view that calls
``membership_invite``) and activating/deactivating memberships (admin actions calling
``membership_change``).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from core.admin import ReadOnlyAdmin
from core.errors import DomainError
from core.roles import Role

from . import services
from .models import (
    Agreement,
    AgreementUserObjectPermission,
    Buyer,
    Code,
    CodeVersion,
    Facility,
    Membership,
    Program,
    Provision,
    Signatory,
    SourcingRelationship,
    Supplier,
)


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "worker_organization", "sector", "country", "is_public"]
    list_filter = ["is_public", "sector", "country"]
    search_fields = ["name", "slug", "worker_organization"]

    def get_readonly_fields(self, request, obj=None):
        # The slug is in every URL and every audit chain: fixed once created.
        return ["slug", "created_at"] if obj else ["created_at"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in form.changed_data if f != "slug"}
        if change:
            services.program_update(
                actor=request.user, program=Program.objects.get(pk=obj.pk), **data
            )
        else:
            data.pop("name", None)
            data.pop("worker_organization", None)
            program = services.program_create(
                actor=request.user,
                slug=form.cleaned_data["slug"],
                name=form.cleaned_data["name"],
                worker_organization=form.cleaned_data["worker_organization"],
                **data,
            )
            obj.pk = program.pk


class InviteAdminForm(forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.all())
    email = forms.EmailField()
    first_name = forms.CharField(required=False)
    last_name = forms.CharField(required=False)
    role = forms.ChoiceField(choices=Role.choices)
    buyer = forms.ModelChoiceField(
        queryset=Buyer.objects.select_related("program").order_by("program__name", "name"),
        required=False,
        help_text="only for a buyer compliance officer; must belong to the same program",
    )
    send_email = forms.BooleanField(required=False, initial=True)

    def clean(self):
        data = super().clean()
        buyer, program = data.get("buyer"), data.get("program")
        if buyer and program and buyer.program_id != program.pk:
            self.add_error("buyer", "This buyer belongs to another program.")
        return data


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "program", "role", "buyer", "is_active", "created_at"]
    list_filter = ["program", "role", "is_active"]
    search_fields = ["user__username", "user__email", "program__name"]
    list_select_related = ["user", "program", "buyer"]
    actions = ["deactivate", "reactivate"]

    def has_change_permission(self, request, obj=None):
        return False  # role/state changes: the actions below or the workspace member page

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "invite/",
                self.admin_site.admin_view(self.invite_view),
                name="programs_membership_invite",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        # "Add membership" is an invitation.
        return redirect("admin:programs_membership_invite")

    def invite_view(self, request):
        if not self.has_add_permission(request):
            return redirect("admin:index")
        form = InviteAdminForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                membership = services.membership_invite(actor=request.user, **data)
            except (DomainError, ValidationError) as exc:
                form.add_error(None, getattr(exc, "message", None) or "; ".join(exc.messages))
            else:
                self.message_user(
                    request, f"{membership.user.email} invited to {membership.program}."
                )
                return redirect("admin:programs_membership_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Invite a member to a program",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/programs/membership/invite.html", context)

    def _change_all(self, request, queryset, is_active):
        done = 0
        for membership in queryset.select_related("program"):
            try:
                services.membership_change(
                    actor=request.user, membership=membership, is_active=is_active
                )
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{membership}: {exc.message}", messages.ERROR)
        self.message_user(request, f"{done} membership(s) updated.")

    @admin.action(description="Deactivate selected memberships")
    def deactivate(self, request, queryset):
        self._change_all(request, queryset, False)

    @admin.action(description="Reactivate selected memberships")
    def reactivate(self, request, queryset):
        self._change_all(request, queryset, True)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "invite_url": reverse("admin:programs_membership_invite"),
        }
        return super().changelist_view(request, extra_context)


@admin.register(Buyer)
class BuyerAdmin(ReadOnlyAdmin):
    list_display = ["name", "program", "headquarters_country", "website"]
    list_filter = ["program", "headquarters_country"]
    search_fields = ["name"]


@admin.register(Supplier)
class SupplierAdmin(ReadOnlyAdmin):
    list_display = ["legal_name", "program", "country", "created_at"]
    list_filter = ["program", "country"]
    search_fields = ["legal_name"]


@admin.register(Facility)
class FacilityAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "supplier",
        "program",
        "country",
        "worker_count",
        "worker_count_band",
        "product_type",
        "os_id",
        "status",
        "status_date",
    ]
    list_filter = ["program", "status", "country", "shared_building", "worker_count_band"]
    search_fields = ["name", "address", "os_id", "supplier__legal_name"]
    list_select_related = ["supplier", "program"]


@admin.register(SourcingRelationship)
class SourcingAdmin(ReadOnlyAdmin):
    list_display = ["buyer", "supplier", "program", "since", "until"]
    list_filter = ["program"]
    search_fields = ["buyer__name", "supplier__legal_name"]
    list_select_related = ["buyer", "supplier", "program"]


class SignatoryInline(admin.TabularInline):
    model = Signatory
    fields = ["party", "name", "title", "signed_on"]
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = ["title", "buyer", "program", "status", "signed_date", "effective_from"]
    list_filter = ["program", "status"]
    search_fields = ["title", "buyer__name"]
    list_select_related = ["buyer", "program"]
    exclude = ["document"]  # served only by the access-checked workspace view
    inlines = [SignatoryInline]


@admin.register(AgreementUserObjectPermission)
class AgreementShareAdmin(ReadOnlyAdmin):
    list_display = ["content_object", "user", "permission"]
    # Agreement.__str__ reads the buyer and Permission.__str__ its content type: one
    # query each per row without this (the admin joins only the first level itself).
    list_select_related = ["content_object__buyer", "user", "permission__content_type"]
    search_fields = ["user__username", "content_object__title"]


@admin.register(Code)
class CodeAdmin(ReadOnlyAdmin):
    list_display = ["name", "program"]
    list_filter = ["program"]
    search_fields = ["name"]


class ProvisionInline(admin.TabularInline):
    model = Provision
    fields = ["number", "section", "title", "category", "severity"]
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CodeVersion)
class CodeVersionAdmin(ReadOnlyAdmin):
    list_display = ["code", "number", "status", "effective_date", "ratified_by", "program"]
    list_filter = ["program", "status"]
    list_select_related = ["code", "program", "ratified_by"]
    inlines = [ProvisionInline]


@admin.register(Provision)
class ProvisionAdmin(ReadOnlyAdmin):
    list_display = ["number", "title", "severity", "category", "version", "program"]
    list_filter = ["program", "severity", "category"]
    search_fields = ["number", "title", "text"]
    list_select_related = ["version__code", "program"]
