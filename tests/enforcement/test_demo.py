from core.actors import SystemActor
from core.models import AuditEvent
from enforcement import demo
from enforcement.models import BuyerObligation, ObligationState, Violation, ViolationState
from premiums import demo as premiums_demo
from premiums import selectors as premiums_selectors
from programs import services as program_services
from programs.models import Membership


def test_demo_seed_builds_its_story_once(a):
    members = {
        m.role: m.user for m in Membership.objects.filter(program=a.program).select_related("user")
    }
    # The persona world has one facility; the demo needs three.
    for i in range(2):
        program_services.facility_create(
            actor=SystemActor("t"),
            program=a.program,
            supplier=a.supplier,
            name=f"Extra farm {i}",
            address="Road",
            country="US",
        )
    demo.seed(program=a.program, members=members)
    premiums_demo.seed(program=a.program, members=members)  # the ledger's part (demo/seed.py)

    # The history the module promises: one violation in each state of the story.
    states = dict(
        Violation.objects.filter(program=a.program, source_kind="manual").values_list(
            "source_ref", "state"
        )
    )
    assert states == {
        "DEMO-INV-001": ViolationState.CONSEQUENCES_APPLIED,
        "DEMO-AUD-014": ViolationState.CONSEQUENCES_APPLIED,
        "DEMO-INV-002": ViolationState.PROPOSED,
        "DEMO-INV-003": ViolationState.DISMISSED,
    }
    # The buyer officer's company attested its obligation on the suspension; the staff
    # have it in their queue to verify (issue 17, defect 6).
    suspended = Violation.objects.get(program=a.program, source_ref="DEMO-INV-001")
    mine = BuyerObligation.objects.filter(violation=suspended, buyer=a.buyer)
    assert list(mine.values_list("state", flat=True)) == [ObligationState.ATTESTED]
    assert len(premiums_selectors.reconciliation(program=a.program)) > 0

    # A second run finds every step done: nothing new, not even an audit event.
    counts = (
        Violation.objects.count(),
        BuyerObligation.objects.count(),
        AuditEvent.objects.count(),
        len(premiums_selectors.reconciliation(program=a.program)),
    )
    demo.seed(program=a.program, members=members)
    premiums_demo.seed(program=a.program, members=members)  # the ledger's part (demo/seed.py)
    assert (
        Violation.objects.count(),
        BuyerObligation.objects.count(),
        AuditEvent.objects.count(),
        len(premiums_selectors.reconciliation(program=a.program)),
    ) == counts
