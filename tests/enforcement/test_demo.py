from django.contrib.auth import get_user_model

from enforcement import demo, selectors
from enforcement.models import Violation
from programs.models import Membership
from wsr.actors import SystemActor


def test_demo_seed_is_idempotent(a):
    members = {
        m.role: m.user for m in Membership.objects.filter(program=a.program).select_related("user")
    }
    # The persona world has one facility; the demo needs three.
    from programs import services as ps

    for i in range(2):
        ps.facility_create(
            actor=SystemActor("t"),
            program=a.program,
            supplier=a.supplier,
            name=f"Extra farm {i}",
            address="Road",
            country="US",
        )
    demo.seed(program=a.program, members=members)
    counts = Violation.objects.count(), len(selectors.reconciliation(program=a.program))
    demo.seed(program=a.program, members=members)
    assert (Violation.objects.count(), len(selectors.reconciliation(program=a.program))) == counts
    assert counts[0] >= 4
    assert get_user_model().objects.exists()
