"""Staff workspace pages of the import (/p/<program>/registry/...): upload a list, map
its columns, review the preview row by row, decide possible matches, apply; load an
Open Supply Hub download; download the facility list in OS Hub's and the Transparency
Pledge's formats."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView, View

from core.errors import DomainError
from core.tenancy import ProgramViewMixin

from . import exports, parsing, selectors, services
from .models import ImportStatus

ROWS_PER_PAGE = 100
RUNNING = (ImportStatus.ANALYSING, ImportStatus.APPLYING)


class ImportAction:
    read_action = write_action = services.ACTION


class ImportListView(ImportAction, ProgramViewMixin, TemplateView):
    template_name = "registry/import_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["batches"] = selectors.batch_list(program=self.program)[:20]
        context["fields"] = parsing.FIELDS
        context["oshub_count"] = selectors.oshub_count(program=self.program)
        return context

    def post(self, request, *args, **kwargs):
        upload = request.FILES.get("file")
        if upload is None:
            return self._error(request, "Choose a CSV, XLSX or JSON file to upload.")
        try:
            batch = services.import_upload(
                actor=request.user, program=self.program, filename=upload.name, data=upload.read()
            )
        except DomainError as exc:
            return self._error(request, str(exc))
        services.import_preview_start(batch)
        return redirect(_detail_url(self.program, batch))

    def _error(self, request, message):
        context = self.get_context_data()
        context["error"] = message
        return self.render_to_response(context, status=400)


def _detail_url(program, batch):
    return reverse("registry:import_detail", kwargs={"program": program.slug, "pk": batch.pk})


class BatchMixin(ImportAction, ProgramViewMixin):
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)

    @property
    def batch(self):
        if not hasattr(self, "_batch"):
            self._batch = selectors.batch_get(program=self.program, pk=self.kwargs["pk"])
        return self._batch


class ImportDetailView(BatchMixin, TemplateView):
    template_name = "registry/import_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch = self.batch
        show = self.request.GET.get("show", "problems")
        entries = batch.preview
        if show == "problems":
            entries = [e for e in entries if e["action"] in ("refused", "ask")]
        elif show in ("create", "update", "unchanged", "supplier"):
            entries = [e for e in entries if e["action"] == show]
        page = Paginator(entries, ROWS_PER_PAGE).get_page(self.request.GET.get("page"))
        context.update(
            batch=batch,
            running=batch.status in RUNNING,
            progress=services.batch_progress(batch),
            page_obj=page,
            show=show,
            mapping_rows=[
                {"field": f, "header": batch.mapping.get(f.name, "")} for f in parsing.FIELDS
            ],
            summary=batch.summary,
            report=batch.report,
            can_apply=batch.status == ImportStatus.PREVIEW and not batch.summary.get("ask"),
        )
        return context


class ImportMappingView(BatchMixin, View):
    def post(self, request, *args, **kwargs):
        mapping = {name: request.POST.get(f"map-{name}", "") for name in parsing.FIELD_NAMES}
        try:
            batch = services.import_set_mapping(
                actor=request.user, batch=self.batch, mapping=mapping
            )
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect(_detail_url(self.program, self.batch))
        services.import_preview_start(batch)
        messages.success(request, "Mapping saved; the rows were checked again.")
        return redirect(_detail_url(self.program, batch))


class MatchDecideView(BatchMixin, View):
    def post(self, request, *args, **kwargs):
        line = request.POST.get("line", "")
        accept = request.POST.get("decision") == "accept"
        try:
            batch = services.match_decide(
                actor=request.user,
                batch=self.batch,
                line=int(line) if line.isdigit() else -1,
                accept=accept,
            )
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect(_detail_url(self.program, self.batch))
        services.import_preview_start(batch)
        messages.success(
            request, "Match confirmed." if accept else "Match rejected: it will not be asked again."
        )
        return redirect(_detail_url(self.program, batch) + "?show=problems")


class ImportApplyView(BatchMixin, View):
    def post(self, request, *args, **kwargs):
        try:
            batch = services.import_apply_start(actor=request.user, batch=self.batch)
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect(_detail_url(self.program, self.batch))
        if batch.status == ImportStatus.APPLIED:
            messages.success(request, "Import applied.")
        return redirect(_detail_url(self.program, batch))


class OSHubView(ImportAction, ProgramViewMixin, TemplateView):
    template_name = "registry/oshub.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["oshub_count"] = selectors.oshub_count(program=self.program)
        return context

    def post(self, request, *args, **kwargs):
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise DomainError("Choose the Open Supply Hub CSV download to load.")
            n = services.oshub_load(
                actor=request.user, program=self.program, filename=upload.name, data=upload.read()
            )
        except DomainError as exc:
            context = self.get_context_data()
            context["error"] = str(exc)
            return self.render_to_response(context, status=400)
        messages.success(request, f"{n:,} Open Supply Hub facilities loaded.")
        return redirect("registry:oshub", program=self.program.slug)


class FacilityExportView(ProgramViewMixin, View):
    """The program's facilities as CSV: Open Supply Hub's contribution template or the
    Transparency Pledge's fields."""

    read_action = "parties.view"
    kind = "oshub"

    def get(self, request, *args, **kwargs):
        return exports.facility_csv_response(program=self.program, kind=self.kind)
