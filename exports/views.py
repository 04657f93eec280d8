"""The program export: admins of the program only.

/p/<program>/exports/ starts a background export (POST) and shows a job's progress
(GET ?job=<id>); /p/<program>/exports/download/?job=<id> downloads it when ready
(exports/jobs.py). /p/<program>/export.zip, where the archive was once built inside the
request, now sends the admin to the job's page.
"""

from django.http import FileResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from core.roles import ADMIN_ROLES
from core.tenancy import ProgramViewMixin
from exports import jobs
from exports.services import may_include_identity


class ProgramExportView(ProgramViewMixin, View):
    """The old address of the export (links, bookmarks, scripts): the export is a
    background job now, so this sends the admin to the page that starts one."""

    read_roles = ADMIN_ROLES
    write_roles = frozenset()
    read_action = "export.run"

    def get(self, request, *args, **kwargs):
        return redirect("program-export-job", program=self.program.slug)


class ExportJobView(ProgramViewMixin, TemplateView):
    """POST: start an export job; GET ?job=<id>: its progress, then the download link."""

    template_name = "programs/export_job.html"
    read_roles = ADMIN_ROLES
    write_roles = ADMIN_ROLES
    read_action = write_action = "export.run"

    def post(self, request, *args, **kwargs):
        job = jobs.export_job_start(
            actor=request.user,
            program=self.program,
            include_identity=request.POST.get("identity") == "1"
            and may_include_identity(self.membership),
        )
        return redirect(f"{request.path}?job={job.pk}")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job_id = self.request.GET.get("job")
        job = (
            jobs.export_job_get(program=self.program, user=self.request.user, job_id=job_id)
            if job_id
            else None
        )
        context["job"] = job
        context["progress"] = jobs.job_progress(job) if job else None
        context["running"] = jobs.job_running(job)
        context["may_include_identity"] = may_include_identity(self.membership)
        return context

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        response["Cache-Control"] = "no-store"
        return response


class ExportJobDownloadView(ProgramViewMixin, View):
    read_roles = ADMIN_ROLES
    write_roles = frozenset()
    read_action = "export.run"

    def get(self, request, *args, **kwargs):
        if not request.GET.get("job"):  # nothing asked for: the page that starts one
            return redirect("program-export-job", program=self.program.slug)
        job = jobs.export_job_get(
            program=self.program, user=request.user, job_id=request.GET.get("job")
        )
        handle = jobs.job_file(job=job, user=request.user)
        stamp = timezone.localtime(job.finished_at).strftime("%Y%m%d-%H%M%S")
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=f"{self.program.slug}-export-{stamp}.zip",
            content_type="application/zip",
        )
        response["Cache-Control"] = "no-store"
        return response
