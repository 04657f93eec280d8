from django.core import mail

from enforcement import selectors, services
from enforcement.models import ObligationState, Standing, ViolationState
from tests.enforcement.conftest import add_buyer, propose
from tests.utils import drain_mail


def test_confirm_then_apply_sanctions_supplier_and_obligates_buyers(
    a, django_capture_on_commit_callbacks
):
    add_buyer(a, "Third Buyer")
    add_buyer(a, "No Agreement Buyer", agreement=False)
    v = propose(a)
    assert v.state == ViolationState.PROPOSED
    with django_capture_on_commit_callbacks(execute=False):
        services.violation_confirm(actor=a.user("admin"), violation=v)
    with django_capture_on_commit_callbacks(execute=True):
        sanction = services.consequences_apply(violation=v)
    assert sanction.action == "suspension"
    assert services.consequences_apply(violation=v) is None
    standings = selectors.supplier_standings(program=a.program)
    assert standings[a.supplier.pk]["standing"] == Standing.SUSPENDED
    obligations = list(selectors.obligation_list(program=a.program))
    assert len(obligations) == 2
    assert {o.state for o in obligations} == {ObligationState.PENDING}
    # One mail per officer of the two obligated buyers and one per admin and staff.
    drain_mail()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "admin@alpha.example.org",
        "buyer_officer@alpha.example.org",
        "staff@alpha.example.org",
    ]
