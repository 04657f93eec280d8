"""The public program report (PDF): rendered by a Celery job, kept until the data changes.

The PDF is stored in the cache (Redis) with the version of the figures it shows
(``DataVersion.figures_key``: the register and the complaint figures), and the latest
rendering is kept so a visitor gets the previous report while the new one renders. A render is enqueued at most once per version (``cache.add``
is atomic in Redis); the task itself is idempotent: it does nothing if the version it
would produce is already stored.
"""

import datetime
from collections import Counter

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation

from . import selectors

REPORT_TIMEOUT = 30 * 24 * 3600
# How long a claimed render blocks another enqueue of the same version (a lost task is
# retried by the next visitor after this).
RENDER_CLAIM_SECONDS = 300


def _key(program_id, suffix, lang):
    # One report per language: a Bengali reader must not be handed the English one.
    return f"disclosure:report:{program_id}:{lang}:{suffix}"


def report_language(lang):
    """``lang`` if the platform speaks it, else the default language."""
    return lang if lang in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def stored_report(program, lang=None):
    """(version key, pdf bytes) of the latest rendered report in ``lang``, or (None, None)."""
    lang = report_language(lang)
    latest = cache.get(_key(program.pk, "latest", lang))
    if not latest or "key" not in latest:
        return None, None
    return latest["key"], latest["pdf"]


def request_render(program, version, lang=None):
    """Enqueue the render of ``version`` in ``lang`` unless one is already claimed.
    Returns True if this call enqueued it."""
    lang = report_language(lang)
    claim = _key(program.pk, f"claim:{version.figures_key}", lang)
    if not cache.add(claim, 1, RENDER_CLAIM_SECONDS):
        return False
    from .tasks import render_report

    render_report.delay(program.pk, version.figures_key, lang)
    return True


# Up to this many facilities the report also lists every supplier and facility; above
# it the report is a summary (a row per facility made it 216 s and 3.8 GB at 20,000)
# and the full list is the open data, linked from the report.
FULL_LIST_MAX_FACILITIES = 300


def standing_summary(program, version):
    """(counts per standing [(code, label, n)], suppliers not in good standing [record])
    from enforcement's standings: one query for the suppliers' count, one for the
    sanctioned suppliers' names, whatever the number of facilities."""
    from programs.models import Supplier

    from .policy import DEFAULT_STANDING, POLICY, STAGE_LABELS, STANDING_LABELS, UNPUBLISHED

    standings = selectors.supplier_standings(program=program, version=version)
    if standings is UNPUBLISHED:
        return [], []
    total = Supplier.objects.filter(program=program).count()
    counts = Counter()
    sanctioned = {}
    for supplier_id, raw in standings.items():
        public = POLICY.standing(raw)
        counts[public["standing"]] += 1
        if public["standing"] != DEFAULT_STANDING:
            sanctioned[supplier_id] = public
    counts[DEFAULT_STANDING] += total - sum(counts.values())
    labels = [(code, str(label), counts.get(code, 0)) for code, label in STANDING_LABELS.items()]
    labels += [(code, code, n) for code, n in sorted(counts.items()) if code not in STANDING_LABELS]
    rows = []
    for supplier_id, name, country in (
        Supplier.objects.filter(program=program, pk__in=list(sanctioned))
        .order_by("legal_name", "pk")
        .values_list("pk", "legal_name", "country")
    ):
        public = sanctioned[supplier_id]
        rows.append(
            {
                "name": name,
                "country": country,
                "standing": STANDING_LABELS.get(public["standing"], public["standing"]),
                "escalation_stage": public["escalation_stage"],
                "stage_label": STAGE_LABELS.get(public["escalation_stage"]),
                "suspended_until": _as_date(public["suspended_until"]),
            }
        )
    return labels, rows


def report_context(program, version, lang=None):
    from django.urls import reverse

    from core import checkpoints

    from .policy import AGREEMENT_STATUS_LABELS, POLICY, STAGE_LABELS, STANDING_LABELS

    lang = report_language(lang or translation.get_language())
    buyers = list(selectors.buyer_records(program=program))
    for buyer in buyers:
        status = buyer.get("agreement_status")
        buyer["agreement_status_label"] = AGREEMENT_STATUS_LABELS.get(status, status)
        buyer["agreement_since"] = _as_date(buyer.get("agreement_since"))
    stats = selectors.public_statistics(program=program, version=version)
    standing_counts, sanctioned = standing_summary(program, version)
    full_list = (stats.get("counts") or {}).get("facilities", 0) <= FULL_LIST_MAX_FACILITIES
    slug = {"program": program.slug}
    return {
        "program": POLICY.program(program),
        "version": version,
        "stats": stats,
        "lang": lang,
        "code": selectors.public_code(program=program, language=lang),
        "buyers": buyers,
        "standing_counts": standing_counts,
        "sanctioned": sanctioned,
        "full_list": full_list,
        "suppliers": (
            [
                _with_labels(r, STANDING_LABELS, STAGE_LABELS)
                for r in selectors.supplier_records(program=program)
            ]
            if full_list
            else []
        ),
        "open_data": {
            "page": reverse("disclosure:data", kwargs=slug),
            "csv": reverse("disclosure:suppliers_csv", kwargs=slug),
            "json": reverse("disclosure:suppliers_json", kwargs=slug),
            "geojson": reverse("disclosure:suppliers_geojson", kwargs=slug),
        },
        "site": getattr(settings, "PUBLIC_SITE_URL", ""),
        "generated_at": timezone.now(),
        "licence": POLICY.licence,
        # The audit chain's latest signed checkpoint (core/checkpoints.py): a copy of the
        # head hash outside the database, in every reader's hands.
        "anchor": checkpoints.latest(program.pk),
    }


def _as_date(value):
    """The public records carry ISO dates (open data); the report prints them in the
    reader's date format, so it needs dates."""
    if isinstance(value, str) and value:
        try:
            return datetime.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return value


def _with_labels(record, standing_labels, stage_labels):
    """A supplier record with its standing and stage as words, not codes."""
    record["suspended_until"] = _as_date(record.get("suspended_until"))
    standing = record.get("standing")
    record["standing_label"] = standing_labels.get(standing, standing) if standing else None
    stage = record.get("escalation_stage")
    record["stage_label"] = stage_labels.get(stage) if stage is not None else None
    return record


def render_report_pdf(program, version, lang=None):
    from core.pdf import render_pdf

    lang = report_language(lang)
    with translation.override(lang):
        return render_pdf("disclosure/report_pdf.html", report_context(program, version, lang))


def build_report(program, lang=None):
    """Render the current version unless it is stored already; return its key.

    Called by the task. Renders whatever the data version is *now* (newer than the one
    requested if data changed in between), so a late task never stores stale data as new.
    """
    lang = report_language(lang)
    version = selectors.data_version(program)
    key, _pdf = stored_report(program, lang)
    if key == version.figures_key:
        return key
    pdf = render_report_pdf(program, version, lang)
    # Only move "latest" forward: a slow render of an older version must not overwrite.
    latest = cache.get(_key(program.pk, "latest", lang))
    if not latest or tuple(latest.get("order", ())) < version.order:
        cache.set(
            _key(program.pk, "latest", lang),
            {"key": version.figures_key, "order": version.order, "pdf": pdf},
            REPORT_TIMEOUT,
        )
    return version.figures_key
