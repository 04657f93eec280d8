"""``{% can "action" [obj] as flag %}``: the same answer as ``core.authz.can`` for the
member viewing the page, so a control is shown exactly when its action is allowed."""

from django import template

from core import authz

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context, action, obj=None):
    program = context.get("program")
    request = context.get("request")
    user = getattr(request, "user", None)
    if program is None or user is None:
        return False
    return authz.can(user, program, action, obj, membership=context.get("membership"))
