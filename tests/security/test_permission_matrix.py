"""The permission matrix (``core.authz.ACTIONS``) against what the code does.

- the generated matrix in docs/security.md is the table;
- every service of programs/, complaints/, audits/, enforcement/ that takes an actor
  calls ``require_member`` first, with an action of the table;
- every service refuses, before touching anything, each role the table refuses, a
  member of another program, an outsider and a bare string, and lets the system through;
- every route (tests/security/route_actions.py), GET and POST, as every role of program
  A: allowed → not 403/404; refused → 403/404/405 and no audit event written.
"""

import ast
import inspect
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from audits.models import Audit, CAPItem, EvidenceFile
from audits.models import Finding as AuditFinding
from complaints.models import Case, Evidence
from complaints.models import Finding as CaseFinding
from core import authz
from core.actors import SystemActor
from core.management.commands.authz_matrix import BEGIN, END, doc_path, with_matrix
from core.models import AuditEvent
from core.roles import Role
from programs.models import Agreement
from tests.security.route_actions import ACCOUNT_ROUTE_ACTIONS, OPEN, ROUTE_ACTIONS
from tests.test_route_isolation import (  # noqa: F401 (fixtures)
    PRIVATE_ROUTES,
    iso,  # noqa: F811
    iso_world,
)

pytestmark = pytest.mark.django_db

SERVICE_MODULES = [
    "programs/services.py",
    "complaints/services/intake.py",
    "complaints/services/triage.py",
    "complaints/services/transitions.py",
    "complaints/services/identity.py",
    "complaints/custody.py",
    "complaints/services/case_file.py",
    "complaints/services/policy.py",
    "complaints/channels/services.py",
    "audits/services/audits.py",
    "audits/services/caps.py",
    "audits/services/education.py",
    "audits/services/reporting.py",
    "enforcement/services/violations.py",
    "enforcement/services/obligations.py",
    "enforcement/services/policy.py",
    "premiums/services.py",
    "exports/jobs.py",
]
# Services that take an actor but are not a member's action: creating a program is the
# platform operator's (management command / admin), the complainant acts by receipt code.
NOT_MEMBER_SERVICES = {"program_create"}
# The user's own account: checked first like the rest (statically here); who may is
# "the user themself", walked in test_account_services_refuse_another_users_records.
ACCOUNT_SERVICE_MODULES = ["accounts/services.py"]


def test_security_doc_holds_the_generated_matrix():
    text = doc_path().read_text()
    assert BEGIN in text and END in text
    assert with_matrix(text) == text, "run: manage.py authz_matrix --write"


def _services(modules=SERVICE_MODULES):
    """(module path, function node) of every public service taking ``actor``."""
    for rel in modules:
        tree = ast.parse((Path(settings.BASE_DIR) / rel).read_text())
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
                continue
            if "actor" in [a.arg for a in node.args.kwonlyargs]:
                yield rel, node


def _first_check(node):
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    first = body[0] if body else None
    if isinstance(first, ast.If):  # complaint_submit: the public form has no membership
        first = first.body[0]
    if not isinstance(first, ast.Expr) or not isinstance(first.value, ast.Call):
        return None
    call = first.value
    name = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
    return call if name == "require_member" else None


def test_every_service_checks_first():
    missing, unknown = [], []
    services = list(_services())
    assert len(services) > 60
    services += list(_services(ACCOUNT_SERVICE_MODULES))
    for rel, node in services:
        if node.name in NOT_MEMBER_SERVICES:
            continue
        call = _first_check(node)
        if call is None:
            missing.append(f"{rel}::{node.name}")
            continue
        for action in _actions_named(call.args[2]):
            if action not in authz.ACTIONS:
                unknown.append(f"{rel}::{node.name} -> {action}")
    assert not missing, "services without require_member first:\n" + "\n".join(missing)
    assert not unknown, "\n".join(unknown)


def _actions_named(arg):
    if isinstance(arg, ast.Constant):
        return [arg.value]
    if isinstance(arg, ast.IfExp):
        return _actions_named(arg.body) + _actions_named(arg.orelse)
    raise AssertionError(f"action must be a literal: {ast.dump(arg)}")


# ---------------------------------------------------------------- services refuse first


class _Stub:
    """Any record of program A: enough for the first line of a service, nothing more (a
    service that got past its check would fail on it, which the test tells apart)."""

    def __init__(self, program):
        self.program = program
        self.program_id = program.pk
        self.pk = self.id = 0

    def __getattr__(self, name):
        if name in ("audit", "case"):  # the parent a first line may name (finding.audit)
            return _Stub(self.program)
        raise _PastTheCheck(name)


class _PastTheCheck(Exception):
    pass


def _call_kwargs(fn, program, actor):
    kwargs = {}
    for name, param in inspect.signature(fn).parameters.items():
        if param.kind is not param.KEYWORD_ONLY or param.default is not param.empty:
            continue
        kwargs[name] = program if name == "program" else _Stub(program)
    kwargs["actor"] = actor
    return kwargs


def _service_functions():
    import importlib

    for rel, node in _services():
        if node.name in NOT_MEMBER_SERVICES:
            continue
        module = importlib.import_module(rel.removesuffix(".py").replace("/", "."))
        call = _first_check(node)
        yield node.name, getattr(module, node.name), _actions_named(call.args[2])


def test_every_service_refuses_whom_the_matrix_refuses(personas):
    a, b = personas.a, personas.b
    program = a.program
    wrong = []
    for name, fn, actions in _service_functions():
        # Who the table refuses (for every action the service may ask for), by role.
        refused_roles = [
            r for r in Role.values if not any(r in authz.roles_for(program, x) for x in actions)
        ]
        strangers = [
            ("outsider", personas.outsider),
            ("B's admin", b.user(Role.ADMIN)),
            ("a string", "system"),
        ]
        for label, actor in [*((r, a.user(r)) for r in refused_roles), *strangers]:
            before = AuditEvent.objects.count()
            try:
                fn(**_call_kwargs(fn, program, actor))
            except authz.Forbidden:
                pass
            except Exception as exc:  # noqa: BLE001 (any other outcome is the finding)
                wrong.append(f"{name} as {label}: {type(exc).__name__} (not refused first)")
            else:
                wrong.append(f"{name} as {label}: ran")
            assert AuditEvent.objects.count() == before
        # Roles the table allows, and the system, get past the first line.
        allowed = [r for r in Role.values if r not in refused_roles]
        for label, actor in [*((r, a.user(r)) for r in allowed), ("system", SystemActor("t"))]:
            try:
                fn(**_call_kwargs(fn, program, actor))
            except authz.Forbidden as exc:
                if not _grant_only(program, actions, label) and not _gated(actions):
                    wrong.append(f"{name} as {label}: refused ({exc.message})")
            except Exception:  # noqa: BLE001, S110 (past the check: the stub stops it)
                pass
    assert not wrong, "\n".join(wrong)


def _gated(actions):
    """A gate asks about more than the role (identity custody: is the member a
    custodian), which a stub cannot answer yes to."""
    return any(authz.ACTIONS[x].gate for x in actions)


def _grant_only(program, actions, role):
    """The role holds every action only through an object grant (the stub has none)."""
    return all(role not in authz.roles_for(program, x) and authz.ACTIONS[x].grant for x in actions)


# ---------------------------------------------------------------- every route, every role


def test_every_route_names_its_action():
    missing = [name for name, _ in PRIVATE_ROUTES if name not in ROUTE_ACTIONS]
    assert not missing, "add to tests/security/route_actions.py: " + ", ".join(missing)
    for name, (get, post) in ROUTE_ACTIONS.items():
        for action in (get, post):
            assert action in (None, OPEN) or action in authz.ACTIONS, (name, action)


def _object_for(name, kwargs):
    """The record a grant would be on, for actions that have grants."""
    pk, case_pk = kwargs.get("pk"), kwargs.get("case_pk")
    app = name.split(":")[0]
    if app.startswith("complaints"):
        if name == "complaints:identity_request_decide":  # the pk is a request's
            return None
        if case_pk:
            return Case.objects.get(pk=case_pk)
        if "evidence_download" in name:
            return Evidence.objects.get(pk=pk).case
        if name == "complaints:finding_add":  # the pk is the case's
            return Case.objects.get(pk=pk)
        if "finding" in name:
            return CaseFinding.objects.get(pk=pk).case if pk else None
        return Case.objects.filter(pk=pk).first()
    if app.startswith("audits"):
        if "cap_item" in name or "cap-item" in name:
            return CAPItem.objects.filter(pk=pk).first()
        if "evidence_download" in name:
            ev = EvidenceFile.objects.get(pk=pk)
            return ev.finding.audit if ev.finding_id else None
        if name == "audits:finding_create":  # the pk is the audit's
            return Audit.objects.get(pk=pk)
        if "finding" in name:
            return AuditFinding.objects.get(pk=pk).audit if pk else None
        return Audit.objects.filter(pk=pk).first()
    if "agreement" in name and pk:
        return Agreement.objects.get(pk=pk)
    return None


def _expect(user, program, action, obj):
    if action == "agreements.view" and isinstance(obj, Agreement) and obj.status == "draft":
        action = "agreement_drafts.view"
    rule = authz.ACTIONS[action]
    if obj is None and rule.grant and not authz.can(user, program, action):
        membership = authz.membership_for(user, program)
        if membership and membership.role in rule.grant_roles:
            return None  # depends on a record named in the body (a finding on own audit)
    return authz.can(user, program, action, obj)


ROUTES = [r for r in PRIVATE_ROUTES if r[0] in ROUTE_ACTIONS]


@pytest.mark.parametrize("name,kwarg_names", ROUTES, ids=[r[0] for r in ROUTES])
def test_route_answers_follow_the_matrix(name, kwarg_names, iso, client_for):  # noqa: F811
    personas, samples = iso
    a = personas.a
    kwargs = dict(samples.get(name, {}))
    if "program" in kwarg_names:
        kwargs["program"] = a.slug
    url = reverse(name, kwargs=kwargs)
    get_action, post_action = ROUTE_ACTIONS[name]
    obj = _object_for(name, kwargs)
    wrong = []
    for role, user in a.members.items():
        client = client_for(user)
        for method, action in (("get", get_action), ("post", post_action)):
            if action == OPEN:
                continue
            before = AuditEvent.objects.count()
            response = getattr(client, method)(url)
            status = response.status_code
            if action is None:
                if status not in (403, 404, 405):
                    wrong.append(f"{role} {method.upper()}: {status}, expected 403/404/405")
                continue
            allowed = _expect(user, a.program, action, obj)
            if allowed is None:
                continue
            if allowed and status in (403, 404):
                wrong.append(f"{role} {method.upper()}: {status}, but may {action}")
            elif not allowed:
                if status not in (403, 404, 405):
                    wrong.append(f"{role} {method.upper()}: {status}, but may not {action}")
                if AuditEvent.objects.count() != before:
                    wrong.append(f"{role} {method.upper()}: refused but wrote an audit event")
    assert not wrong, f"{url} ({get_action} / {post_action}):\n" + "\n".join(wrong)


# ---------------------------------------------------------------- the user's own account


@pytest.mark.parametrize("name", sorted(ACCOUNT_ROUTE_ACTIONS))
def test_account_routes_answer_every_logged_in_user(name, iso, client_for):  # noqa: F811
    """/accounts/ pages are the user's own (second factors, tokens, sessions): every
    role of a program and a user of no program may use them; anonymous is sent to log in."""
    personas, _ = iso  # the module's world (this module builds it once)
    url = reverse(name)
    get_action, post_action = ACCOUNT_ROUTE_ACTIONS[name]
    users = [*personas.a.members.items(), ("outsider", personas.outsider)]
    wrong = []
    for label, user in users:
        client = client_for(user)
        for method, action in (("get", get_action), ("post", post_action)):
            # An empty POST to the sessions page names no session (a 404 like any
            # missing record): ask for what the page's own button asks.
            data = {"action": "end_others"} if name == "accounts:sessions" else {}
            status = getattr(client, method)(url, data).status_code
            if action is None:
                if status not in (403, 404, 405):
                    wrong.append(f"{label} {method.upper()}: {status}, expected 403/404/405")
                continue
            assert authz.ACTIONS[action].own_account
            if not authz.can(user, None, action) or status in (403, 404, 405, 500):
                wrong.append(f"{label} {method.upper()}: {status}, but may {action}")
    assert client_for(None).get(url).status_code == 302
    assert not wrong, f"{url}:\n" + "\n".join(wrong)


def test_every_account_route_names_its_action():
    from tests.test_route_isolation import SELF_ROUTES

    accounts = {n for n in SELF_ROUTES if n.startswith("accounts:")}
    assert accounts == set(ACCOUNT_ROUTE_ACTIONS)


def test_account_services_refuse_another_users_records(iso):  # noqa: F811
    """Own-account actions: only on the actor's own records (another user's token,
    session or second factor is refused before anything changes); a bare string and a
    deactivated user are refused."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts import services as account_services
    from accounts.models import UserSession

    personas, _ = iso
    owner, other = personas.a.user(Role.STAFF), personas.b.user(Role.STAFF)
    token, _ = account_services.api_token_create(actor=owner, user=owner, name="ci")
    session = UserSession.objects.create(user=owner, session_key="k" * 32)
    device = TOTPDevice.objects.create(user=owner, name="app", confirmed=False)
    before = AuditEvent.objects.count()
    calls = [
        lambda a: account_services.api_token_create(actor=a, user=owner, name="x"),
        lambda a: account_services.api_token_revoke(actor=a, token=token),
        lambda a: account_services.session_end(actor=a, session=session),
        lambda a: account_services.sessions_end_all(actor=a, user=owner),
        lambda a: account_services.totp_confirm(actor=a, device=device, token="000000"),
        lambda a: account_services.mfa_device_remove(actor=a, device=device),
    ]
    for call in calls:
        for actor in (other, "system"):
            with pytest.raises(authz.Forbidden):
                call(actor)
    assert AuditEvent.objects.count() == before
    # An admin of another program may not end this member's sessions through theirs.
    with pytest.raises(authz.Forbidden):
        account_services.sessions_end_all(
            actor=personas.b.user(Role.ADMIN), user=owner, program=personas.a.program
        )
    assert UserSession.objects.filter(pk=session.pk).exists()
    owner.is_active = False
    owner.save()
    try:
        with pytest.raises(authz.Forbidden):
            account_services.api_token_revoke(actor=owner, token=token)
    finally:  # the module's world is shared: the row rolls back, the object must too
        owner.is_active = True
