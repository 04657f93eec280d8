"""Reads of the public side. Everything returned here has passed through the masking
policy (``disclosure.policy.POLICY``) or is a queryset whose rows the views hand to it.

Other apps publish their figures through selectors of their own; they are imported
inside functions so that this page keeps working (showing "not yet published") while an
app, or one of its functions, does not exist.
"""

import datetime
import hashlib
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext, pgettext

from audits import selectors as audits_selectors
from complaints import selectors as complaints_selectors
from core.models import REGISTER_EXCLUDED_PREFIX, AuditEvent
from enforcement import selectors as enforcement_selectors
from premiums import selectors as premiums_selectors
from programs import selectors as program_selectors
from programs.models import Agreement, Facility, SourcingRelationship, Supplier

from .policy import POLICY, PUBLIC_AGREEMENT_STATUSES, STANDING_LABELS, UNPUBLISHED

# Cached entries are keyed by the data version, so they never need deleting; the
# timeout only bounds how long unused versions linger in Redis.
CACHE_TIMEOUT = 6 * 3600


# ---------------------------------------------------------------- program and version


def public_program(slug):
    """The program with this slug if its pages are public; 404 otherwise."""
    program = program_selectors.program_public_list().filter(slug=slug).first()
    if program is None:
        raise Http404
    return program


class DataVersion:
    """Identifies the state of a program's public data.

    Two parts, because they change at very different rates:

    - ``seq``, the register: the seq of the program's latest audit event that is not
      about a complaint case. Every write goes through a service that appends an event
      in the same transaction, so it moves exactly when the buyers, suppliers, code,
      standings, CAPs or education figures may have changed, and a change shows at
      once. One query on a partial index (program, seq) whatever the program's size.
    - ``mark``, the complaint figures: the program's latest event of any kind, read at
      most once per ``DISCLOSURE_FIGURES_MAX_AGE`` seconds (memoised in the cache).
      Intake appends an event per submission; if the figures moved with each one, no
      cached page would survive a busy hour. So the complaint counts and the public
      complaint log lag by at most that many seconds, and the page says so.

    Some figures also move with the calendar alone (the last twelve months of
    complaints, the CAP series ending today), so keys and validators carry the date: at
    worst a figure is recomputed once a day without a write.
    """

    def __init__(self, seq, at, day=None, mark=None):
        self.seq = seq
        self.mark = seq if mark is None else max(mark, seq)
        self.day = day or timezone.localdate()
        midnight = timezone.make_aware(datetime.datetime.combine(self.day, datetime.time.min))
        self.at = max(at, midnight) if at else midnight

    @property
    def key(self):
        """The register's version: open data files and supplier pages."""
        return f"{self.seq}-{self.day:%Y%m%d}"

    @property
    def figures_key(self):
        """The version of anything that shows complaint figures as well (statistics,
        the program page, the report)."""
        return f"{self.key}-{self.mark}"

    @property
    def order(self):
        """Comparable: a later version of the figures sorts after an earlier one."""
        return (self.seq, self.day.toordinal(), self.mark)

    def __str__(self):
        return self.key

    @property
    def etag_base(self):
        return f"v{self.key}"


def _latest_event(queryset):
    return queryset.order_by("-seq").values_list("seq", "created_at").first()


def _figures_mark(program):
    """The program's latest audit seq, looked up at most once per max age."""
    max_age = settings.DISCLOSURE_FIGURES_MAX_AGE

    def latest():
        row = _latest_event(AuditEvent.objects.filter(program=program))
        return row[0] if row else 0

    if max_age <= 0:
        return latest()
    return cache.get_or_set(f"disclosure:{program.pk}:figures-mark", latest, max_age)


def data_version(program):
    events = AuditEvent.objects.filter(program=program)
    row = _latest_event(events.exclude(object_type__startswith=REGISTER_EXCLUDED_PREFIX))
    mark = _figures_mark(program)
    if row is None:
        return DataVersion(0, program.created_at, mark=mark)
    return DataVersion(*row, mark=mark)


def _release():
    """A digest of what the public pages are made from besides the data: templates,
    compiled translations and this app's code. Part of every cache key, so a deploy
    that changes a text or a template is not hidden behind pages cached before it
    (they are keyed by data version and would otherwise stand for hours)."""
    base = Path(settings.BASE_DIR)
    digest = hashlib.sha256()
    sources = [
        *sorted((base / "templates").rglob("*.html")),
        *sorted((base / "locale").rglob("*.mo")),
        *sorted(Path(__file__).parent.glob("*.py")),
    ]
    for path in sources:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


RELEASE = _release()


def cache_key(program, version, *parts):
    return ":".join(["disclosure", RELEASE, str(program.pk), str(version), *map(str, parts)])


def cached(program, version, name, compute):
    key = cache_key(program, version, name)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_TIMEOUT)
    return value


# ---------------------------------------------------------------- code


def public_code(*, program, language):
    """The ratified code's provisions in ``language`` (English where not translated)."""
    version = program_selectors.current_ratified_version(program=program)
    if version is None:
        return None
    provisions = program_selectors.provision_list(program=program, version=version)
    sections = []
    for provision in provisions:
        record = POLICY.provision(provision, language)
        if not sections or sections[-1]["section"] != record["section"]:
            sections.append({"section": record["section"], "provisions": []})
        sections[-1]["provisions"].append(record)
    return {
        "number": version.number,
        "effective_date": version.effective_date,
        "sections": sections,
    }


# ---------------------------------------------------------------- parties


def _today():
    return timezone.localdate()


def public_buyers(*, program):
    """Buyers with a signed (non-draft) agreement, with the start of their first one."""
    agreements = program_selectors.agreement_list(program=program).filter(
        buyer=OuterRef("pk"), status__in=PUBLIC_AGREEMENT_STATUSES
    )
    first_start = (
        agreements.order_by().values("buyer").annotate(start=Min("effective_from")).values("start")
    )
    return (
        program_selectors.buyer_list(program=program)
        .annotate(
            agreement_since=Subquery(first_start),
            has_active=Exists(agreements.filter(status="active")),
            latest_status=Subquery(
                agreements.order_by("-effective_from", "-pk").values("status")[:1]
            ),
        )
        .filter(agreement_since__isnull=False)
        .order_by("name", "pk")
    )


def buyer_record(buyer):
    """A row of ``public_buyers`` as a public record."""
    buyer.agreement_status = "active" if buyer.has_active else buyer.latest_status
    return POLICY.buyer(buyer)


def buyer_records(*, program):
    for buyer in public_buyers(program=program).iterator(chunk_size=500):
        yield buyer_record(buyer)


def _active_buyer_count():
    today = _today()
    active = (
        SourcingRelationship.objects.filter(
            program=OuterRef("program"), supplier=OuterRef("pk"), since__lte=today
        )
        .filter(Q(until__isnull=True) | Q(until__gte=today))
        .filter(
            # By buyer only: the relationship row is already this program's, and so is its
            # buyer. With the program in the condition too, PostgreSQL scanned every
            # agreement of the program for each relationship (6.9 s for the CSV's query at
            # 20,000 facilities; 1.3 s without).
            Exists(Agreement.objects.filter(buyer=OuterRef("buyer"), status="active"))
        )
        .order_by()
        .values("supplier")
        .annotate(n=Count("buyer", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(active), 0)


def supplier_standings(*, program, version=None):
    """{supplier_id: raw standing} from enforcement; computed once per data version
    (it has a row per supplier)."""
    version = version or data_version(program)
    return cached(
        program,
        version,
        "standings",
        lambda: enforcement_selectors.supplier_standings(program=program),
    )


def cap_by_facility(*, program, version=None):
    """{facility_id: rate} from audits; computed once per data version."""
    version = version or data_version(program)
    return cached(
        program,
        version,
        "caps",
        lambda: audits_selectors.cap_progress_by_facility(program=program),
    )


def standing_choices(*, standings):
    """Every standing of the vocabulary, then any other one enforcement reports."""
    if standings is UNPUBLISHED:
        return []
    present = {POLICY.standing(raw)["standing"] for raw in standings.values()}
    return list(STANDING_LABELS) + sorted(present - set(STANDING_LABELS))


def public_suppliers(
    *, program, search=None, country=None, standing=None, stage=None, standings=None
):
    """Suppliers with their facilities prefetched, filtered like the public page's form.
    ``standings`` comes from ``supplier_standings`` (passed in so the caller fetches it
    once). Make records of a page of them with ``supplier_page_records``, which adds the
    count of buyers sourcing from each."""
    facilities = program_selectors.facility_list(program=program).order_by("name", "pk")
    # Not programs' supplier_list: its facility count groups every facility of the
    # program before the page can be cut (and the page does not show that count).
    qs = Supplier.objects.filter(program=program).prefetch_related(
        Prefetch("facilities", queryset=facilities)
    )
    qs = _filter_suppliers(
        qs,
        program=program,
        search=search,
        country=country,
        standing=standing,
        stage=stage,
        standings=standings,
    )
    return qs.order_by("legal_name", "pk")


def _filter_suppliers(qs, *, program, search, country, standing, stage, standings):
    if search:
        match = program_selectors.facility_list(program=program, search=search)
        qs = qs.filter(Q(legal_name__icontains=search) | Q(pk__in=match.values("supplier_id")))
    if country:
        country = country.upper()
        in_country = program_selectors.facility_list(program=program, country=country)
        qs = qs.filter(Q(country=country) | Q(pk__in=in_country.values("supplier_id")))
    if standings is not UNPUBLISHED and (standing or stage not in (None, "")):
        standings = standings or {}
        wanted = {
            sid
            for sid, raw in standings.items()
            if (not standing or POLICY.standing(raw)["standing"] == standing)
            and (stage in (None, "") or str(POLICY.standing(raw)["escalation_stage"]) == stage)
        }
        # Suppliers enforcement has no entry for are in good standing at stage 0.
        default = POLICY.standing(None)
        if (not standing or standing == default["standing"]) and (
            stage in (None, "") or stage == str(default["escalation_stage"])
        ):
            qs = qs.filter(Q(pk__in=wanted) | ~Q(pk__in=list(standings)))
        else:
            qs = qs.filter(pk__in=wanted)
    return qs


def supplier_page_records(suppliers, *, standings, caps):
    """Public records of a page of ``public_suppliers``, with their buyer counts.

    The counts come in one query for the page's suppliers: as an annotation of the
    paginated query, PostgreSQL computed them for every row before the OFFSET (page 100
    of 400 counted the buyers of 2,500 suppliers to show 25)."""
    suppliers = list(suppliers)
    if suppliers:
        today = _today()
        counts = dict(
            SourcingRelationship.objects.filter(
                program_id=suppliers[0].program_id,
                supplier_id__in=[s.pk for s in suppliers],
                since__lte=today,
            )
            .filter(Q(until__isnull=True) | Q(until__gte=today))
            .filter(Exists(Agreement.objects.filter(buyer=OuterRef("buyer"), status="active")))
            .order_by()
            .values("supplier")
            .annotate(n=Count("buyer", distinct=True))
            .values_list("supplier", "n")
        )
        for supplier in suppliers:
            supplier.buyer_count = counts.get(supplier.pk, 0)
    return [supplier_record(s, standings=standings, caps=caps) for s in suppliers]


def supplier_record(supplier, *, standings, caps):
    standing = UNPUBLISHED if standings is UNPUBLISHED else standings.get(supplier.pk)
    return POLICY.supplier(
        supplier,
        standing=standing,
        caps=None if caps is UNPUBLISHED else caps,
        facilities=supplier.facilities.all(),
    )


# What the policy reads of a supplier and a facility: the streams fetch only these.
_SUPPLIER_COLUMNS = ("pk", "legal_name", "country", "buyer_count")
_FACILITY_COLUMNS = (
    "pk",
    "supplier_id",
    "name",
    "address",
    "country",
    "latitude",
    "longitude",
    "worker_count",
    "os_id",
    "status",
    "status_date",
    "worker_count_band",
    "product_type",
    "storeys",
    "shared_building",
)


class _Row:
    """A values() row read by attribute, as the policy reads a model instance."""

    def __init__(self, values):
        self.__dict__ = values


def supplier_records(*, program, chunk_size=500, version=None, **filters):
    """Every supplier as a public record, streamed: memory stays flat in the rows.

    Two queries read in chunks through server-side cursors (suppliers, and their
    facilities in the same order), merged as they come, with plain rows rather than
    model instances and without the per-chunk prefetch queries: 20,000 facilities in
    about a third of the time. The records equal ``supplier_page_records`` of
    ``public_suppliers`` (tested)."""
    version = version or data_version(program)
    standings = supplier_standings(program=program, version=version)
    caps = cap_by_facility(program=program, version=version)
    suppliers = _filter_suppliers(
        Supplier.objects.filter(program=program).annotate(buyer_count=_active_buyer_count()),
        program=program,
        standings=standings,
        **{name: filters.get(name) for name in ("search", "country", "standing", "stage")},
    ).order_by("legal_name", "pk")
    facilities = (
        Facility.objects.filter(program=program, supplier__in=suppliers.values("pk"))
        # The suppliers' order, then the page's order of facilities within a supplier:
        # the same collation sorts both streams, so they line up one supplier at a time.
        .order_by("supplier__legal_name", "supplier_id", "name", "pk")
        .values(*_FACILITY_COLUMNS)
        .iterator(chunk_size=chunk_size)
    )
    pending = next(facilities, None)
    for row in suppliers.values(*_SUPPLIER_COLUMNS).iterator(chunk_size=chunk_size):
        own = []
        while pending is not None and pending["supplier_id"] == row["pk"]:
            own.append(_Row(pending))
            pending = next(facilities, None)
        supplier = _Row(row)
        yield POLICY.supplier(
            supplier,
            standing=UNPUBLISHED if standings is UNPUBLISHED else standings.get(row["pk"]),
            caps=None if caps is UNPUBLISHED else caps,
            facilities=own,
        )
    if pending is not None:
        # Only if the two orders ever disagreed: fail loudly rather than drop rows.
        raise RuntimeError("facility stream out of step with the supplier stream")


def facility_records(*, program, chunk_size=500, version=None, **filters):
    for record in supplier_records(
        program=program, chunk_size=chunk_size, version=version, **filters
    ):
        yield from POLICY.facility_rows(record)


def country_choices(*, program):
    countries = set(
        program_selectors.facility_list(program=program)
        .order_by()
        .values_list("country", flat=True)
        .distinct()
    )
    countries |= set(
        program_selectors.supplier_list(program=program)
        .order_by()
        .values_list("country", flat=True)
        .distinct()
    )
    return sorted(c for c in countries if c)


# ---------------------------------------------------------------- statistics


def _counts(program):
    facilities = program_selectors.facility_list(program=program).aggregate(
        n=Count("pk"), workers=Coalesce(Sum("worker_count"), 0)
    )
    return {
        "buyers": public_buyers(program=program).count(),
        "suppliers": program_selectors.supplier_list(program=program).count(),
        "facilities": facilities["n"],
        "workers": facilities["workers"],
    }


def _or_none(value):
    return None if value is UNPUBLISHED else value


def _compute_statistics(program):
    complaints = complaints_selectors.public_complaint_stats(program=program)
    enforcement = {
        **enforcement_selectors.public_enforcement_stats(program=program),
        **premiums_selectors.public_premium_stats(program=program),
    }
    cap = audits_selectors.cap_progress_series(program=program, points=12)
    education = audits_selectors.education_reach(program=program)
    log = _complaint_log(program, limit=COMPLAINT_LOG_LIMIT)
    return {
        "counts": _counts(program),
        "complaints": POLICY.complaint_stats(_or_none(complaints)),
        "enforcement": POLICY.enforcement_stats(_or_none(enforcement)),
        "cap_series": POLICY.cap_series(_or_none(cap)),
        "education": POLICY.education(_or_none(education)),
        "complaint_log": POLICY.complaint_log(
            _or_none(log), threshold=(_or_none(complaints) or {}).get("suppress_below")
        ),
        "generated_at": timezone.now().isoformat(),
    }


COMPLAINT_LOG_LIMIT = 50


def _complaint_log(program, *, limit):
    """The newest ``limit`` entries of the public complaint log."""
    return list(complaints_selectors.public_complaint_log(program=program, limit=limit))


def public_statistics(*, program, version=None):
    """Every public figure of the program, computed once per version of the figures.

    The cached figures are shared by every language, so they hold codes only; the labels
    are put back here, in the language of the request (issue 17.2: labels cached in the
    language of the first visitor were shown to everyone after)."""
    version = version or data_version(program)
    stats = cached(
        program, version.figures_key, "stats", lambda: _without_labels(_compute_statistics(program))
    )
    return _labelled(stats)


def _without_labels(stats):
    enforcement = stats.get("enforcement")
    if enforcement:
        for row in enforcement["violations_by_category"]:
            row["label"] = None
    for row in stats.get("complaint_log") or []:
        for name in ("category", "status", "outcome"):
            row[f"{name}_label"] = None
    return stats


def _labelled(stats):
    """A copy of ``stats`` with each code's label in the active language."""
    from disclosure.policy import _category_label, _choice, _complaint_vocabulary
    from programs.models import Category

    stats = dict(stats)
    enforcement = stats.get("enforcement")
    if enforcement:
        stats["enforcement"] = dict(
            enforcement,
            violations_by_category=[
                dict(row, label=_category_label(row["category"]))
                for row in enforcement["violations_by_category"]
            ],
        )
    if stats.get("complaint_log"):
        statuses, _open, outcomes = _complaint_vocabulary()
        vocabulary = {"category": Category, "status": statuses, "outcome": outcomes}
        stats["complaint_log"] = [
            dict(
                row,
                **{
                    f"{name}_label": _choice(row.get(name), choices)[1]
                    for name, choices in vocabulary.items()
                },
            )
            for row in stats["complaint_log"]
        ]
    return stats


def chart_data(stats):
    """What the charts draw (the same numbers as the tables beside them)."""
    data = {}
    complaints = stats.get("complaints")
    if complaints and complaints["monthly"]:
        data["complaints"] = {
            "labels": [row["month"] for row in complaints["monthly"]],
            "series": [
                {
                    "label": pgettext("number of complaints received", "Received"),
                    "data": [r["received"] for r in complaints["monthly"]],
                },
                {
                    "label": pgettext("number of complaints resolved", "Resolved"),
                    "data": [r["resolved"] for r in complaints["monthly"]],
                },
            ],
            "type": "bar",
            "integer": True,
        }
    enforcement = stats.get("enforcement")
    if enforcement and enforcement["violations_by_category"]:
        rows = enforcement["violations_by_category"]
        data["violations"] = {
            "labels": [r["label"] for r in rows],
            "series": [
                {"label": gettext("Confirmed violations"), "data": [r["count"] for r in rows]}
            ],
            "type": "bar",
            "integer": True,
        }
    if stats.get("cap_series"):
        rows = stats["cap_series"]
        data["cap"] = {
            "labels": [r["date"] for r in rows],
            "series": [
                {
                    "label": gettext("Corrective actions fixed (%)"),
                    "data": [r["rate"] * 100 for r in rows],
                }
            ],
            "type": "line",
        }
    if stats.get("education"):
        rows = stats["education"]
        data["education"] = {
            "labels": [r["season"] for r in rows],
            "series": [
                {"label": gettext("Workers reached"), "data": [r["workers_reached"] for r in rows]}
            ],
            "type": "bar",
            "integer": True,
        }
    return data
