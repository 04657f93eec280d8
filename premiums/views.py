"""The premium ledger page (/p/<program>/premium/): reconciliation, CSV, import, shortfall check."""

from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from core import csvwriter
from core.errors import DomainError
from core.pagination import paginate, querystring_without_page
from core.tenancy import ProgramViewMixin
from enforcement.forms import (
    LedgerFilterForm,
)

from . import selectors, services
from .forms import LedgerImportForm

# ---------------------------------------------------------------- premium


RECONCILIATION_COLUMNS = [
    "buyer",
    "supplier",
    "period_start",
    "period_end",
    "currency",
    "volume",
    "owed",
    "paid",
    "distributed",
    "payment_gap",
    "distribution_gap",
    "shortfall",
]


class PremiumView(ProgramViewMixin, TemplateView):
    template_name = "premiums/premium.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        g = self.request.GET
        buyer = g.get("buyer") if (g.get("buyer") or "").isdigit() else None
        supplier = g.get("supplier") if (g.get("supplier") or "").isdigit() else None
        filter_form = LedgerFilterForm(
            {"buyer": buyer or "", "supplier": supplier or ""}, program=self.program
        )
        filter_form.is_valid()  # renders the chosen buyer/supplier (another program's: none)
        context["filter_form"] = filter_form
        rows = selectors.reconciliation(program=self.program, buyer=buyer, supplier=supplier)
        context["rows"] = paginate(self.request, rows)
        context["page_obj"] = context["rows"]
        context["querystring"] = querystring_without_page(self.request)
        context["paid_to_workers"] = selectors.premium_paid_to_workers(program=self.program)
        context["currency"] = selectors.premium_currency(program=self.program)
        context["imports"] = selectors.ledger_import_list(program=self.program)[:10]
        context["import_form"] = kwargs.get("import_form") or LedgerImportForm()
        context["import_errors"] = kwargs.get("import_errors") or []
        context["can_manage"] = self.can("ledger.record")
        context["premium_provision"] = services.premium_provision(self.program)
        return context


class PremiumCsvView(ProgramViewMixin, View):
    def get(self, request, *args, **kwargs):
        rows = selectors.reconciliation(program=self.program)

        class Echo:
            def write(self, value):
                return value

        writer = csvwriter.writer(Echo())

        def lines():
            # Streamed: rows come from a server-side cursor as they are written.
            yield writer.writerow(RECONCILIATION_COLUMNS)
            for r in rows:
                yield writer.writerow([r[c] for c in RECONCILIATION_COLUMNS])

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{self.program.slug}-premium-reconciliation.csv"'
        )
        return response


class PremiumImportView(PremiumView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = LedgerImportForm(request.POST, request.FILES)
        errors = []
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                batch = services.ledger_import_csv(
                    actor=request.user,
                    program=self.program,
                    kind=form.cleaned_data["kind"],
                    content=upload.read(),
                    filename=upload.name,
                )
            except services.ImportRejected as exc:
                form.add_error(None, exc.message)
                errors = exc.errors
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Imported {batch.row_count} rows.")
                return redirect("premiums:premium", program=self.program.slug)
        context = self.get_context_data(import_form=form, import_errors=errors)
        return self.render_to_response(context, status=400)


class PremiumCheckView(ProgramViewMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            result = services.premium_shortfall_check(actor=request.user, program=self.program)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            level = messages.WARNING if result["missing_provision"] else messages.SUCCESS
            messages.add_message(request, level, result["message"])
        return redirect("premiums:premium", program=self.program.slug)
