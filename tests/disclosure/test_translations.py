"""The public side speaks the workers' languages: the disclosure pages in es/ht/bn, every
string of the disclosure templates and code translated in the compiled catalogs, the
placeholders and markup of each translation intact, and one English word with two
meanings translated twice (message contexts)."""

import ast
import gettext as gnu_gettext
import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.utils import translation

from disclosure import selectors
from disclosure.policy import POLICY

from .conftest import body_of

LANGS = ("es", "ht", "bn")
LOCALE = Path(settings.BASE_DIR) / "locale"
TEMPLATES = Path(settings.BASE_DIR) / "templates"
PUBLIC_TEMPLATES = sorted((TEMPLATES / "disclosure").glob("*.html")) + [TEMPLATES / "base.html"]
PUBLIC_CODE = sorted((Path(settings.BASE_DIR) / "disclosure").glob("*.py"))
GETTEXT_CALLS = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy"}

# English headings of the pages, and what a reader of each language sees instead.
PROGRAM_PAGE = {
    "Participating buyers": {
        "es": "Compradores del programa",
        "ht": "Achtè ki nan pwogram nan",
        "bn": "কর্মসূচির ক্রেতারা",
    },
    "The worker-written code of conduct": {
        "es": "El código de conducta escrito por los trabajadores",
        "ht": "Kòd konduit travayè yo ekri a",
        "bn": "শ্রমিকদের লেখা আচরণবিধি",
    },
    "Is it working? The program's measurable gains": {
        "es": "¿Está funcionando? Lo que el programa ha logrado, en números",
        "ht": "Èske sa mache? Sa pwogram nan reyalize, an chif",
        "bn": "কাজ হচ্ছে কি? সংখ্যায় কর্মসূচির অর্জন",
    },
    "Good standing": {"es": "En regla", "ht": "An règ", "bn": "ভালো অবস্থানে"},
    "Escalation stage": {"es": "Nivel de sanción", "ht": "Nivo sanksyon", "bn": "শাস্তির ধাপ"},
    "Staff log in": {
        "es": "Acceso del personal",
        "ht": "Koneksyon anplwaye",
        "bn": "কর্মীদের লগইন",
    },
    "Skip to content": {"es": "Ir al contenido", "ht": "Ale nan kontni an", "bn": "মূল বিষয়ে যান"},
}
DATA_PAGE = {
    "Open data": {"es": "Datos abiertos", "ht": "Done ouvè", "bn": "উন্মুক্ত তথ্য"},
    "Meaning": {"es": "Qué quiere decir", "ht": "Sa sa vle di", "bn": "অর্থ"},
    "Legal name of the supplier.": {
        "es": "Nombre legal del proveedor.",
        "ht": "Non legal founisè a.",
        "bn": "সরবরাহকারীর আইনি নাম।",
    },
    "Name of the farm, factory or site.": {
        "es": "Nombre de la finca, la fábrica o el lugar.",
        "ht": "Non fèm nan, faktori a oswa kote a.",
        "bn": "খামার, কারখানা বা জায়গার নাম।",
    },
}


@pytest.fixture
def a(personas):
    return personas.a


def _text(response):
    assert response.status_code == 200
    return html.unescape(body_of(response))


def _assert_speaks(page, lang, expected):
    assert f'<html lang="{lang}">' in page
    for english, translated in expected.items():
        if translated.get(lang):
            assert translated[lang] in page, (lang, english)
        assert english not in page, (lang, english)


# ---------------------------------------------------------------- pages


@pytest.mark.parametrize("lang", LANGS)
def test_program_page_speaks_the_chosen_language(a, client_for, lang):
    page = _text(client_for(None).get(f"/public/{a.slug}/?lang={lang}"))
    _assert_speaks(page, lang, PROGRAM_PAGE)


def test_program_page_in_english_without_a_language(a, client_for):
    page = _text(client_for(None).get(f"/public/{a.slug}/"))
    for english in PROGRAM_PAGE:
        assert english in page
    assert "Compradores del programa" not in page


@pytest.mark.parametrize("lang", LANGS)
def test_data_page_and_field_descriptions_speak_the_chosen_language(a, client_for, lang):
    page = _text(client_for(None).get(f"/public/{a.slug}/data/?lang={lang}"))
    _assert_speaks(page, lang, DATA_PAGE)
    # Every column's description of every file is shown translated.
    fields = POLICY.facility_row_fields + POLICY.supplier_fields + POLICY.buyer_fields
    with translation.override(lang):
        described = {str(f.description) for f in fields}
    for text in described:
        assert text in page
    with translation.override("en"):
        english = {str(f.description) for f in fields}
    # Only descriptions made of codes and names (ISO 3166-1 alpha-2.) read the same.
    assert len(english - described) >= len(english) - 1


@pytest.mark.parametrize("lang", LANGS)
def test_index_page_speaks_the_chosen_language(personas, client_for, lang):
    page = _text(client_for(None).get(f"/?lang={lang}"))
    assert f'<html lang="{lang}">' in page
    assert "Worker-driven Social Responsibility programs" not in page
    assert "Each program publishes" not in page


def test_report_pending_page_speaks_the_chosen_language(a, client_for):
    response = client_for(None).get(f"/public/{a.slug}/report.pdf?lang=ht")
    if response.status_code != 202:
        pytest.skip("a stored report exists: the pending page is not shown")
    page = html.unescape(response.content.decode())
    assert "N ap prepare rapò a" in page and "The report is being prepared" not in page


# ---------------------------------------------------------------- one word, two meanings


def test_received_is_a_count_in_the_chart_and_a_date_in_the_log():
    stats = {
        "complaints": {
            "monthly": [{"month": "2026-10", "received": 4, "resolved": 1}],
            "median_days_to_resolution": None,
            "share_resolved_within_deadline": None,
            "total_received": 4,
            "total_resolved": 1,
            "open_cases": 3,
        },
        "enforcement": None,
        "cap_series": None,
        "education": None,
        "complaint_log": [],
    }
    with translation.override("es"):
        chart = selectors.chart_data(stats)["complaints"]["series"]
        table = html.unescape(render_to_string("disclosure/_statistics.html", {"stats": stats}))
    assert [s["label"] for s in chart] == ["Recibidas", "Resueltas"]
    # Monthly table: how many complaints; log: the day one complaint arrived.
    assert '<th scope="col">Recibidas</th>' in table
    assert '<th scope="col">Fecha de recepción</th>' in table
    # A single complaint's status (complaints.models) stays singular.
    with translation.override("es"):
        assert translation.gettext("Received") == "Recibida"


# ---------------------------------------------------------------- catalogs


def _template_messages(path):
    """(context, singular, plural) of every translate/blocktranslate tag of a template."""
    template = get_template(str(path.relative_to(TEMPLATES))).template
    found = []
    for node in template.nodelist.get_nodes_by_type(TranslateNode):
        var = node.filter_expression.var
        context = node.message_context.resolve(Context()) if node.message_context else None
        found.append((context, str(var.literal), None))
    for node in template.nodelist.get_nodes_by_type(BlockTranslateNode):
        singular, _vars = node.render_token_list(node.singular)
        plural = node.render_token_list(node.plural)[0] if node.plural else None
        context = node.message_context.resolve(Context()) if node.message_context else None
        found.append((context, singular, plural))
    return found


def _code_messages(path):
    """(context, msgid, None) of the gettext calls with literal strings in a module."""
    found = []
    for call in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
            continue
        if call.func.id not in GETTEXT_CALLS:
            continue
        args = [arg.value for arg in call.args if isinstance(arg, ast.Constant)]
        if call.func.id.startswith("pgettext") and len(args) == 2:
            found.append((args[0], args[1], None))
        elif len(args) == 1:
            found.append((None, args[0], None))
    return found


def _public_messages():
    messages = set()
    for path in PUBLIC_TEMPLATES:
        messages.update(_template_messages(path))
    for path in PUBLIC_CODE:
        messages.update(_code_messages(path))
    return messages


def _catalog(lang):
    """The committed .mo of a language, alone (not merged with Django's own)."""
    with open(LOCALE / lang / "LC_MESSAGES" / "django.mo", "rb") as fp:
        return gnu_gettext.GNUTranslations(fp)._catalog


def _key(context, msgid):
    return f"{context}\x04{msgid}" if context else msgid


PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|%s|%d")
MARKUP = re.compile(r"<[^>]+>")


def test_the_public_messages_are_found():
    # The walk over templates and code reads what it should (else the checks below pass
    # on nothing).
    messages = _public_messages()
    assert len(messages) > 150
    assert (
        None,
        "Complaint figures are updated every minute.",
        "Complaint figures are updated every %(n)s minutes.",
    ) in messages
    assert ("date a complaint was received", "Received", None) in messages
    assert (None, "Legal name of the supplier.", None) in messages


@pytest.mark.parametrize("lang", LANGS)
def test_every_public_message_is_translated_with_its_placeholders(lang):
    catalog = _catalog(lang)
    untranslated, broken = [], []
    for context, singular, plural in sorted(_public_messages(), key=str):
        if plural is None:
            forms = [(singular, catalog.get(_key(context, singular)))]
        else:
            forms = [
                (singular, catalog.get((_key(context, singular), 0))),
                (plural, catalog.get((_key(context, singular), 1))),
            ]
        for english, translated in forms:
            if not translated:
                untranslated.append(english)
                continue
            wanted = set(PLACEHOLDER.findall(english))
            got = set(PLACEHOLDER.findall(translated))
            # The singular of a plural may say "every minute" without the number.
            ok = got <= wanted if plural and english == singular else got == wanted
            if not ok or sorted(MARKUP.findall(english)) != sorted(MARKUP.findall(translated)):
                broken.append((english, translated))
    assert untranslated == []
    assert broken == []


@pytest.mark.parametrize("lang", LANGS)
def test_plural_forms_header_is_valid(lang):
    with open(LOCALE / lang / "LC_MESSAGES" / "django.mo", "rb") as fp:
        catalog = gnu_gettext.GNUTranslations(fp)
    assert catalog.ngettext("%(n)s supplier", "%(n)s suppliers", 1) != "%(n)s supplier"
    one = catalog.ngettext("%(n)s buyer", "%(n)s buyers", 1) % {"n": 1}
    many = catalog.ngettext("%(n)s buyer", "%(n)s buyers", 5) % {"n": 5}
    assert "1" in one and "5" in many


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext is not installed")
@pytest.mark.parametrize("lang", LANGS)
def test_committed_mo_is_compiled_from_the_po(lang, tmp_path):
    po = LOCALE / lang / "LC_MESSAGES" / "django.po"
    fresh = tmp_path / "django.mo"
    # --check-format: placeholders of every python-format entry match (make does the same).
    subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(po)], check=True)
    with open(fresh, "rb") as fp:
        compiled = gnu_gettext.GNUTranslations(fp)._catalog
    assert compiled == _catalog(lang)
    assert "#, fuzzy" not in po.read_text()
