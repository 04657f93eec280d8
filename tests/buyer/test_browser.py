"""The officer's journey in a real browser: log in, see the overdue obligation
highlighted, attest it with a file, and watch the overdue count drop."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from core.roles import Role
from enforcement import services as enforcement_services
from enforcement.models import BuyerObligation, ObligationState
from tests.conftest import browser_login

from .helpers import make_obligation

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_officer_attests_an_overdue_obligation(personas, browser_page):
    a = personas.a
    month_ago = timezone.now() - datetime.timedelta(days=30)
    with time_machine.travel(month_ago, tick=False):
        late = make_obligation(a)
    enforcement_services.obligation_mark_overdue(obligation_id=late.pk)
    upcoming = make_obligation(a)

    page = browser_page
    browser_login(page, a.user(Role.BUYER_OFFICER))  # lands on /p/, which sends officers on
    page.wait_for_url("**/buyer/")

    assert page.inner_text("[data-count=overdue]") == "1"
    assert page.inner_text("[data-count=open]") == "2"
    late_row = page.locator(f"tr[data-obligation='{late.pk}']")
    assert "overdue" in late_row.get_attribute("class")
    assert "Overdue" in late_row.inner_text()
    upcoming_row = page.locator(f"tr[data-obligation='{upcoming.pk}']")
    assert "overdue" not in (upcoming_row.get_attribute("class") or "")
    # The highlight is visible, not just a class name: the row has a tinted background.
    background = late_row.locator("td").first.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")

    late_row.get_by_role("link", name="Act").click()
    page.wait_for_url(f"**/buyer/obligations/{late.pk}/")
    page.fill("textarea[name=note]", "All purchase orders with the supplier put on hold.")
    page.set_input_files(
        "input[name=evidence]",
        files=[{"name": "po-hold.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.get_by_role("button", name="Attest fulfilment").click()
    page.wait_for_url(f"**/buyer/obligations/{late.pk}/")
    assert "Fulfilment attested" in page.inner_text("main")

    page.get_by_role("link", name="Overview").click()
    page.wait_for_url("**/buyer/")
    # Attested is not fulfilled: still open, and still late until the worker
    # organization verifies it (issue 17, defect 6).
    assert page.inner_text("[data-count=overdue]") == "1"
    assert page.inner_text("[data-count=open]") == "2"

    late.refresh_from_db()
    assert late.state == ObligationState.ATTESTED
    assert late.evidence_sha256
    assert BuyerObligation.objects.get(pk=upcoming.pk).state == ObligationState.PENDING
