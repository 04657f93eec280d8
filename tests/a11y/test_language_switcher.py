"""The public pages' language switcher says which language is the current one (issue 23,
item 5): a screen reader announces "current" on that link, and only on that one."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = [
    ("complaints-public:new", "/complaints/new/"),
    ("disclosure:program", "/"),
]


def _current_links(html):
    return re.findall(r'<a [^>]*hreflang="(\w+)"[^>]*aria-current="true"', html)


@pytest.mark.parametrize("name", [name for name, _ in PAGES])
@pytest.mark.parametrize("lang", ["en", "es", "ht", "bn"])
def test_the_current_language_and_only_it_is_marked_current(personas, client, name, lang):
    url = reverse(name, kwargs={"program": personas.a.slug})
    html = client.get(url, {"lang": lang}).content.decode()
    assert _current_links(html) == [lang]
