"""Pickers that scale with the program: a facility, supplier or buyer chosen by search.

A staff form's ``<select>`` used to list every facility of the program (20,000 options,
1.3 MB per page at the bench's large scale). ``use_picker`` turns a ``ModelChoiceField``
into a picker:

- the field keeps the program's scoped queryset, so the submitted id is validated
  against it (another program's id is "not one of the available choices", one query);
- the widget renders only the empty option and the chosen object (Django admin's
  autocomplete pattern), plus ``data-picker-url`` pointing at a small paginated JSON
  endpoint of the same program (``/p/<program>/pick/<kind>/?q=&page=``);
- ``static/js/picker.js`` adds a search box that fills the select as one types.

The worker's public complaint form does not depend on JavaScript: it narrows its list
with a GET search step (``complaints/forms.py`` ``PublicComplaintForm``).
"""

from django import forms
from django.db.models import Q
from django.http import JsonResponse
from django.urls import path, reverse
from django.views import View

from core.tenancy import ProgramViewMixin
from programs.models import Buyer, Facility, Supplier

PAGE_SIZE = 20


class PickerWidget(forms.Select):
    """A select holding only the empty option, the objects in ``listed`` (a short list
    the form chose, e.g. the results of a search) and the selected value."""

    def __init__(self, *, url=None, listed=(), attrs=None):
        super().__init__(attrs=attrs)
        self.url = url
        self.listed = listed

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if self.url:
            context["widget"]["attrs"]["data-picker-url"] = self.url
        return context

    def optgroups(self, name, value, attrs=None):
        selected = {str(v) for v in value if v not in (None, "")}
        choices = self.choices  # the field's ModelChoiceIterator
        field = choices.field
        options = []
        if field.empty_label is not None:
            options.append(("", field.empty_label))
        seen = set()
        for obj in self.listed:
            seen.add(str(obj.pk))
            options.append((str(obj.pk), field.label_from_instance(obj)))
        ids = [int(v) for v in selected - seen if str(v).isdigit()]
        if ids:
            for obj in field.queryset.filter(pk__in=ids):
                options.insert(1, (str(obj.pk), field.label_from_instance(obj)))
        groups = []
        for index, (option_value, label) in enumerate(options):
            is_selected = option_value in selected or (option_value == "" and not selected)
            groups.append(
                (
                    None,
                    [
                        self.create_option(
                            name, option_value, label, is_selected, index, attrs=attrs
                        )
                    ],
                    index,
                )
            )
        return groups


KINDS = {
    # kind: (model, label, search lookups)
    "facilities": (Facility, "facility", ("name__icontains", "address__icontains")),
    "suppliers": (Supplier, "supplier", ("legal_name__icontains",)),
    "buyers": (Buyer, "buyer", ("name__icontains",)),
}


def facility_label(obj):
    return f"{obj.name} — {obj.address}" if obj.address else obj.name


def use_picker(field, *, queryset, program, kind):
    """Make ``field`` (a ModelChoiceField) a search picker over ``queryset``."""
    url = reverse(f"picker-{kind}", kwargs={"program": program.slug})
    attrs = {**field.widget.attrs, "class": "picker"}
    field.widget = PickerWidget(url=url, attrs=attrs)
    field.queryset = queryset  # sets widget.choices to the (lazy) iterator
    if kind == "facilities":
        field.label_from_instance = facility_label
    return field


def search(queryset, kind, q):
    _model, _label, lookups = KINDS[kind]
    q = (q or "").strip()[:100]
    if q:
        cond = Q()
        for lookup in lookups:
            cond |= Q(**{lookup: q})
        queryset = queryset.filter(cond)
    return queryset


class PickerView(ProgramViewMixin, View):
    """``{"results": [{"id", "text"}], "more": bool}``: one page of the program's
    facilities, suppliers or buyers matching ``q``. Any internal member may read it
    (they can read the same names in the lists)."""

    kind = None
    read_action = "parties.view"
    write_roles = frozenset()

    def get(self, request, *args, **kwargs):
        model, _label, _lookups = KINDS[self.kind]
        qs = model.objects.filter(program=self.program)
        qs = search(qs, self.kind, request.GET.get("q"))
        order = "legal_name" if self.kind == "suppliers" else "name"
        page = request.GET.get("page", "1")
        page = int(page) if page.isdigit() and 0 < int(page) <= 10_000 else 1
        start = (page - 1) * PAGE_SIZE
        if self.kind == "facilities":
            rows = list(
                qs.order_by(order, "pk").values("pk", "name", "address")[
                    start : start + PAGE_SIZE + 1
                ]
            )
            results = [
                {
                    "id": r["pk"],
                    "text": f"{r['name']} — {r['address']}" if r["address"] else r["name"],
                }
                for r in rows
            ]
        else:
            rows = list(qs.order_by(order, "pk").values("pk", order)[start : start + PAGE_SIZE + 1])
            results = [{"id": r["pk"], "text": r[order]} for r in rows]
        response = JsonResponse({"results": results[:PAGE_SIZE], "more": len(results) > PAGE_SIZE})
        response["Cache-Control"] = "private, no-store"
        return response


# Mounted by config/urls.py under p/<slug:program>/pick/.
urlpatterns = [
    path(
        f"{kind}/",
        PickerView.as_view(kind=kind),
        name=f"picker-{kind}",
    )
    for kind in KINDS
]
