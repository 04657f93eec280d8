"""Issue 17, defect 7: a buyer's officer reports purchase volumes (and premium paid) in
the portal, by a form or a CSV upload, through the premium ledger's import: all or
nothing, errors per row, only their own buyer's records."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.errors import DomainError
from core.models import AuditEvent
from core.roles import Role
from premiums import services
from premiums.models import LedgerImport, PremiumPayment, PurchaseReport
from tests.buyer.helpers import bind_other_buyer

JAN = {"period_start": "2026-01-01", "period_end": "2026-01-31"}


def csv_file(text, name="purchases.csv"):
    return SimpleUploadedFile(name, text.encode(), "text/csv")


def form_data(a, **extra):
    membership = a.user(Role.BUYER_OFFICER).memberships.get(program=a.program)
    data = {
        "supplier": f"{membership.pk}:{a.supplier.pk}",
        "period_start": JAN["period_start"],
        "period_end": JAN["period_end"],
        "volume": "10000",
        "unit": "lb",
    }
    data.update({k: v for k, v in extra.items()})
    return data


def test_premium_page_links_to_reporting_and_the_form_saves_report_and_payment(
    personas, client_for
):
    a = personas.a
    client = client_for(a.user(Role.BUYER_OFFICER))
    assert reverse("buyer:premium_report") in client.get(reverse("buyer:premium")).content.decode()
    page = client.get(reverse("buyer:premium_report"))
    assert page.status_code == 200
    assert page.context["report_form"]["unit"].value() == "lb"

    response = client.post(
        reverse("buyer:premium_report"),
        form_data(a, amount_paid="60.00", paid_on="2026-02-10", reference="WIRE-7"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    report = PurchaseReport.objects.get(program=a.program, buyer=a.buyer)
    assert report.volume == Decimal("10000") and report.premium_owed == Decimal("100.00")
    payment = PremiumPayment.objects.get(program=a.program, buyer=a.buyer)
    assert payment.amount == Decimal("60.00") and payment.reference == "WIRE-7"
    events = AuditEvent.objects.filter(program=a.program, verb="ledger.imported")
    assert events.count() == 2
    assert all(e.payload["buyer"] == a.buyer.pk for e in events)

    # The premium page is no longer empty.
    periods = client.get(reverse("buyer:premium")).context["periods"]
    assert [(p["owed"], p["paid"]) for p in periods] == [(Decimal("100.00"), Decimal("60.00"))]


def test_form_errors_are_shown_and_nothing_is_saved(personas, client_for):
    a = personas.a
    client = client_for(a.user(Role.BUYER_OFFICER))
    # The unit is wrong (the agreement's premium is per lb) and the payment is fine:
    # neither is saved.
    response = client.post(
        reverse("buyer:premium_report"),
        form_data(a, unit="kg", amount_paid="60.00", paid_on="2026-02-10"),
    )
    assert response.status_code == 400
    assert "the agreement&#x27;s premium is per lb" in response.content.decode().lower()
    assert response.context["report_form"].errors["unit"]
    assert not PurchaseReport.objects.exists() and not PremiumPayment.objects.exists()
    assert not LedgerImport.objects.exists()
    # A second report for the same period is refused.
    assert client.post(reverse("buyer:premium_report"), form_data(a)).status_code == 302
    again = client.post(reverse("buyer:premium_report"), form_data(a))
    assert again.status_code == 400
    assert "exists" in str(again.context["report_form"].errors)
    assert PurchaseReport.objects.count() == 1


def test_csv_upload_all_or_nothing_with_row_errors(personas, client_for):
    a = personas.a
    client = client_for(a.user(Role.BUYER_OFFICER))
    membership = a.user(Role.BUYER_OFFICER).memberships.get(program=a.program)
    bad = (
        "supplier,period_start,period_end,volume,unit\n"
        f"{a.supplier.legal_name},2026-01-01,2026-01-31,1000,lb\n"
        f"{a.supplier.legal_name},2026-02-01,2026-02-30,1000,lb\n"
        "Nobody Farms,2026-03-01,2026-03-31,-5,lb\n"
    )
    response = client.post(
        reverse("buyer:premium_upload"),
        {
            "membership": membership.pk,
            "kind": "purchase_reports",
            "file": csv_file(bad),
        },
    )
    assert response.status_code == 400
    errors = response.context["upload_errors"]
    assert {(e["row"], e["column"]) for e in errors} == {
        (3, "period_end"),
        (4, "supplier"),
        (4, "volume"),
    }
    html = response.content.decode()
    assert "Nothing was saved" in html and "2026-02-30" in html
    assert not PurchaseReport.objects.exists()

    good = (
        "supplier,period_start,period_end,volume,unit\n"
        f"{a.supplier.legal_name},2026-01-01,2026-01-31,1000,lb\n"
        f"{a.supplier.legal_name},2026-02-01,2026-02-28,2000,lb\n"
    )
    response = client.post(
        reverse("buyer:premium_upload"),
        {
            "membership": membership.pk,
            "kind": "purchase_reports",
            "file": csv_file(good),
        },
    )
    assert response.status_code == 302
    assert sorted(PurchaseReport.objects.values_list("volume", flat=True)) == [
        Decimal("1000"),
        Decimal("2000"),
    ]
    assert LedgerImport.objects.get().created_by == a.user(Role.BUYER_OFFICER)


def test_csv_naming_another_buyer_or_an_unsourced_supplier_is_refused(personas):
    a = personas.a
    bind_other_buyer(a)
    officer = a.user(Role.BUYER_OFFICER)
    text = (
        "buyer,supplier,period_start,period_end,volume,unit\n"
        f"{a.other_buyer.name},{a.supplier.legal_name},2026-01-01,2026-01-31,1,lb\n"
    )
    with pytest.raises(services.ImportRejected) as exc:
        services.buyer_ledger_import_csv(
            actor=officer,
            program=a.program,
            buyer=a.buyer,
            kind="purchase_reports",
            content=text,
        )
    assert exc.value.errors[0]["column"] == "buyer"
    # An officer cannot report for another buyer, even naming it as theirs.
    with pytest.raises(DomainError) as denied:
        services.buyer_ledger_import_csv(
            actor=officer,
            program=a.program,
            buyer=a.other_buyer,
            kind="purchase_reports",
            content=text,
        )
    assert denied.value.code == "forbidden"
    # Payroll distributions are the supplier's, entered by staff.
    with pytest.raises(DomainError):
        services.buyer_ledger_import_csv(
            actor=officer,
            program=a.program,
            buyer=a.buyer,
            kind="payroll_distributions",
            content=text,
        )
    assert not PurchaseReport.objects.exists()


def test_staff_and_outsiders_cannot_use_the_buyer_service(personas):
    a, b = personas.a, personas.b
    for user in (a.user(Role.STAFF), b.user(Role.BUYER_OFFICER), personas.outsider):
        with pytest.raises(DomainError):
            services.buyer_purchase_report_enter(
                actor=user,
                program=a.program,
                buyer=a.buyer,
                supplier=a.supplier.pk,
                period_start=datetime.date(2026, 1, 1),
                period_end=datetime.date(2026, 1, 31),
                volume="5",
                unit="lb",
            )
    assert not PurchaseReport.objects.exists()


@pytest.mark.parametrize("route", ["buyer:premium_report", "buyer:premium_upload"])
def test_routes_refuse_non_officers(personas, client_for, route):
    a, b = personas.a, personas.b
    for user in (personas.outsider, b.user(Role.ADMIN), a.user(Role.STAFF), a.user(Role.ADMIN)):
        client = client_for(user)
        assert client.get(reverse(route)).status_code in (403, 404, 405)
        assert client.post(reverse(route), form_data(a)).status_code in (403, 404)
    assert not PurchaseReport.objects.exists()


def test_officer_of_another_buyer_cannot_pick_this_buyers_membership(personas, client_for):
    """Program B's officer posts program A's officer's membership and supplier: not
    among their choices, nothing saved."""
    a, b = personas.a, personas.b
    client = client_for(b.user(Role.BUYER_OFFICER))
    response = client.post(reverse("buyer:premium_report"), form_data(a))
    assert response.status_code == 400
    membership = a.user(Role.BUYER_OFFICER).memberships.get(program=a.program)
    upload = client.post(
        reverse("buyer:premium_upload"),
        {
            "membership": membership.pk,
            "kind": "purchase_reports",
            "file": csv_file("supplier,period_start,period_end,volume,unit\n"),
        },
    )
    assert upload.status_code == 400
    assert not PurchaseReport.objects.exists()
