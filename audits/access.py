"""The auditor's reach, for ``core.authz`` (the "scope" of the CAP and evidence actions).

An auditor follows up CAP items and attaches evidence only where they audit: a CAP item
at a facility of an audit whose team they are on (django-guardian ``view_audit`` grant),
a finding of such an audit. Admin and staff are not scoped.
"""

from guardian.shortcuts import get_objects_for_user


def _audits_of(user, program):
    from .models import Audit

    return get_objects_for_user(
        user,
        "audits.view_audit",
        # Always program-filtered: a grant can never reach another program's audit.
        klass=Audit.objects.filter(program=program),
        with_superuser=False,
        accept_global_perms=False,
    )


def auditor_reach(user, program, obj):
    from .models import Audit, Finding

    audits = _audits_of(user, program)
    if isinstance(obj, Audit):
        return audits.filter(pk=obj.pk).exists()
    if isinstance(obj, Finding):
        return audits.filter(pk=obj.audit_id).exists()
    from programs.models import Facility

    facility_id = obj.pk if isinstance(obj, Facility) else getattr(obj, "facility_id", None)
    return facility_id is not None and audits.filter(facility_id=facility_id).exists()
