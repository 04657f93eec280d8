"""Public statistics are cached once for every language: the cache holds codes and the
page translates them (issue 17.2: after a Bengali visit the English page showed Bengali
categories, and the es/ht/bn pages showed English ones after an English visit)."""

import pytest
from django.utils import translation

from complaints import services as complaint_services
from core.actors import PUBLIC
from enforcement import services as enforcement_services
from programs.models import Category


@pytest.fixture
def figures(personas):
    a = personas.a
    case = complaint_services.complaint_submit(
        actor=PUBLIC,
        program=a.program,
        narrative="The crew boss keeps our pay.",
        category="wages",
        facility=a.facility,
    )[0]
    complaint_services.case_resolve(
        actor=a.user("admin"), case=case, outcome="withdrawn", summary=""
    )
    violation = enforcement_services.violation_propose(
        actor=a.user("investigator"),
        program=a.program,
        provision=a.provision,
        facility=a.facility,
        source_kind="manual",
        source_ref="lang-1",
        summary="Held passports.",
    )
    enforcement_services.violation_confirm(actor=a.user("admin"), violation=violation)
    enforcement_services.consequences_apply(violation=violation)
    return a


def labels(lang):
    with translation.override(lang):
        return str(Category.FORCED_LABOR.label), str(Category.WAGES.label)


@pytest.mark.parametrize("first", ["bn", "en"])
def test_each_language_sees_its_own_labels_whatever_was_cached_first(figures, client_for, first):
    client = client_for(None)
    url = f"/public/{figures.slug}/"
    client.get(url, {"lang": first})  # fills the statistics cache in that language
    for lang in ("en", "es", "ht", "bn"):
        html = client.get(url, {"lang": lang}).content.decode()
        forced, wages = labels(lang)
        assert forced in html, (lang, forced)
        assert wages in html, (lang, wages)
        for other in {"en", "es", "ht", "bn"} - {lang}:
            other_forced, other_wages = labels(other)
            if other_forced != forced:
                assert other_forced not in html, (lang, other)
            if other_wages != wages:
                assert other_wages not in html, (lang, other)
