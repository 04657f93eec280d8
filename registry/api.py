"""REST API of the import (/api/v1/programs/<program>/imports/...).

POST a file (multipart ``file``) or the rows as JSON (``{"rows": [{header: value}]}``,
e.g. the facility objects of this API), then read the preview, change the mapping,
decide possible matches and apply, as the workspace does. A large file's preview and
apply run as jobs: poll the batch until ``status`` is ``preview`` / ``applied``.
"""

import json

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.tenancy import ProgramViewSet

from . import selectors, services
from .models import ImportBatch

app_name = "registry-api"


class ImportBatchSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    rows = serializers.IntegerField(source="row_count", read_only=True)

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "filename",
            "file_format",
            "status",
            "progress",
            "rows",
            "headers",
            "mapping",
            "summary",
            "preview",
            "report",
            "error",
            "created_at",
            "applied_at",
        ]
        read_only_fields = fields

    def get_progress(self, batch) -> int:
        return services.batch_progress(batch)


class ImportBatchListSerializer(ImportBatchSerializer):
    class Meta(ImportBatchSerializer.Meta):
        fields = [f for f in ImportBatchSerializer.Meta.fields if f not in ("preview", "headers")]
        read_only_fields = fields


class MappingSerializer(serializers.Serializer):
    mapping = serializers.DictField(child=serializers.CharField(allow_blank=True))


class DecisionSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    accept = serializers.BooleanField()


class ImportBatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ProgramViewSet):
    serializer_class = ImportBatchSerializer
    queryset = ImportBatch.objects.none()
    read_action = write_action = services.ACTION
    parser_classes = [MultiPartParser, JSONParser]
    lookup_value_regex = r"[0-9a-f-]{36}"

    def get_scoped_queryset(self):
        return selectors.batch_list(program=self.program)

    def get_object(self):
        return selectors.batch_get(program=self.program, pk=self.kwargs["pk"])

    def get_serializer_class(self):
        # The list leaves out each batch's rows (the preview can hold 20,000 entries).
        return ImportBatchListSerializer if self.action == "list" else ImportBatchSerializer

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            },
            "application/json": {"type": "object"},
        },
        responses={201: ImportBatchSerializer},
    )
    def create(self, request, *args, **kwargs):
        upload = request.FILES.get("file")
        if upload is not None:
            name, data = upload.name, upload.read()
        else:
            name, data = "rows.json", json.dumps(request.data).encode()
        batch = services.import_upload(
            actor=request.user, program=self.program, filename=name, data=data
        )
        batch = services.import_preview_start(batch)
        return Response(self.get_serializer(batch).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MappingSerializer, responses=ImportBatchSerializer)
    @action(detail=True, methods=["post"])
    def mapping(self, request, *args, **kwargs):
        batch = self.get_object()
        # Through the serializer: a body that is not an object (a list, a string) was a
        # 500 when read with .get().
        data = MappingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        mapping = data.validated_data["mapping"]
        batch = services.import_set_mapping(actor=request.user, batch=batch, mapping=mapping)
        return Response(self.get_serializer(services.import_preview_start(batch)).data)

    @extend_schema(request=DecisionSerializer, responses=ImportBatchSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, *args, **kwargs):
        batch = self.get_object()
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        batch = services.match_decide(actor=request.user, batch=batch, **data.validated_data)
        return Response(self.get_serializer(services.import_preview_start(batch)).data)

    @extend_schema(request=None, responses=ImportBatchSerializer)
    @action(detail=True, methods=["post"])
    def apply(self, request, *args, **kwargs):
        batch = self.get_object()
        batch = services.import_apply_start(actor=request.user, batch=batch)
        return Response(self.get_serializer(batch).data)


router = SimpleRouter()
router.register("imports", ImportBatchViewSet, basename="import")
urlpatterns = router.urls
