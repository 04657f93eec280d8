"""Download of the program export (/p/<program>/export.zip): admins of the program only."""

from django.http import FileResponse
from django.urls import path
from django.utils import timezone
from django.views import View

from wsr.export import program_export
from wsr.roles import ADMIN_ROLES
from wsr.tenancy import ProgramViewMixin


class ProgramExportView(ProgramViewMixin, View):
    read_roles = ADMIN_ROLES
    write_roles = frozenset()

    def get(self, request, *args, **kwargs):
        handle, _ = program_export(
            actor=request.user,
            program=self.program,
            membership=self.membership,
            include_identity=request.GET.get("identity") == "1",
        )
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=f"{self.program.slug}-export-{stamp}.zip",
            content_type="application/zip",
        )
        response["Cache-Control"] = "no-store"
        return response


# Mounted by wsr/urls.py with include("wsr.export_views") under p/<slug:program>/.
urlpatterns = [
    path("export.zip", ProgramExportView.as_view(), name="program-export"),
]
