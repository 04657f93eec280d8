"""The program (tenant), its members, its code of conduct and the parties bound by it."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from core.jsonshapes import JSONShapeValidator
from core.models import ProgramOwned
from core.roles import Role

# ISO 3166-1 alpha-2: two letters; services store them upper-case.
country_code = RegexValidator(r"^[A-Za-z]{2}$", _("Enter a two-letter ISO country code, e.g. US."))


class Program(models.Model):
    """A WSR program: the tenant. Its slug appears in every URL that touches its data."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    worker_organization = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    sector = models.CharField(max_length=80, blank=True)
    country = models.CharField(
        max_length=2, blank=True, validators=[country_code], help_text=_("ISO 3166-1 alpha-2")
    )
    # Languages the program's public pages and complaint line speak (codes from LANGUAGES).
    languages = models.JSONField(
        default=list, blank=True, validators=[JSONShapeValidator("languages")]
    )
    hotline = models.CharField(max_length=100, blank=True)
    is_public = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """The only source of access: a user's role in one program."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    buyer = models.ForeignKey(
        "Buyer", null=True, blank=True, on_delete=models.PROTECT, related_name="officers"
    )
    is_active = models.BooleanField(default=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "program"], name="membership_user_program"),
            # A buyer officer is bound to exactly one buyer; no other role has one.
            models.CheckConstraint(
                condition=(Q(role=Role.BUYER_OFFICER) & Q(buyer__isnull=False))
                | (~Q(role=Role.BUYER_OFFICER) & Q(buyer__isnull=True)),
                name="membership_buyer_iff_officer",
            ),
        ]

    def __str__(self):
        return f"{self.user} as {self.role} in {self.program}"


class Severity(models.TextChoices):
    ZERO_TOLERANCE = "zero_tolerance", _("Zero tolerance")
    MAJOR = "major", _("Major")
    MINOR = "minor", _("Minor")


class Category(models.TextChoices):
    """Plain-language categories a worker picks on the complaint form."""

    FORCED_LABOR = "forced_labor", _("Forced labor or debt")
    CHILD_LABOR = "child_labor", _("Child labor")
    VIOLENCE = "violence", _("Violence or threats")
    SEXUAL_HARASSMENT = "sexual_harassment", _("Sexual harassment or assault")
    RETALIATION = "retaliation", _("Punished for speaking up")
    WAGES = "wages", _("Pay and wages")
    HOURS = "hours", _("Hours, rest and breaks")
    HEALTH_SAFETY = "health_safety", _("Health and safety")
    HOUSING = "housing", _("Housing")
    DISCRIMINATION = "discrimination", _("Discrimination")
    ASSOCIATION = "association", _("Freedom to organize")
    PREMIUM = "premium", _("Premium pass-through")
    OTHER = "other", _("Something else")


class Code(ProgramOwned):
    """The worker-written code of conduct. Its text lives in versions."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="code_program_name")
        ]

    def __str__(self):
        return self.name


class CodeVersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RATIFIED = "ratified", _("Ratified")
    SUPERSEDED = "superseded", _("Superseded")


# Legal status changes of a code version; the service refuses any other.
CODE_VERSION_TRANSITIONS = {
    CodeVersionStatus.DRAFT: {CodeVersionStatus.RATIFIED},
    CodeVersionStatus.RATIFIED: {CodeVersionStatus.SUPERSEDED},
    CodeVersionStatus.SUPERSEDED: set(),
}


class CodeVersion(ProgramOwned):
    code = models.ForeignKey(Code, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=20, choices=CodeVersionStatus.choices, default=CodeVersionStatus.DRAFT
    )
    effective_date = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    ratified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ratified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["code", "number"], name="codeversion_code_number"),
            # At most one draft per code at a time.
            models.UniqueConstraint(
                fields=["code"], condition=Q(status="draft"), name="codeversion_one_draft"
            ),
        ]

    def __str__(self):
        return f"{self.code} v{self.number} ({self.status})"

    @property
    def is_editable(self):
        return self.status == CodeVersionStatus.DRAFT


class Provision(ProgramOwned):
    version = models.ForeignKey(CodeVersion, on_delete=models.CASCADE, related_name="provisions")
    number = models.CharField(max_length=20, help_text=_("e.g. 3.2"))
    section = models.CharField(
        max_length=120, help_text=_("the code section, e.g. Health and safety")
    )
    title = models.CharField(max_length=200)
    text = models.TextField()
    category = models.CharField(max_length=30, choices=Category.choices, default=Category.OTHER)
    severity = models.CharField(max_length=20, choices=Severity.choices, default=Severity.MAJOR)
    # {"es": {"title": "...", "text": "..."}, "ht": {...}}
    translations = models.JSONField(
        default=dict, blank=True, validators=[JSONShapeValidator("translations")]
    )

    class Meta:
        ordering = ["version_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["version", "number"], name="provision_version_number")
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def title_in(self, language):
        return self.translations.get(language, {}).get("title") or self.title

    def text_in(self, language):
        return self.translations.get(language, {}).get("text") or self.text


class Buyer(ProgramOwned):
    """A company at the top of the supply chain that signs a binding agreement."""

    name = models.CharField(max_length=200)
    headquarters_country = models.CharField(
        max_length=2, validators=[country_code], help_text=_("ISO 3166-1 alpha-2")
    )
    website = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="buyer_program_name")
        ]

    def __str__(self):
        return self.name


class Supplier(ProgramOwned):
    legal_name = models.CharField(max_length=200)
    country = models.CharField(
        max_length=2, validators=[country_code], help_text=_("ISO 3166-1 alpha-2")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["legal_name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "legal_name"], name="supplier_program_name")
        ]

    def __str__(self):
        return self.legal_name


class FacilityStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")
    CLOSED = "closed", _("Closed")
    MOVED = "moved", _("Moved")


# The worker-count bands the Transparency Pledge and Open Supply Hub publish when a
# brand discloses a range instead of a count.
class WorkerCountBand(models.TextChoices):
    UNDER_1000 = "1-1000", _("Less than 1,000")
    FROM_1001 = "1001-5000", _("1,001 to 5,000")
    FROM_5001 = "5001-10000", _("5,001 to 10,000")
    OVER_10000 = "10001+", _("More than 10,000")

    @classmethod
    def for_count(cls, count):
        """The band a known worker count falls in ("" when the count is unknown)."""
        if not count:
            return ""
        for band, upper in ((cls.UNDER_1000, 1000), (cls.FROM_1001, 5000), (cls.FROM_5001, 10000)):
            if count <= upper:
                return band.value
        return cls.OVER_10000.value


class Facility(ProgramOwned):
    """A farm, factory or site where the code applies."""

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="facilities")
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300)
    country = models.CharField(
        max_length=2, validators=[country_code], help_text=_("ISO 3166-1 alpha-2")
    )
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    worker_count = models.PositiveIntegerField(default=0)
    os_id = models.CharField(
        "Open Supply Hub ID", max_length=32, blank=True, help_text=_("e.g. US2021123ABCDEF")
    )
    status = models.CharField(
        max_length=20, choices=FacilityStatus.choices, default=FacilityStatus.ACTIVE
    )
    # When the facility closed or moved (the Accord and OS Hub publish both with a date).
    status_date = models.DateField(
        null=True, blank=True, help_text=_("the date it closed or moved")
    )
    # What real programs publish about the site (Accord: storeys and shared building;
    # Transparency Pledge: product type and a worker-count band).
    storeys = models.PositiveSmallIntegerField("number of storeys", null=True, blank=True)
    shared_building = models.BooleanField(
        null=True, blank=True, help_text=_("other factories in the same building")
    )
    product_type = models.CharField(
        max_length=200, blank=True, help_text=_("e.g. Apparel, Tomatoes, Dairy")
    )
    worker_count_band = models.CharField(
        max_length=20,
        choices=WorkerCountBand.choices,
        blank=True,
        help_text=_("when only a range is known; otherwise derived from the worker count"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "facilities"
        constraints = [
            # Only a closed or moved facility has a status date. (That closed and moved
            # carry one is checked in clean(): rows closed before the field existed have
            # no date to give.)
            models.CheckConstraint(
                condition=Q(status_date__isnull=True) | Q(status__in=["closed", "moved"]),
                name="facility_status_date_only_closed_or_moved",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="facility_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="facility_longitude_range",
            ),
        ]
        indexes = [models.Index(fields=["program", "supplier"])]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        dated = self.status in (FacilityStatus.CLOSED, FacilityStatus.MOVED)
        if dated and self.status_date is None:
            raise ValidationError({"status_date": _("Give the date the facility closed or moved.")})
        if not dated and self.status_date is not None:
            raise ValidationError(
                {"status_date": _("Only a closed or moved facility has a status date.")}
            )

    @property
    def worker_band(self):
        """The band to publish: the one recorded, else the count's."""
        return self.worker_count_band or WorkerCountBand.for_count(self.worker_count)


class SourcingRelationship(ProgramOwned):
    """A buyer buys from a supplier, from ``since`` until ``until`` (open = ongoing)."""

    buyer = models.ForeignKey(Buyer, on_delete=models.PROTECT, related_name="sourcing")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="sourcing")
    since = models.DateField()
    until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-since"]
        constraints = [
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("since")),
                name="sourcing_until_after_since",
            ),
        ]
        indexes = [models.Index(fields=["program", "supplier", "until"])]

    def __str__(self):
        return f"{self.buyer} ← {self.supplier}"


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")


AGREEMENT_TRANSITIONS = {
    AgreementStatus.DRAFT: {AgreementStatus.ACTIVE, AgreementStatus.TERMINATED},
    AgreementStatus.ACTIVE: {AgreementStatus.EXPIRED, AgreementStatus.TERMINATED},
    AgreementStatus.EXPIRED: set(),
    AgreementStatus.TERMINATED: set(),
}


def agreement_document_path(instance, filename):
    return f"agreements/{instance.program_id}/{instance.buyer_id}/{filename}"


class Agreement(ProgramOwned):
    """A buyer's binding agreement with the worker organization."""

    buyer = models.ForeignKey(Buyer, on_delete=models.PROTECT, related_name="agreements")
    title = models.CharField(max_length=200)
    signed_date = models.DateField(null=True, blank=True)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT
    )
    premium_rate = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    premium_currency = models.CharField(max_length=3, default="USD")
    premium_unit = models.CharField(max_length=20, default="lb", help_text=_("e.g. lb, kg, unit"))
    consequence_clause = models.TextField(
        help_text=_("the consequences the buyer is bound to apply after a confirmed violation")
    )
    document = models.FileField(upload_to=agreement_document_path, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="agreement_dates_ordered",
            ),
            models.CheckConstraint(condition=Q(premium_rate__gte=0), name="agreement_rate_nonneg"),
        ]
        indexes = [models.Index(fields=["program", "buyer", "status"])]

    def __str__(self):
        return f"{self.buyer}: {self.title}"

    @property
    def premium_display(self):
        """'0.01 USD/lb': the rate without the column's trailing zeros."""
        rate = format(self.premium_rate.normalize(), "f") if self.premium_rate is not None else "0"
        return f"{rate} {self.premium_currency}/{self.premium_unit}"


class Signatory(ProgramOwned):
    class Party(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        WORKER_ORGANIZATION = "worker_organization", _("Worker organization")

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="signatories")
    party = models.CharField(max_length=30, choices=Party.choices)
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=200, blank=True)
    signed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["party", "name"]

    def __str__(self):
        return f"{self.name} ({self.party})"


# ---------------------------------------------------------------- per-object grants
# django-guardian with direct foreign keys (one join, a real FK constraint, and rows that
# disappear with the agreement). The first grant: sharing an agreement — typically a
# draft under negotiation — with a member whose role would not otherwise show it.


class AgreementUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Agreement, on_delete=models.CASCADE)


class AgreementGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Agreement, on_delete=models.CASCADE)
