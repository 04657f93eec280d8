"""The base of every audits page: program scoping plus audit visibility."""

from django.core.exceptions import PermissionDenied

from core.pagination import querystring_without_page
from core.roles import INTERNAL_ROLES
from core.tenancy import ProgramViewMixin, get_or_404

from .. import selectors
from ..selectors import AUDIT_WRITE_ROLES


class AuditsViewMixin(ProgramViewMixin):
    read_roles = INTERNAL_ROLES
    write_roles = AUDIT_WRITE_ROLES

    def visible_audits(self):
        return selectors.audit_list(
            program=self.program, user=self.request.user, membership=self.membership
        )

    def get_audit(self, pk):
        return get_or_404(self.visible_audits(), pk=pk)

    def get_editable_audit(self, pk):
        audit = self.get_audit(pk)
        if not selectors.audit_can_edit(
            audit=audit, user=self.request.user, membership=self.membership
        ):
            raise PermissionDenied
        return audit

    def get_finding(self, pk):
        return get_or_404(
            selectors.findings_visible(
                program=self.program, user=self.request.user, membership=self.membership
            ),
            pk=pk,
        )

    def get_item(self, pk):
        return get_or_404(selectors.cap_item_list(program=self.program), pk=pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_write"] = self.can_manage  # the view's write_action when it names one
        context["querystring"] = querystring_without_page(self.request)
        return context
