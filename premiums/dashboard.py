"""The premium ledger's dashboard panel (see programs.views.collect_panels)."""

from . import selectors


def panels(*, program, membership):
    return [
        {
            "template": "premiums/panel_premiums.html",
            "paid_to_workers": selectors.premium_paid_to_workers(program=program),
            "currency": selectors.premium_currency(program=program),
        }
    ]
