"""Template helpers of the form partial (templates/partials/form_fields.html)."""

from django import template

register = template.Library()


@register.filter
def scoped(form, scope):
    """``form`` with ids of its own: ``<scope>-<field>`` instead of ``id_<field>``.

    Several forms on one page (the case page: a message to the worker and an internal
    note, both with a ``body`` field) otherwise repeat ids, so a label names another
    form's control and help and error texts describe the wrong field. Only the ids
    change (``auto_id``); field names, and so what the view reads, stay as they are."""
    if scope and form is not None and hasattr(form, "auto_id"):
        form.auto_id = f"{scope}-%s"
    return form


@register.filter
def anchor(field):
    """The id an error summary links to: the control itself, or the first choice of a
    group of radios or checkboxes."""
    widget = field.field.widget
    if widget.use_fieldset:
        try:
            first = widget.id_for_label(field.auto_id, "0")
        except TypeError:  # a MultiWidget: its parts are <id>_0, <id>_1...
            first = ""
        return first or f"{field.auto_id}_0"
    return field.id_for_label or field.auto_id
