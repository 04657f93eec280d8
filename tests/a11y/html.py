"""A small reading of an HTML page for the form tests: elements with their attributes,
the form each sits in, and the text of labels (the standard library's parser only)."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"input", "br", "img", "meta", "link", "hr", "source", "wbr", "area", "col"}


@dataclass
class Element:
    tag: str
    attrs: dict
    form: int | None  # index of the enclosing <form>, None outside any form
    text: list = field(default_factory=list)

    @property
    def label(self):
        return " ".join("".join(self.text).split())


class Page(HTMLParser):
    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.elements, self.forms, self.open, self.form = [], [], [], None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(attrs)
            self.form = len(self.forms) - 1
        element = Element(tag, attrs, self.form)
        self.elements.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag):
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i].tag == tag:
                del self.open[i:]
                break
        if tag == "form":
            self.form = None

    def handle_data(self, data):
        for element in self.open:
            element.text.append(data)

    def by_id(self, ident):
        return [e for e in self.elements if e.attrs.get("id") == ident]

    def find(self, tag, **attrs):
        return [
            e
            for e in self.elements
            if e.tag == tag and all(e.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]
