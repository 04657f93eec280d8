"""Audit events as people read them: "Obligation: attested" and "Buyer obligation
“Suspend purchases…”" with a link, instead of ``obligation.attested`` and
``enforcement.buyerobligation #10`` (issue 17, defect 9).

The kernel imports no feature app: records are found through the app registry by the
event's ``object_type`` label, and linked through URL names given here as strings.
"""

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The first part of a verb: the kind of record the event is about.
RECORD_WORDS = {
    "agreement": _("Agreement"),
    "agreement_policy": _("Agreement policy"),
    "api_token": _("API token"),
    "audit": _("Audit"),
    "audit_policy": _("Audit policy"),
    "buyer": _("Buyer"),
    "buyer_portal": _("Buyer portal"),
    "cap": _("Corrective action plan"),
    "cap_item": _("Corrective action"),
    "case": _("Case"),
    "code": _("Code of conduct"),
    "code_version": _("Code version"),
    "complaint_policy": _("Complaint policy"),
    "complaints": _("Complaints"),
    "consequence_policy": _("Consequence policy"),
    "education_session": _("Education session"),
    "enforcement_settings": _("Enforcement settings"),
    "evidence": _("Evidence"),
    "facility": _("Facility"),
    "finding": _("Finding"),
    "interview": _("Interview"),
    "ledger": _("Premium ledger"),
    "membership": _("Membership"),
    "message": _("Message"),
    "mfa": _("Two-step login"),
    "note": _("Note"),
    "obligation": _("Obligation"),
    "payroll_distribution": _("Payroll distribution"),
    "premium_payment": _("Premium payment"),
    "program": _("Program"),
    "provision": _("Provision"),
    "purchase_report": _("Purchase report"),
    "report": _("Report"),
    "sanction": _("Sanction"),
    "session": _("Session"),
    "sourcing": _("Sourcing"),
    "standing": _("Standing"),
    "supplier": _("Supplier"),
    "violation": _("Violation"),
}

# The second part: what happened to it.
ACTION_WORDS = {
    "acknowledged": pgettext_lazy("event", "acknowledged"),
    "active": pgettext_lazy("event", "put in force"),
    "added": pgettext_lazy("event", "added"),
    "assigned": pgettext_lazy("event", "assigned"),
    "attached": pgettext_lazy("event", "attached"),
    "attested": pgettext_lazy("event", "attested"),
    "breached": pgettext_lazy("event", "in breach"),
    "changed": pgettext_lazy("event", "changed"),
    "closed": pgettext_lazy("event", "closed"),
    "commented": pgettext_lazy("event", "commented on"),
    "confirmed": pgettext_lazy("event", "confirmed"),
    "consequences_applied": pgettext_lazy("event", "consequences applied"),
    "created": pgettext_lazy("event", "created"),
    "dismissed": pgettext_lazy("event", "dismissed"),
    "draft_created": pgettext_lazy("event", "new draft started"),
    "drafted": pgettext_lazy("event", "drafted"),
    "ended": pgettext_lazy("event", "ended"),
    "escalated": pgettext_lazy("event", "escalated"),
    "expired": pgettext_lazy("event", "expired"),
    "exported": pgettext_lazy("event", "exported"),
    "imported": pgettext_lazy("event", "imported"),
    "invited": pgettext_lazy("event", "invited"),
    "opened": pgettext_lazy("event", "opened"),
    "overdue": pgettext_lazy("event", "overdue"),
    "ratified": pgettext_lazy("event", "ratified"),
    "received": pgettext_lazy("event", "received"),
    "recorded": pgettext_lazy("event", "recorded"),
    "reinstated": pgettext_lazy("event", "reinstated"),
    "removed": pgettext_lazy("event", "removed"),
    "reopened": pgettext_lazy("event", "reopened"),
    "requested": pgettext_lazy("event", "requested"),
    "resolved": pgettext_lazy("event", "resolved"),
    "revoked": pgettext_lazy("event", "revoked"),
    "sent": pgettext_lazy("event", "sent"),
    "set": pgettext_lazy("event", "set"),
    "shared": pgettext_lazy("event", "shared"),
    "signatory_added": pgettext_lazy("event", "signatory added"),
    "signatory_removed": pgettext_lazy("event", "signatory removed"),
    "terminated": pgettext_lazy("event", "terminated"),
    "transitioned": pgettext_lazy("event", "moved on"),
    "triaged": pgettext_lazy("event", "triaged"),
    "unshared": pgettext_lazy("event", "no longer shared"),
    "updated": pgettext_lazy("event", "updated"),
    "waived": pgettext_lazy("event", "waived"),
}

# Records with a page of their own in the staff workspace: (URL name, action to see it).
RECORD_PAGES = {
    "programs.agreement": ("programs:agreement_detail", "agreements.view"),
    "programs.buyer": ("programs:buyer_detail", "parties.view"),
    "programs.supplier": ("programs:supplier_detail", "parties.view"),
    "programs.facility": ("programs:facility_detail", "parties.view"),
    "programs.code": ("programs:code_detail", "code.view"),
    "programs.codeversion": ("programs:version_detail", "code.view"),
    "complaints.case": ("complaints:case_detail", "cases.view"),
    "audits.audit": ("audits:audit_detail", "audits.view"),
    "audits.finding": ("audits:finding_detail", "audits.view"),
    "audits.correctiveactionplan": ("audits:cap_detail", "audits.view"),
    "audits.capitem": ("audits:cap_item_detail", "audits.view"),
    "audits.report": ("audits:report_detail", "audits.view"),
    "enforcement.violation": ("enforcement:violation_detail", "enforcement.view"),
    "enforcement.buyerobligation": ("enforcement:obligation_detail", "enforcement.view"),
}


def _humanize(code):
    return code.replace("_", " ").strip()


def event_label(verb):
    """``obligation.attested`` → "Obligation: attested" (translated)."""
    record, _sep, action = verb.partition(".")
    record_word = RECORD_WORDS.get(record) or _humanize(record).capitalize()
    action_word = ACTION_WORDS.get(action) or _humanize(action)
    if not action_word:
        return str(record_word)
    return _("%(record)s: %(action)s") % {"record": record_word, "action": action_word}


def _record_name(obj):
    # A record's own name where it has one; str() for the rest (each model's __str__
    # is written for people).
    for attr in ("title", "legal_name", "name", "reference", "required"):
        value = getattr(obj, attr, None)
        if isinstance(value, str) and value.strip():
            text = value.strip()
            return text if len(text) <= 80 else text[:79] + "…"
    return str(obj)


def describe_events(events, *, program, user):
    """Each event with ``label`` (what happened, in words), ``record`` (the record's
    kind and name) and ``record_url`` (its page, only when ``user`` may open it).
    One query per kind of record shown, whatever the number of events."""
    from core import authz

    events = list(events)
    wanted = {}
    for event in events:
        if event.object_type in RECORD_PAGES and event.object_id.isdigit():
            wanted.setdefault(event.object_type, set()).add(int(event.object_id))
    found = {}
    for label, ids in wanted.items():
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        found[label] = model.objects.filter(program=program).in_bulk(ids)
    allowed = {}
    for event in events:
        event.label = event_label(event.verb)
        event.record = None
        event.record_url = ""
        label = event.object_type
        obj = found.get(label, {}).get(int(event.object_id)) if label in found else None
        try:
            kind = apps.get_model(label)._meta.verbose_name if "." in label else ""
        except LookupError:
            kind = ""
        if obj is None:
            event.record = str(kind).capitalize() if kind else ""
            continue
        event.record = f"{str(kind).capitalize()} “{_record_name(obj)}”"
        url_name, action = RECORD_PAGES[label]
        if action not in allowed:
            allowed[action] = authz.can(user, program, action)
        if allowed[action]:
            try:
                event.record_url = reverse(url_name, kwargs={"program": program.slug, "pk": obj.pk})
            except NoReverseMatch:
                event.record_url = ""
    return events
