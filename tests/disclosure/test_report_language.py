"""The public report PDF speaks the language the reader asked for (issue 17, defect 5)
and shows standings as words, not codes (defect 9). Bengali needs a font with its glyphs
(Noto Sans Bengali): pdftotext reading the words back proves they were drawn."""

import subprocess

import pytest

from disclosure import reports, selectors
from disclosure.tasks import render_report
from tests.buyer.helpers import make_violation_obligations

# Words of the report and their translations (locale/*/LC_MESSAGES/django.po). pdftotext
# reads shaped Bengali back lossily (vowel signs drawn before their consonant come out
# apart), so the Bengali words are ones it reads back whole.
HEADING = {
    "en": "Workers covered",
    "es": "Trabajadores cubiertos",
    "ht": "Travayè ki kouvri",
    "bn": "সরবরাহকারীরা",
}
SUSPENDED = {"en": "Suspended", "es": "Suspendido", "ht": "Sispann"}


def _pdftotext(pdf, tmp_path, name="report.pdf"):
    path = tmp_path / name
    path.write_bytes(pdf)
    run = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True)
    assert run.returncode == 0, run.stderr
    return " ".join(run.stdout.decode().split())


def _fonts(pdf, tmp_path):
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, check=True).stdout.decode()


@pytest.mark.parametrize("lang", ["es", "ht", "bn"])
def test_report_is_served_in_the_language_asked_for(personas, client_for, tmp_path, lang):
    a = personas.a
    make_violation_obligations(a)  # the supplier is suspended: a standing to show
    program = a.program
    # What the task does for a visitor who asked for ?lang=<lang> (run here, in process).
    version = selectors.data_version(program)
    render_report.apply(args=(program.pk, version.figures_key, lang))

    response = client_for(None).get(f"/public/{a.slug}/report.pdf?lang={lang}")
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Language"] == lang
    text = _pdftotext(response.content, tmp_path)
    assert HEADING[lang] in text
    assert HEADING["en"] not in text and "Participating buyers" not in text
    if lang == "bn":
        # Drawn with a font that has the glyphs (not boxes of a Latin font).
        assert "Bengali" in _fonts(response.content, tmp_path)
    else:
        assert SUSPENDED[lang] in text

    # The English report is a report of its own, not the one just rendered.
    english = client_for(None).get(f"/public/{a.slug}/report.pdf?lang=en")
    assert english.status_code == 202


def test_report_shows_standing_labels_not_codes(personas, tmp_path):
    a = personas.a
    make_violation_obligations(a)
    version = selectors.data_version(a.program)
    text = _pdftotext(reports.render_report_pdf(a.program, version, "en"), tmp_path)
    assert "Suspended until" in text and "Good standing" in text
    words = set(text.replace("·", " ").split())
    # The codes of disclosure.policy.STANDING_LABELS and of agreement statuses, as words
    # of their own ("good" is also an English word: "not in good standing").
    assert not words & {"probation", "suspended", "terminated", "reinstatement_review"}
    assert not words & {"active", "expired"}
    assert "Active" in words
