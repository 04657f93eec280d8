"""Public pages and open-data files (no login).

Every figure and field shown here comes from ``disclosure.selectors``, which builds it
through the masking policy. Open data is streamed: rows are read with ``iterator()`` and
written as they come, so memory stays flat however many suppliers a program has.
"""

import hashlib
import json

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from core import csvwriter
from core.pagination import paginate, querystring_without_page
from programs.selectors import program_public_list

from . import page_cache, reports, selectors
from .http import make_etag, not_modified, not_modified_response, set_validators
from .policy import AGREEMENT_STATUS_LABELS, POLICY, STAGE_LABELS, STANDING_LABELS

PAGE_SIZE = 25
STREAM_CHUNK = 500


@require_safe
def program_index(request):
    """The front page: every program with a public page."""
    # ?lang= is honoured here as on the program page, so a shared link keeps its language.
    with translation.override(page_language(request, None)):
        return render(request, "disclosure/index.html", {"programs": program_public_list()})


class SupplierFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    country = forms.ChoiceField(label=_("Country"), required=False)
    standing = forms.ChoiceField(label=_("Standing"), required=False)
    stage = forms.ChoiceField(label=_("Escalation stage"), required=False)

    def __init__(self, *args, countries=(), standings=(), **kwargs):
        super().__init__(*args, **kwargs)
        anything = [("", _("Any"))]
        self.fields["country"].choices = anything + [(c, c) for c in countries]
        self.fields["standing"].choices = anything + [
            (s, STANDING_LABELS.get(s, s)) for s in standings
        ]
        self.fields["stage"].choices = anything + [
            (str(k), f"{k} · {v}") for k, v in STAGE_LABELS.items()
        ]

    def filters(self):
        # An unknown choice (an old link, a country no longer listed) drops that filter
        # only; the valid ones still apply.
        self.is_valid()
        data = self.cleaned_data
        return {
            "search": (data.get("q") or "").strip(),
            "country": data.get("country") or "",
            "standing": data.get("standing") or "",
            "stage": data.get("stage") or "",
        }


def page_language(request, program):
    """?lang= if it names a language the platform speaks, else the active language."""
    known = dict(settings.LANGUAGES)
    lang = request.GET.get("lang", "")
    if lang in known:
        return lang
    return translation.get_language() or settings.LANGUAGE_CODE


def complaint_form_url(program):
    # The complaint form is the complaints app's route; its path is fixed by the public
    # contract (DESIGN §7), so the link works whatever that app names the route.
    return f"/public/{program.slug}/complaints/new/"


def _decorate(record):
    record["standing_label"] = (
        STANDING_LABELS.get(record["standing"], record["standing"]) if record["standing"] else None
    )
    stage = record["escalation_stage"]
    record["stage_label"] = STAGE_LABELS.get(stage) if stage is not None else None
    for facility in record["facilities"]:
        rate = facility["cap_progress"]
        facility["cap_percent"] = round(rate * 100) if rate is not None else None
    return record


@require_safe
def program_page(request, program):
    program, version = page_cache.current(program)
    lang = page_language(request, program)
    with translation.override(lang):
        key = page_cache.key(request, program, version, lang)
        if key is not None:
            cached_page = page_cache.get(request, key)
            if cached_page is not None:
                return cached_page
        response = _render_program_page(request, program, lang, version)
        if key is not None:
            page_cache.store(request, key, response)
        return response


def _render_program_page(request, program, lang, version):
    standings = selectors.supplier_standings(program=program, version=version)
    caps = selectors.cap_by_facility(program=program, version=version)
    countries = selectors.cached(
        program, version, "countries", lambda: selectors.country_choices(program=program)
    )
    choices = selectors.cached(
        program,
        version,
        "standing-choices",
        lambda: selectors.standing_choices(standings=standings),
    )
    form = SupplierFilterForm(request.GET or None, countries=countries, standings=choices)
    filters = form.filters() if form.is_bound else {}
    page = _supplier_page(request, program, version, filters, standings, caps)
    rows = [_decorate(record) for record in page]
    stats = selectors.public_statistics(program=program, version=version)
    buyers = selectors.cached(
        program, version, "buyers", lambda: list(selectors.buyer_records(program=program))
    )
    # The cache keeps codes (shared by every language); words are put on at render.
    buyers = [
        {
            **b,
            "agreement_status_label": AGREEMENT_STATUS_LABELS.get(
                b.get("agreement_status"), b.get("agreement_status")
            ),
        }
        for b in buyers
    ]
    code = selectors.cached(
        program,
        version,
        f"code:{lang}",
        lambda: selectors.public_code(program=program, language=lang),
    )
    languages = [(code_, dict(settings.LANGUAGES).get(code_, code_)) for code_ in program.languages]
    context = {
        "program": program,
        "public": POLICY.program(program),
        "version": version,
        "lang": lang,
        "languages": languages,
        "code": code,
        "buyers": buyers,
        "form": form,
        "page_obj": page,
        "rows": rows,
        "filtered": any(filters.values()) if filters else False,
        "querystring": querystring_without_page(request),
        "stats": stats,
        "charts": selectors.chart_data(stats),
        "standing_published": standings is not selectors.UNPUBLISHED,
        "cap_published": caps is not selectors.UNPUBLISHED,
        "complaint_form_url": complaint_form_url(program),
        "complaint_status_url": f"/public/{program.slug}/complaints/status/",
        "release": selectors.RELEASE,
        "figures_minutes": -(-settings.DISCLOSURE_FIGURES_MAX_AGE // 60),
        "map_tile_url": settings.MAP_TILE_URL,
        "map_attribution": getattr(
            settings, "MAP_TILE_ATTRIBUTION", "© OpenStreetMap contributors"
        ),
    }
    response = render(request, "disclosure/program.html", context)
    # Shared only if the URL is the page's own way of asking for what it shows (valid
    # choices, the page number it landed on, no free-text search): page_cache.store.
    response.shareable = (
        (not form.is_bound or (form.is_valid() and not filters.get("search")))
        and request.GET.get("page", str(page.number)) == str(page.number)
        and (request.GET.get("lang", lang) == lang)
    )
    return response


class _Counted:
    """Stands in for the queryset in a Paginator rebuilt from the cache (only count())."""

    def __init__(self, count):
        self._count = count

    def count(self):
        return self._count


def _page_number(paginator, requested):
    """The page ``?page=`` lands on, as ``Paginator.get_page`` decides it: the first for
    junk, the last for a number past the end."""
    try:
        return paginator.validate_number(requested)
    except PageNotAnInteger:
        return 1
    except EmptyPage:
        return paginator.num_pages


def _supplier_page(request, program, version, filters, standings, caps):
    """One page of supplier records, cached per data version, filters and page number.

    Counting and sorting the suppliers (with each one's count of active buyers) is most
    of the page's cost at 20,000 facilities, and the answer changes only with the data
    version. The key holds the page number the request resolves to (never the raw
    ``?page=``), and free-text searches are not stored: what is stored is bounded by the
    program's real pages and filter choices, whatever URLs a visitor makes up."""
    suppliers = selectors.public_suppliers(program=program, standings=standings, **filters)
    if filters.get("search"):
        page = paginate(request, suppliers, per_page=PAGE_SIZE)
        records = selectors.supplier_page_records(page, standings=standings, caps=caps)
        return Page(records, page.number, page.paginator)
    wanted = hashlib.sha256(repr(sorted(filters.items())).encode()).hexdigest()[:16]
    count = selectors.cached(program, version, f"count:{wanted}", suppliers.count)
    paginator = Paginator(_Counted(count), PAGE_SIZE)
    number = _page_number(paginator, request.GET.get("page"))
    key = selectors.cache_key(program, version, "page", wanted, number)
    records = cache.get(key)
    if records is None:
        bottom = (number - 1) * PAGE_SIZE
        records = selectors.supplier_page_records(
            suppliers[bottom : bottom + PAGE_SIZE], standings=standings, caps=caps
        )
        cache.set(key, records, selectors.CACHE_TIMEOUT)
    return Page(records, number, paginator)


@require_safe
def data_page(request, program):
    """The open data's documented schema and licence."""
    program = selectors.public_program(program)
    files = [
        {
            "name": "suppliers.csv",
            "url": reverse("disclosure:suppliers_csv", kwargs={"program": program.slug}),
            "about": _("One row per facility, with its supplier's standing."),
            "fields": POLICY.facility_row_fields,
        },
        {
            "name": "suppliers.json",
            "url": reverse("disclosure:suppliers_json", kwargs={"program": program.slug}),
            "about": _("One object per supplier, its facilities nested."),
            "fields": POLICY.supplier_fields + POLICY.facility_fields,
        },
        {
            "name": "suppliers.geojson",
            "url": reverse("disclosure:suppliers_geojson", kwargs={"program": program.slug}),
            "about": _(
                "A FeatureCollection: one Point per facility, coordinates [longitude, "
                "latitude] (WGS 84), null geometry when unknown; properties as in "
                "suppliers.csv."
            ),
            "fields": (),
        },
        {
            "name": "opensupplyhub.csv",
            "url": reverse("disclosure:opensupplyhub_csv", kwargs={"program": program.slug}),
            "about": _(
                "The active facilities in Open Supply Hub's contribution format (the "
                "columns of its list upload), to share them with the registry."
            ),
            "fields": POLICY.oshub_fields,
        },
        {
            "name": "buyers.csv",
            "url": reverse("disclosure:buyers_csv", kwargs={"program": program.slug}),
            "about": _("Participating buyers with a signed agreement."),
            "fields": POLICY.buyer_fields,
        },
    ]
    with translation.override(page_language(request, program)):
        return render(
            request,
            "disclosure/data.html",
            {
                "program": program,
                "files": files,
                "licence": POLICY.licence,
                "licence_url": POLICY.licence_url,
                "api_url": f"/api/v1/public/{program.slug}/",
            },
        )


# ---------------------------------------------------------------- open data files


class _Echo:
    """csv.writer target that hands each line back instead of buffering it."""

    def write(self, value):
        return value


def _csv_value(value):
    return "" if value is None else value


def _stream(request, program, kind, content_type, filename, body):
    """A streamed download with validators; 304 when the client has this version."""
    version = selectors.data_version(program)
    etag = make_etag(version, kind)
    if not_modified(request, etag):
        return not_modified_response(etag, version)
    response = StreamingHttpResponse(body(version), content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{program.slug}-{filename}"'
    data_url = reverse("disclosure:data", kwargs={"program": program.slug})
    response["Link"] = f'<{data_url}>; rel="describedby", <{POLICY.licence_url}>; rel="license"'
    return set_validators(response, etag, version)


@require_safe
def suppliers_csv(request, program):
    program = selectors.public_program(program)
    names = [f.name for f in POLICY.facility_row_fields]

    def body(version):
        writer = csvwriter.writer(_Echo())
        yield writer.writerow(names)
        for row in selectors.facility_records(
            program=program, chunk_size=STREAM_CHUNK, version=version
        ):
            yield writer.writerow([_csv_value(row[name]) for name in names])

    return _stream(
        request, program, "suppliers.csv", "text/csv; charset=utf-8", "suppliers.csv", body
    )


@require_safe
def opensupplyhub_csv(request, program):
    """The public facilities in Open Supply Hub's contribution format."""
    program = selectors.public_program(program)
    names = [f.name for f in POLICY.oshub_fields]

    def body(version):
        writer = csvwriter.writer(_Echo())
        yield writer.writerow(names)
        for row in selectors.facility_records(
            program=program, chunk_size=STREAM_CHUNK, version=version
        ):
            record = POLICY.oshub_row(row, sector=program.sector)
            if record is not None:
                yield writer.writerow([_csv_value(record[name]) for name in names])

    return _stream(
        request,
        program,
        "opensupplyhub.csv",
        "text/csv; charset=utf-8",
        "opensupplyhub.csv",
        body,
    )


@require_safe
def buyers_csv(request, program):
    program = selectors.public_program(program)
    names = [f.name for f in POLICY.buyer_fields]

    def body(version):
        writer = csvwriter.writer(_Echo())
        yield writer.writerow(names)
        for row in selectors.buyer_records(program=program):
            yield writer.writerow([_csv_value(row[name]) for name in names])

    return _stream(request, program, "buyers.csv", "text/csv; charset=utf-8", "buyers.csv", body)


def _dumps(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _header(program, version, request):
    return {
        "program": POLICY.program(program),
        "licence": POLICY.licence,
        "licence_url": POLICY.licence_url,
        "schema": request.build_absolute_uri(
            reverse("disclosure:data", kwargs={"program": program.slug})
        ),
        "data_version": version.seq,
    }


@require_safe
def suppliers_json(request, program):
    program = selectors.public_program(program)

    def body(version):
        header = _dumps(_header(program, version, request))
        yield header[:-1] + ',"suppliers":['
        first = True
        for record in selectors.supplier_records(
            program=program, chunk_size=STREAM_CHUNK, version=version
        ):
            yield ("" if first else ",") + _dumps(record)
            first = False
        yield "]}\n"

    return _stream(request, program, "suppliers.json", "application/json", "suppliers.json", body)


def _feature(row):
    lon, lat = row["longitude"], row["latitude"]
    geometry = (
        {"type": "Point", "coordinates": [lon, lat]}
        if lon is not None and lat is not None
        else None
    )
    properties = {k: v for k, v in row.items() if k not in ("latitude", "longitude")}
    return {
        "type": "Feature",
        "id": row["facility_id"],
        "geometry": geometry,
        "properties": properties,
    }


@require_safe
def suppliers_geojson(request, program):
    program = selectors.public_program(program)

    def body(version):
        header = _dumps({"type": "FeatureCollection", **_header(program, version, request)})
        yield header[:-1] + ',"features":['
        first = True
        for row in selectors.facility_records(
            program=program, chunk_size=STREAM_CHUNK, version=version
        ):
            if row["facility_id"] is None:
                continue  # a supplier without a facility has no place on a map
            yield ("" if first else ",") + _dumps(_feature(row))
            first = False
        yield "]}\n"

    return _stream(
        request,
        program,
        "suppliers.geojson",
        "application/geo+json",
        "suppliers.geojson",
        body,
    )


# ---------------------------------------------------------------- report


@require_safe
def report_pdf(request, program):
    """The printable report of the current data, rendered by a Celery job.

    Current version stored: the PDF. Otherwise a render is enqueued (once per version)
    and the visitor gets the previous report if there is one, else a page saying it is
    being prepared that reloads itself.
    """
    program = selectors.public_program(program)
    version = selectors.data_version(program)
    # ?lang= (or the visitor's language): the report is rendered and kept per language.
    lang = reports.report_language(page_language(request, program))
    stored_key, pdf = reports.stored_report(program, lang)
    if stored_key != version.figures_key:
        reports.request_render(program, version, lang)
    if pdf is None:
        with translation.override(lang):
            response = render(
                request, "disclosure/report_pending.html", {"program": program}, status=202
            )
        response["Retry-After"] = "5"
        return response
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{program.slug}-report-{lang}.pdf"'
    response["Content-Language"] = lang
    response["X-Report-Version"] = stored_key
    response["X-Report-Current"] = "true" if stored_key == version.figures_key else "false"
    return response
