"""No template prints a comment's text. Django's ``{# #}`` comment is one line only: a
``{#`` whose ``#}`` is on a later line is not a comment but text, and it reached the
public complaint pages and the login pages as an English developer note (issue 17.1)."""

from pathlib import Path

from django.conf import settings
from django.template import engines
from django.template.base import TextNode

TEMPLATE_ROOTS = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]] + [
    Path(settings.BASE_DIR) / app / "templates"
    for app in (
        "programs",
        "complaints",
        "audits",
        "enforcement",
        "premiums",
        "buyers",
        "disclosure",
        "exports",
        "accounts",
        "core",
    )
]


def every_template():
    for root in TEMPLATE_ROOTS:
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file() and path.suffix in {".html", ".txt", ".xml"}:
                    yield root, path


def text_nodes(nodelist):
    for node in nodelist:
        if isinstance(node, TextNode):
            yield node
        for attr in getattr(node, "child_nodelists", ()):
            yield from text_nodes(getattr(node, attr, None) or [])


def test_no_template_prints_comment_text():
    engine = engines["django"].engine
    printed, seen = [], 0
    for root, path in every_template():
        template = engine.get_template(str(path.relative_to(root)))
        seen += 1
        for node in text_nodes(template.nodelist):
            for marker in ("{#", "#}"):
                if marker in node.s:
                    line = node.s[node.s.index(marker) :][:60]
                    printed.append(f"{path.relative_to(settings.BASE_DIR)}: {line!r}")
    assert seen > 50  # the walk found the templates
    assert not printed, "\n".join(printed)
