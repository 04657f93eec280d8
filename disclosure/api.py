"""Read-only public API (/api/v1/public/<program>/...): the open data as paginated JSON.

No authentication (no session, so no CSRF cookie and no tracking), GET only. Every
object is built by the masking policy; the serializers below only declare the shape
for the OpenAPI schema. Responses carry ETag/Last-Modified from the data version and
answer If-None-Match with 304.
"""

import hashlib

from django.core.cache import cache
from django.http import Http404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors
from .http import make_etag, not_modified, set_validators
from .policy import POLICY

app_name = "disclosure-api"


# ---------------------------------------------------------------- shapes (schema only)


class PublicFacilitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    address = serializers.CharField()
    country = serializers.CharField()
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    worker_count = serializers.IntegerField()
    os_id = serializers.CharField(help_text="Open Supply Hub ID, empty when not known")
    status = serializers.CharField()
    status_date = serializers.DateField(allow_null=True)
    worker_count_band = serializers.CharField(
        help_text="1-1000, 1001-5000, 5001-10000, 10001+ or empty"
    )
    product_type = serializers.CharField()
    number_of_storeys = serializers.IntegerField(allow_null=True)
    shared_building = serializers.BooleanField(allow_null=True)
    cap_progress = serializers.FloatField(allow_null=True)


class PublicSupplierSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    country = serializers.CharField()
    standing = serializers.CharField(allow_null=True)
    escalation_stage = serializers.IntegerField(allow_null=True)
    suspended_until = serializers.DateField(allow_null=True)
    buyer_count = serializers.IntegerField()
    facilities = PublicFacilitySerializer(many=True)


class PublicFacilityRowSerializer(serializers.Serializer):
    supplier_id = serializers.IntegerField()
    supplier_name = serializers.CharField()
    supplier_country = serializers.CharField()
    standing = serializers.CharField(allow_null=True)
    escalation_stage = serializers.IntegerField(allow_null=True)
    suspended_until = serializers.DateField(allow_null=True)
    buyer_count = serializers.IntegerField()
    facility_id = serializers.IntegerField()
    facility_name = serializers.CharField()
    address = serializers.CharField()
    country = serializers.CharField()
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    worker_count = serializers.IntegerField()
    os_id = serializers.CharField()
    facility_status = serializers.CharField()
    status_date = serializers.DateField(allow_null=True)
    worker_count_band = serializers.CharField()
    product_type = serializers.CharField()
    number_of_storeys = serializers.IntegerField(allow_null=True)
    shared_building = serializers.BooleanField(allow_null=True)
    cap_progress = serializers.FloatField(allow_null=True)


class PublicBuyerSerializer(serializers.Serializer):
    buyer_id = serializers.IntegerField()
    name = serializers.CharField()
    headquarters_country = serializers.CharField()
    website = serializers.CharField()
    agreement_since = serializers.DateField(allow_null=True)
    agreement_status = serializers.CharField(allow_null=True)


class PublicMonthlySerializer(serializers.Serializer):
    month = serializers.CharField()
    # null: fewer than the statistics' ``fewer_than`` (small-number suppression)
    received = serializers.IntegerField(allow_null=True)
    resolved = serializers.IntegerField(allow_null=True)


class PublicComplaintStatsSerializer(serializers.Serializer):
    fewer_than = serializers.IntegerField(
        help_text="A monthly count of 1 up to this minus one is published as null."
    )
    monthly = PublicMonthlySerializer(many=True)
    median_days_to_resolution = serializers.FloatField(allow_null=True)
    share_resolved_within_deadline = serializers.FloatField(allow_null=True)
    total_received = serializers.IntegerField(allow_null=True)
    total_resolved = serializers.IntegerField(allow_null=True)
    open_cases = serializers.IntegerField(allow_null=True)


class PublicCategoryCountSerializer(serializers.Serializer):
    category = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class PublicEnforcementStatsSerializer(serializers.Serializer):
    violations_by_category = PublicCategoryCountSerializer(many=True)
    confirmed_violations = serializers.IntegerField(allow_null=True)
    premium_paid_to_workers = serializers.FloatField(allow_null=True)
    premium_currency = serializers.CharField()


class PublicCapPointSerializer(serializers.Serializer):
    date = serializers.DateField()
    rate = serializers.FloatField()


class PublicEducationSerializer(serializers.Serializer):
    season = serializers.CharField()
    workers_reached = serializers.IntegerField()
    workforce = serializers.IntegerField(allow_null=True)
    share = serializers.FloatField(allow_null=True)


class PublicComplaintLogEntrySerializer(serializers.Serializer):
    reference = serializers.CharField(allow_null=True)
    received = serializers.CharField(allow_null=True)
    category = serializers.CharField(allow_null=True)
    category_label = serializers.CharField(allow_null=True)
    status = serializers.CharField(allow_null=True)
    status_label = serializers.CharField(allow_null=True)
    facility = serializers.CharField(allow_null=True, help_text="only once the case is resolved")
    outcome = serializers.CharField(allow_null=True, help_text="only once the case is resolved")
    outcome_label = serializers.CharField(allow_null=True)


class PublicCountsSerializer(serializers.Serializer):
    buyers = serializers.IntegerField()
    suppliers = serializers.IntegerField()
    facilities = serializers.IntegerField()
    workers = serializers.IntegerField()


class PublicStatsSerializer(serializers.Serializer):
    """Null sections are not yet published by the app that owns them."""

    counts = PublicCountsSerializer()
    complaints = PublicComplaintStatsSerializer(allow_null=True)
    enforcement = PublicEnforcementStatsSerializer(allow_null=True)
    cap_series = PublicCapPointSerializer(many=True, allow_null=True)
    education = PublicEducationSerializer(many=True, allow_null=True)
    complaint_log = PublicComplaintLogEntrySerializer(many=True, allow_null=True)
    generated_at = serializers.DateTimeField()
    data_version = serializers.IntegerField()
    licence = serializers.CharField()


# ---------------------------------------------------------------- views


class PublicPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


# Query parameters whose answers are stored (see PublicAPIMixin._cache_key); a search
# or a page size of the caller's choosing is answered fresh.
CACHED_PARAMETERS = {"country", "page", "format"}

FILTER_PARAMETERS = [
    OpenApiParameter("search", OpenApiTypes.STR, description="name, address or OS ID"),
    OpenApiParameter("country", OpenApiTypes.STR, description="ISO 3166-1 alpha-2"),
]


class PublicAPIMixin:
    """No authentication, read-only, the program from the URL (public ones only)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    filter_backends = []
    http_method_names = ["get", "head", "options"]
    shows_figures = False

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        try:
            self.program = selectors.public_program(self.kwargs["program"])
        except Http404 as exc:
            raise NotFound() from exc
        self.version = selectors.data_version(self.program)
        # Statistics include the complaint figures, which move on their own clock.
        figures = self.version.mark if self.shows_figures else ""
        self.etag = make_etag(self.version, request.path, request.GET.urlencode(), figures)

    def get(self, request, *args, **kwargs):
        if not_modified(request, self.etag):
            response = Response(status=304)
        else:
            response = self.cached_respond(request)
        return set_validators(response, self.etag, self.version)

    def cached_respond(self, request):
        """The answer's data, stored per data version and query: the same for everyone
        (it holds only public records), and a page of suppliers costs a count and a
        sorted page of 20,000 with their buyer counts to compute. Rendered per request,
        so content negotiation still applies. Unknown or repeated parameters are
        answered but not stored, so made-up query strings cannot fill the cache."""
        key = self._cache_key(request)
        data = cache.get(key) if key else None
        if data is not None:
            return Response(data)
        response = self.respond(request)
        if key and response.status_code == 200:
            cache.set(key, response.data, selectors.CACHE_TIMEOUT)
        return response

    def _cache_key(self, request):
        """None for a query that is answered but not stored: free-text searches, odd page
        sizes, anything the API does not read. What is stored stays bounded by the
        program's real pages (a page past the end is a 404, never stored)."""
        params = []
        for name, values in request.GET.lists():
            if name not in CACHED_PARAMETERS or len(values) != 1:
                return None
            value = values[0]
            if name == "page" and not (value.isdigit() and str(int(value)) == value):
                return None
            if name == "country" and not (len(value) == 2 and value.isalpha()):
                return None
            if name == "format" and value not in ("json", "api"):
                return None
            params.append((name, value))
        # next/previous links are absolute: the host is part of the answer.
        what = repr((request.path, request.get_host(), sorted(params)))
        digest = hashlib.sha256(what.encode()).hexdigest()[:24]
        version = self.version.figures_key if self.shows_figures else self.version.key
        return selectors.cache_key(self.program, version, "api", digest)


class PublicListView(PublicAPIMixin, mixins.ListModelMixin, generics.GenericAPIView):
    pagination_class = PublicPagination

    def records(self, items):
        raise NotImplementedError

    def respond(self, request):
        return self.list(request)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(list(self.records(page)))


class SupplierListView(PublicListView):
    """Participating suppliers with their facilities, standing and CAP progress."""

    serializer_class = PublicSupplierSerializer

    def get_queryset(self):
        self.standings = selectors.supplier_standings(program=self.program, version=self.version)
        self.caps = selectors.cap_by_facility(program=self.program, version=self.version)
        return selectors.public_suppliers(
            program=self.program,
            standings=self.standings,
            search=self.request.GET.get("search", "").strip(),
            country=self.request.GET.get("country", "").strip(),
        )

    def records(self, items):
        yield from selectors.supplier_page_records(items, standings=self.standings, caps=self.caps)

    @extend_schema(parameters=FILTER_PARAMETERS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class FacilityListView(SupplierListView):
    """One row per facility (as in suppliers.csv), paginated by supplier."""

    serializer_class = PublicFacilityRowSerializer

    def records(self, items):
        for record in super().records(items):
            yield from POLICY.facility_rows(record)


class BuyerListView(PublicListView):
    """Participating buyers (those with a signed agreement)."""

    serializer_class = PublicBuyerSerializer

    def get_queryset(self):
        return selectors.public_buyers(program=self.program)

    def records(self, items):
        for buyer in items:
            yield selectors.buyer_record(buyer)


class StatsView(PublicAPIMixin, APIView):
    """The program's public statistics (the figures and chart data of its page)."""

    shows_figures = True

    @extend_schema(responses=PublicStatsSerializer)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def respond(self, request):
        stats = selectors.public_statistics(program=self.program, version=self.version)
        return Response({**stats, "data_version": self.version.seq, "licence": POLICY.licence})


urlpatterns = [
    path("suppliers/", SupplierListView.as_view(), name="supplier-list"),
    path("facilities/", FacilityListView.as_view(), name="facility-list"),
    path("buyers/", BuyerListView.as_view(), name="buyer-list"),
    path("stats/", StatsView.as_view(), name="stats"),
]
