"""Dashboard panels contributed by enforcement (see programs.views.collect_panels)."""

from enforcement.models import Standing, ViolationState

from . import selectors


def panels(*, program, membership):
    counts = selectors.obligation_counts(program=program)
    standings = selectors.supplier_standings(program=program)
    return [
        {
            "template": "enforcement/panel_enforcement.html",
            "proposed": selectors.violation_list(
                program=program, state=ViolationState.PROPOSED
            ).count(),
            "overdue": counts.get("overdue", 0),
            # Buyers' attestations waiting for the worker organization's check.
            "attested": counts.get("attested", 0),
            "open": counts.get("pending", 0) + counts.get("acknowledged", 0),
            "breached": counts.get("breached", 0),
            "suspended": sum(
                1
                for s in standings.values()
                if s["standing"] in (Standing.SUSPENDED, Standing.TERMINATED)
            ),
        }
    ]
