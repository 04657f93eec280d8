"""Who may do what: every role rule of the platform, as data, and the one function that
reads it.

``ACTIONS`` maps an action ("case.assign", "violation.confirm", "audits.view") to a
``Rule``: the membership roles that hold it broadly, optionally a django-guardian grant
on the object that also gives it (to the roles in ``grant_roles``), and optionally a
program policy hook that replaces the fixed role set (the roles a program lets confirm
violations). ``can()`` answers yes/no; ``require_member()`` is the first line of every
service and raises ``Forbidden`` (a 403 in the API and the pages). Views, templates and
serializers take their ``can_*`` flags from ``can()`` (the ``can`` template tag), so a
control is shown exactly when its action is allowed.

Object rules beyond role and grant (a case's own access rules, an officer's own buyer,
an auditor's facility) stay in the service after this line: the table decides the role,
the service the record.

``docs/security.md`` holds the generated role x action matrix
(``manage.py authz_matrix --write``; a test checks it matches this table).
"""

from dataclasses import dataclass

from core.actors import PublicActor, SystemActor
from core.errors import DomainError
from core.models import get_membership_model
from core.roles import Role

A, S, I, AU, B, V = (  # noqa: E741 (short names keep the table readable)
    Role.ADMIN,
    Role.STAFF,
    Role.INVESTIGATOR,
    Role.AUDITOR,
    Role.BUYER_OFFICER,
    Role.VIEWER,
)
INTERNAL = frozenset({A, S, I, AU, V})
MANAGE = frozenset({A, S})
ADMIN = frozenset({A})


class Forbidden(DomainError):
    """The actor may not do this here. The API answers 403 (core.api), pages 403."""

    code = "forbidden"


@dataclass(frozen=True)
class Rule:
    roles: frozenset
    # A guardian permission ("app.codename") on ``obj`` that also allows the action, to
    # members whose role is in ``grant_roles``.
    grant: str | None = None
    grant_roles: frozenset = INTERNAL
    # Dotted path of ``f(program) -> set of roles`` replacing ``roles`` (program policy).
    policy: str | None = None
    # Dotted path of ``f(user, program, obj) -> bool`` narrowing the roles in
    # ``scoped_roles`` to some records (an auditor: where they audit). Asked only when the
    # caller names the record; without one, the answer is the role's.
    scope: str | None = None
    scoped_roles: frozenset = frozenset()
    # Dotted path of ``f(user, program, obj, membership) -> str | None``: a further
    # condition on the record, asked after role and grant allowed (identity custody: a
    # second person's approval). It returns why it refuses, or None to let through.
    gate: str | None = None
    # The user's own account (second factors, API tokens, sessions): outside every
    # program, any active logged-in user, and only on their own records (``obj`` is the
    # user, or a record with ``user_id``).
    own_account: bool = False
    label: str = ""


# Hooks the apps register at start-up (their AppConfig.ready): the kernel names them and
# imports no app.
AUDITOR_REACH = "auditor_reach"
IDENTITY_CUSTODY = "identity_custody"
IDENTITY_CUSTODIAN = "identity_custodian"
ALL = frozenset({A, S, I, AU, B, V})


def _r(roles, label, **kw):
    return Rule(roles=frozenset(roles), label=label, **kw)


ACTIONS: dict[str, Rule] = {
    # ---- programs: the program, its members, parties and agreements, the code
    "program.update": _r(ADMIN, "Change the program's settings"),
    "members.view": _r(MANAGE, "See the member list"),
    "member.invite": _r(ADMIN, "Invite members"),
    "member.change": _r(ADMIN, "Change a member's role or deactivate them"),
    "parties.view": _r(INTERNAL, "See suppliers, facilities and buyers"),
    "supplier.manage": _r(MANAGE, "Create and edit suppliers"),
    "facility.manage": _r(MANAGE, "Create and edit facilities"),
    "buyer.manage": _r(MANAGE, "Create and edit buyers"),
    "sourcing.manage": _r(MANAGE, "Record and end sourcing relationships"),
    "registry.import": _r(
        MANAGE,
        "Import suppliers, facilities and sourcing from a file; decide matches; load"
        " an Open Supply Hub download",
    ),
    "agreements.view": _r(
        {A, S, I, AU, B, V},
        "See agreements (drafts: admin, staff, viewer; officers: their buyer's)",
        grant="programs.view_agreement",
        grant_roles=frozenset({I, AU, B}),
    ),
    "agreement_drafts.view": _r(
        {A, S, V},
        "See draft agreements under negotiation",
        grant="programs.view_agreement",
        grant_roles=frozenset({I, AU, B}),
    ),
    "agreement.manage": _r(MANAGE, "Create, edit, sign and change agreements"),
    "agreement.share": _r(MANAGE, "Share an agreement with a member"),
    "code.view": _r(INTERNAL, "See the code and its versions"),
    "code.edit": _r(MANAGE, "Draft code versions and edit provisions"),
    "code.ratify": _r(ADMIN, "Ratify a code version"),
    # ---- complaints
    "cases.view": _r(
        INTERNAL,
        "See cases (investigators, auditors, viewers: those granted to them)",
    ),
    "complaint.log": _r(MANAGE, "Log a complaint (hotline, in person, SMS)"),
    "case.manage": _r(MANAGE, "Acknowledge, triage, assign, share, close, reopen a case"),
    "case.work": _r(
        MANAGE,
        "Investigate a case: notes, messages, evidence, interviews, findings",
        grant="complaints.investigate_case",
    ),
    "case.identity": _r(
        ADMIN,
        "See the complainant's identity (under custody, others than admins: with a custodian's approval)",
        grant="complaints.view_complainant_identity",
        grant_roles=frozenset({S, I, AU, V}),
        # Under identity custody anyone but an admin also needs a custodian's approval
        # for that case (complaints/custody.py).
        gate=IDENTITY_CUSTODY,
    ),
    "case.identity_request": _r(
        ADMIN,  # an admin is told no approval is needed
        "Ask a custodian to approve seeing a complainant's identity (under custody)",
        grant="complaints.view_complainant_identity",
        grant_roles=frozenset({S, I, AU, V}),
    ),
    "identity_request.decide": _r(
        INTERNAL,
        "Approve or decline an identity request (the program's custodians only)",
        gate=IDENTITY_CUSTODIAN,
    ),
    "custody.set": _r(ADMIN, "Turn identity custody on or off and name the custodians"),
    "case.identity_purge": _r(ADMIN, "Erase a complainant's identity"),
    "identity_keys.rotate": _r(ADMIN, "Re-encrypt identities with a new key"),
    "complaint_policy.set": _r(MANAGE, "Change the complaint clocks and retention"),
    "channel.manage": _r(ADMIN, "Connect or stop the program's SMS, WhatsApp and voice numbers"),
    # ---- audits
    "audits.view": _r(INTERNAL, "See audits (auditors: their own)"),
    "audit_policy.update": _r(ADMIN, "Change the audit settings"),
    "audit.create": _r({A, S, AU}, "Plan an audit"),
    "audit.edit": _r(
        MANAGE,
        "Edit an audit, record findings, change its status",
        grant="audits.view_audit",
        grant_roles=frozenset({AU}),
    ),
    "audit.team": _r(MANAGE, "Add or remove auditors of an audit"),
    "audit_finding.refer": _r(MANAGE, "Refer an audit finding for a violation"),
    "audit.evidence": _r(
        {A, S, AU},
        "Attach audit or CAP evidence (auditors: where they audit)",
        scope=AUDITOR_REACH,
        scoped_roles=frozenset({AU}),
    ),
    "cap_item.create": _r({A, S, AU}, "Add a corrective action item"),
    "cap_item.update": _r(
        {A, S, AU},
        "Follow a CAP item up, comment, verify (auditors: where they audit)",
        scope=AUDITOR_REACH,
        scoped_roles=frozenset({AU}),
    ),
    "cap_item.deadline": _r(MANAGE, "Change a CAP item's deadline"),
    "education.record": _r({A, S, AU}, "Record a worker-education session"),
    "report.request": _r(MANAGE, "Request a PDF report"),
    # ---- enforcement
    "enforcement.view": _r(INTERNAL, "See violations, sanctions, standings, obligations"),
    "violation.propose": _r({A, S, I, AU}, "Propose a violation"),
    "violation.confirm": _r(
        ADMIN,
        "Confirm a violation (admin, and the roles the program names)",
        policy="confirm_roles",
    ),
    "violation.dismiss": _r(
        {A, S},
        "Dismiss a proposed violation (staff, and the confirming roles)",
        policy="dismiss_roles",
    ),
    "escalation.decide": _r(
        ADMIN,
        "Approve or decline a business-ending escalation a job proposed (the confirming roles)",
        policy="confirm_roles",
    ),
    "violation.remediate": _r(MANAGE, "Record remediation of a violation"),
    "standing.reinstate": _r(ADMIN, "Reinstate a supplier"),
    "obligation.waive": _r(ADMIN, "Waive a buyer's obligation"),
    "obligation.verify": _r(MANAGE, "Verify or reject a buyer's attestation of an obligation"),
    "policy.edit": _r(ADMIN, "Draft, edit and ratify the consequence ladder"),
    "agreement_policy.bind": _r(MANAGE, "Bind an agreement to a ladder"),
    "enforcement_settings.update": _r(ADMIN, "Change the enforcement settings"),
    "ledger.view": _r(INTERNAL, "See the premium ledger and reconciliation"),
    "ledger.record": _r(MANAGE, "Record and import purchases, payments, payroll"),
    # ---- the buyer portal (/buyer/): an officer, for their own buyer's records
    "portal.view": _r({B}, "Use the buyer portal (own buyer only)"),
    "obligation.respond": _r({B}, "Acknowledge and attest an obligation (own buyer only)"),
    "purchases.report": _r({B}, "Report purchase volumes and premium payments (own buyer only)"),
    # ---- everything at once
    "export.run": _r(ADMIN, "Export the program's data"),
    "dashboard.view": _r(INTERNAL, "See the workspace dashboard"),
    # ---- the user's own account (/accounts/), outside any program
    "account.mfa": _r(
        ALL, "Set up and remove one's own second factors and recovery codes", own_account=True
    ),
    "account.tokens": _r(ALL, "Create and revoke one's own API tokens", own_account=True),
    "account.sessions": _r(ALL, "See and end one's own sessions", own_account=True),
    "member.sessions_end": _r(ADMIN, "End every session of a member of the program"),
    # No member: what only the system (tasks, beat) does.
    "escalation.advance": _r((), "Advance a supplier's escalation (system only)"),
}


_HOOKS = {}


def register_hook(name, func):
    """An app provides a rule's program policy (the roles a program lets confirm) or
    object scope (where an auditor may act), from its AppConfig.ready()."""
    _HOOKS[name] = func


def _hook(name):
    return _HOOKS[name]


def roles_for(program, action):
    """The roles that hold ``action`` in ``program`` (policy hook applied)."""
    rule = ACTIONS[action]
    if rule.policy and program is not None:
        return frozenset(_hook(rule.policy)(program))
    return rule.roles


def roles_for_many(programs, action):
    """{program id: the roles that hold ``action`` there} for several programs at once:
    through the policy's ``<name>:many`` hook when the app gives one (one query for all
    the programs, however many a user belongs to), else one ``roles_for`` each."""
    rule = ACTIONS[action]
    programs = list(programs)
    if not rule.policy:
        return {p.pk: rule.roles for p in programs}
    many = _HOOKS.get(f"{rule.policy}:many")
    if many is not None:
        return {pk: frozenset(roles) for pk, roles in many(programs).items()}
    return {p.pk: roles_for(p, action) for p in programs}


def membership_for(actor, program):
    """The actor's active membership of ``program``, or None. Not cached: a member
    deactivated a moment ago is refused at once."""
    if not getattr(actor, "is_authenticated", False) or program is None:
        return None
    return (
        get_membership_model()
        .objects.filter(user=actor, program_id=program.pk, is_active=True)
        .select_related("buyer")
        .first()
    )


def _granted(actor, perm, obj):
    from django.db import models
    from guardian.core import ObjectPermissionChecker

    app, _, codename = perm.partition(".")
    if not isinstance(obj, models.Model) or obj._meta.app_label != app:
        return False
    return ObjectPermissionChecker(actor).has_perm(codename, obj)


def can(actor, program, action, obj=None, *, membership=None):
    """May ``actor`` do ``action`` in ``program`` (on ``obj``)? Never raises for a
    refusal. ``membership``: the actor's membership if the caller already holds it."""
    return _decide(actor, program, action, obj, membership) is None


_ROLE = "role"  # refused by the table (the reason is the table's: ``refusal()``)


def _decide(actor, program, action, obj=None, membership=None):
    """None when allowed; else ``_ROLE`` (the table refuses) or a gate's own reason."""
    if action not in ACTIONS:
        raise KeyError(f"Unknown action '{action}': add it to core.authz.ACTIONS.")
    if isinstance(actor, SystemActor):
        return None
    if isinstance(actor, str | PublicActor) or actor is None:
        return _ROLE
    if getattr(actor, "is_superuser", False) and getattr(actor, "is_active", False):
        # The platform operator, in the Django admin site (inviting members, changing a
        # program). Pages and the API never get this far without a membership
        # (core.tenancy.resolve_membership answers 404 first).
        return None
    rule = ACTIONS[action]
    if rule.own_account:
        if not getattr(actor, "is_active", False):
            return _ROLE
        return None if obj is None or _owner_id(obj) == actor.pk else _ROLE
    if (
        obj is not None
        and program is not None
        and getattr(obj, "program_id", program.pk) != (program.pk)
    ):
        return _ROLE
    if membership is None or membership.user_id != actor.pk:
        membership = membership_for(actor, program)
    if membership is None or not membership.is_active or membership.program_id != program.pk:
        return _ROLE
    if membership.role in roles_for(program, action):
        if (
            rule.scope
            and obj is not None
            and membership.role in rule.scoped_roles
            and not _hook(rule.scope)(actor, program, obj)
        ):
            return _ROLE
    elif not (
        rule.grant
        and obj is not None
        and membership.role in rule.grant_roles
        and _granted(actor, rule.grant, obj)
    ):
        return _ROLE
    if rule.gate:
        return _hook(rule.gate)(actor, program, obj, membership)
    return None


def _owner_id(obj):
    from django.contrib.auth import get_user_model

    return obj.pk if isinstance(obj, get_user_model()) else getattr(obj, "user_id", None)


_PLURAL = {
    A: "admins",
    S: "staff",
    I: "investigators",
    AU: "auditors",
    B: "buyer officers",
    V: "viewers",
}


def refusal(program, action):
    """The sentence a refused member reads: who may, and what."""
    rule = ACTIONS[action]
    if rule.own_account:
        return "You can only manage your own credentials."
    roles = [_PLURAL[r] for r in Role.values if r in roles_for(program, action)]
    who = " and ".join([", ".join(roles[:-1]), roles[-1]] if len(roles) > 1 else roles)
    if rule.grant:
        who = f"{who} (or a member it was granted to)" if who else "members it was granted to"
    what = (rule.label or action)[0].lower() + (rule.label or action)[1:]
    if not who:
        return f"No member may do this ({what}): the platform does it."
    return f"Only {who} may do this: {what}."


def require_member(actor, program, action, obj=None):
    """The first line of every service: raise ``Forbidden`` unless ``can()``."""
    why = _decide(actor, program, action, obj)
    if why == _ROLE:
        raise Forbidden(refusal(program, action))
    if why is not None:
        raise Forbidden(why)


_ABBR = {A: "admin", S: "staff", I: "investigator", AU: "auditor", B: "buyer officer", V: "viewer"}


def matrix_markdown():
    """The role x action table as Markdown (docs/security.md): ✓ by role, "own" for the
    user's own account (any logged-in user), "grant" when only a per-object grant gives it, "policy" when the program's policy may add the role,
    blank when refused. Policy hooks are shown at their defaults."""
    roles = list(Role.values)
    lines = [
        "| action | what | " + " | ".join(_ABBR[r] for r in roles) + " |",
        "|---|---|" + "---|" * len(roles),
    ]
    for name, rule in ACTIONS.items():
        cells = []
        for role in roles:
            if rule.own_account:
                cells.append("own")
            elif role in rule.roles and role in rule.scoped_roles:
                cells.append("scoped")
            elif role in rule.roles:
                cells.append("✓")
            elif rule.grant and role in rule.grant_roles:
                cells.append("grant")
            elif rule.policy and role != B:
                cells.append("policy")
            else:
                cells.append("")
        lines.append(f"| `{name}` | {rule.label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
