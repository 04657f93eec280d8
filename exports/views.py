"""Download of the program export (/p/<program>/export.zip): admins of the program only."""

from django.http import FileResponse
from django.utils import timezone
from django.views import View

from core.roles import ADMIN_ROLES
from core.tenancy import ProgramViewMixin
from exports.services import program_export


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
