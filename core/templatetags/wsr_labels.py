"""Words for codes in templates: ``{{ case.language|language_name }}`` shows "Spanish"
(in the reader's language), not "es" (issue 17, defect 9)."""

from django import template
from django.conf import settings
from django.conf.locale import LANG_INFO
from django.utils.translation import gettext

register = template.Library()


@register.filter
def language_name(code):
    """A language code as the language's name, translated; anything else unchanged
    (free text typed by a person, such as "Spanish and Mixtec")."""
    if not code:
        return ""
    names = dict(settings.LANGUAGES)
    if code in names:
        return gettext(str(names[code]))
    info = LANG_INFO.get(str(code).lower())
    if info and "name" in info:
        return gettext(info["name"])
    return code
