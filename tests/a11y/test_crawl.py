"""The page crawl (issue 23): every page a person can reach, as each role, in each public
language, at a phone (320 and 390 px) and a desktop (1280 px) width, plus each form's
error state, checked for what keeps it usable with a screen reader and on a phone.

One Chromium for the whole crawl. From each role's start page the crawl follows links
(same-origin GETs only; never log-out, admin, API or file links), one page per URL
pattern (one case page, not every case), and submits each form once with its text
fields empty to check the error state. A page whose HTML another role already had is
not checked again. On each page and width:

- axe-core (from npm, node_modules/axe-core) finds no WCAG 2.0/2.1/2.2 A/AA violation;
- every aria-describedby / aria-labelledby / label for resolves to exactly one element,
  and a label names a control of its own form; no id is used twice;
- every form control has a non-empty accessible name in Chromium's accessibility tree;
- no table header cell is empty or hidden from the accessibility tree, and at phone size
  a table shown as stacked cells keeps each cell's column label;
- no template text (``{#``, ``{%``, ``{{``) is shown;
- at 320 px nothing scrolls sideways (WCAG 1.4.10).

Screenshots go to test-artifacts/a11y/ and a list of every page state checked to
test-artifacts/a11y/crawl.txt. docs/accessibility.md says what a person still checks.
"""

import hashlib
import os
import re
import time
from collections import deque
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from core.roles import Role
from demo.seed import PROGRAMS, persona_email
from programs.models import Program
from tests.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

HERE = Path(__file__).parent
PROGRESS = os.environ.get("A11Y_CRAWL_PROGRESS")
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
CHECKS = (HERE / "checks.js").read_text()
OUT = Path(ARTIFACTS) / "a11y"

WIDTHS = (1280, 390, 320)  # desktop first; the narrowest last (reflow is checked there)
# axe-core takes most of the crawl's time: it runs at the two ends (its rules that depend
# on layout, contrast and target size, differ most there); the other checks at all three.
AXE_WIDTHS = (1280, 320)
AXE_WIDTHS_ERROR_STATE = (320,)  # a form's error state: its page was checked at both
SHOT_WIDTHS = (1280, 390)
PUBLIC_LANGUAGES = ("en", "es", "ht", "bn")
STAFF_ROLES = (Role.ADMIN, Role.STAFF, Role.INVESTIGATOR, Role.AUDITOR, Role.VIEWER)
# (name, start page, public language, role of the persona logged in)
ROLES = [
    *((f"anonymous-{lang}", "/", lang, None) for lang in PUBLIC_LANGUAGES),
    *((str(role), "/p/", None, role) for role in STAFF_ROLES),
    ("buyer_officer", "/buyer/", None, Role.BUYER_OFFICER),
]
MAX_PAGES_PER_ROLE = 60
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
# Controls that need a name of their own (Chromium's accessibility roles).
CONTROL_ROLES = {
    "textbox",
    "searchbox",
    "combobox",
    "listbox",
    "checkbox",
    "radio",
    "spinbutton",
    "slider",
    "switch",
    "button",
}
# Never followed: leaving the session, the admin and API, files and downloads.
SKIP = re.compile(
    r"^/(admin|api|static|media)/|logout|\.(csv|json|geojson|pdf|zip|png|jpe?g|txt|xml)$"
    r"|/(download|export|file)(/|$)"
)
TEXT_INPUTS = (
    "textarea, input:not([type]), input[type=text], input[type=email], input[type=number],"
    " input[type=date], input[type=password], input[type=search], input[type=tel],"
    " input[type=url], input[type=datetime-local], input[type=file]"
)


def url_pattern(url, slugs):
    """One page per pattern: ids, hashes and program slugs stand for any value, and a
    query string counts by its keys (``?status=open`` and ``?status=closed`` are one)."""
    parts = urlsplit(url)
    path = parts.path
    for slug in slugs:
        path = path.replace(f"/{slug}/", "/{program}/")
    path = re.sub(r"/\d+(?=/|$)", "/{n}", path)
    path = re.sub(r"/[0-9a-f-]{16,}(?=/|$)", "/{h}", path)
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)} - {"lang"})
    return path + ("?" + "&".join(keys) if keys else "")


def with_lang(url, lang):
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    query.append(("lang", lang))
    return urlunsplit(parts._replace(query=urlencode(query)))


def html_fingerprint(html):
    """What makes a page state worth checking again: its markup without the header (the
    person logged in, the role's links), tokens, and figures (one more row of a list or
    another count is the same page to a screen reader)."""
    html = html[html.find("<main") :] if "<main" in html else html
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    html = re.sub(r'nonce="[^"]*"', "", html)
    html = re.sub(r"\d+", "0", html)
    return hashlib.sha256(html.encode()).hexdigest()


class Crawl:
    def __init__(self, browser, base_url, slugs):
        self.browser = browser
        self.base_url = base_url
        self.slugs = slugs
        self.problems = {}  # page state -> [problem]
        self.checked = []  # (role, state, url)
        self.fingerprints = set()
        self.forms_seen = set()
        self.shots = 0
        self.seconds = {}  # phase -> seconds spent, reported in crawl.txt

    def timed(self, phase, func, *args, **kwargs):
        began = time.monotonic()
        try:
            return func(*args, **kwargs)
        finally:
            self.seconds[phase] = self.seconds.get(phase, 0) + time.monotonic() - began

    # ------------------------------------------------------------ one role
    def role(self, name, *, start, cookies=(), lang=None):
        context = self.browser.new_context(base_url=self.base_url, bypass_csp=True)
        if cookies:
            context.add_cookies(list(cookies))
        page = context.new_page()
        page.set_default_timeout(15_000)
        cdp = context.new_cdp_session(page)
        seen, queue, forms = set(), deque([start]), []
        while queue and len(seen) < MAX_PAGES_PER_ROLE:
            url = queue.popleft()
            if lang:
                url = with_lang(url, lang)
            key = url_pattern(url, self.slugs)
            if key in seen:
                continue
            seen.add(key)
            try:
                response = self.timed("load", page.goto, url)
            except Exception as exc:  # a download started, or the page did not load
                if "Download is starting" not in str(exc):
                    self.note(name, url, [f"did not load: {exc}"])
                continue
            if response is None or "text/html" not in response.headers.get("content-type", ""):
                continue
            if response.status >= 500:
                self.note(name, url, [f"HTTP {response.status}"])
                continue
            self.check(name, page, cdp, url, f"GET {key}")
            for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
                target = urlsplit(urljoin(page.url, href))
                here = urlsplit(self.base_url)
                if target.netloc != here.netloc or SKIP.search(target.path):
                    continue
                queue.append(urlunsplit(target._replace(scheme="", netloc="", fragment="")))
            forms.extend(self.forms_of(page, url, key))
        if lang:
            self.timed("journey", self.complaint_journey, name, page, cdp, lang)
        for url, index, form_key in forms:
            try:
                self.timed("forms", self.error_state, name, page, cdp, url, index, form_key)
            except Exception as exc:  # noqa: BLE001 (reported as a problem of the page)
                self.note(name, url, [f"error state of form {form_key[2][:60]} failed: {exc}"])
        context.close()
        return seen

    def complaint_journey(self, name, page, cdp, lang):
        """The pages no link reaches: the receipt of a complaint, and its status page
        opened from the receipt with the code carried over (issue 17)."""
        page.goto(with_lang(f"/public/{self.slugs[0]}/complaints/new/", lang))
        page.select_option("select[name=category]", index=1)
        page.fill("input[name=facility_description]", "The packing shed by the river")
        page.fill("textarea[name=narrative]", "The crew leader keeps part of our pay.")
        with page.expect_navigation():
            page.locator("main form.form button[type=submit]").click()
        assert page.locator("#receipt-code").is_visible()
        self.check(name, page, cdp, page.url, "POST complaint (its receipt)")
        with page.expect_navigation():
            page.locator("main form[action$='/complaints/status/'] button").click()
        assert page.locator("#case-status").is_visible()
        self.check(name, page, cdp, page.url, "POST status from the receipt")

    def forms_of(self, page, url, key):
        """The page's post forms with a required text field, once per form pattern."""
        found = page.eval_on_selector_all(
            "form",
            """(forms, sel) => forms.map((f, i) => ({
                i, method: (f.getAttribute('method') || 'get').toLowerCase(),
                action: f.getAttribute('action') || '',
                names: [...f.elements].map(e => e.name).filter(Boolean).sort().join(','),
                required: [...f.querySelectorAll(sel)].some(e => e.required),
            }))""",
            TEXT_INPUTS,
        )
        for form in found:
            if form["method"] != "post" or not form["required"] or "logout" in form["action"]:
                continue
            form_key = (key, url_pattern(form["action"], self.slugs), form["names"])
            if form_key not in self.forms_seen:
                self.forms_seen.add(form_key)
                yield url, form["i"], form_key

    def error_state(self, name, page, cdp, url, index, form_key):
        """Submit the form with its text fields empty: the page of its errors."""
        page.goto(url)
        form = page.locator("form").nth(index)
        for field in form.locator(TEXT_INPUTS).all():
            if field.get_attribute("type") == "file":
                continue
            if field.is_visible():
                field.fill("")
        form.evaluate("f => { f.noValidate = true; }")
        with page.expect_navigation(timeout=5_000):
            # The form's own submit button (it may sit in a closed panel): requestSubmit
            # posts what a click would, the button's name and value included.
            form.evaluate(
                """f => f.requestSubmit(
                    f.querySelector('button[type=submit], button:not([type]), input[type=submit]')
                    || undefined)"""
            )
        self.check(name, page, cdp, page.url, f"POST {form_key[0]} (form {form_key[2][:60]})")

    # ------------------------------------------------------------ one page state
    def check(self, role, page, cdp, url, state):
        fingerprint = html_fingerprint(page.content())
        if fingerprint in self.fingerprints:
            return
        self.fingerprints.add(fingerprint)
        self.checked.append((role, state, url))
        if PROGRESS:  # A11Y_CRAWL_PROGRESS=path: one line per page state, as it goes
            with open(PROGRESS, "a") as out:
                out.write(f"{time.monotonic():.1f} {role} {state}\n")
        problems = []
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(50)  # layout and any resize handler (charts)
            opts = {"phone": width < 640, "narrowest": width == WIDTHS[-1]}
            here = [
                *self.timed("checks", page.evaluate, CHECKS, opts),
                *self.timed("names", self.unnamed_controls, cdp),
            ]
            if width in (AXE_WIDTHS if state.startswith("GET") else AXE_WIDTHS_ERROR_STATE):
                here += self.timed("axe", self.axe, page)
            problems += [f"{width}px: {p}" for p in here]
            if width in SHOT_WIDTHS and (state.startswith("GET") or role.startswith("anon")):
                full = role.startswith("anonymous")
                self.timed("screenshots", self.screenshot, page, role, state, width, full)
        if problems:
            self.note(role, url, problems, state)

    def axe(self, page):
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            """tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                          resultTypes: ['violations']})""",
            AXE_TAGS,
        )
        return [
            f"axe {v['id']} ({v['impact']}): {v['help']} at {v['nodes'][0]['target']}"
            for v in result["violations"]
        ]

    def unnamed_controls(self, cdp):
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
        problems = []
        for node in nodes:
            role = (node.get("role") or {}).get("value")
            if node.get("ignored") or role not in CONTROL_ROLES:
                continue
            name = ((node.get("name") or {}).get("value") or "").strip()
            if not name:
                described = cdp.send(
                    "DOM.describeNode", {"backendNodeId": node["backendDOMNodeId"]}
                )
                attrs = described["node"].get("attributes", [])
                attrs = dict(zip(attrs[::2], attrs[1::2], strict=False))
                ident = attrs.get("id") or attrs.get("name") or described["node"]["nodeName"]
                problems.append(f"{role} {ident} has no accessible name")
        return problems

    def screenshot(self, page, role, state, width, full):
        safe = re.sub(r"[^A-Za-z0-9]+", "-", state).strip("-")[:90]
        path = OUT / role / f"{safe}-{width}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=full)
        self.shots += 1

    def note(self, role, url, problems, state=None):
        self.problems.setdefault(f"{role} {state or url} <{url}>", []).extend(problems)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_reachable_page_is_usable_with_a_screen_reader_and_on_a_phone(live_server):
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    call_command("seed_demo", "--strict", stdout=open(os.devnull, "w"))  # noqa: SIM115
    slugs = list(Program.objects.values_list("slug", flat=True))
    spec = PROGRAMS[0][0]
    users = get_user_model().objects

    def session_cookie(email):
        client = Client()
        client.force_login(users.get(email=email))
        value = client.cookies[settings.SESSION_COOKIE_NAME].value
        return {"name": settings.SESSION_COOKIE_NAME, "value": value, "url": live_server.url}

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            crawl = Crawl(browser, live_server.url, slugs)
            reached = {}
            # A11Y_CRAWL_ROLES=admin,anonymous-bn narrows the crawl while fixing a page.
            only = set(filter(None, os.environ.get("A11Y_CRAWL_ROLES", "").split(",")))
            for name, start, lang, role in ROLES:
                if only and name not in only:
                    continue
                cookies = []
                if role is not None:
                    cookies = [session_cookie(persona_email(spec["persona_prefix"], role))]
                reached[name] = crawl.role(name, start=start, cookies=cookies, lang=lang)
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)

    OUT.mkdir(parents=True, exist_ok=True)
    lines = [f"{role}\t{state}\t{url}" for role, state, url in crawl.checked]
    lines.append(f"\n{len(crawl.checked)} page states, {crawl.shots} screenshots, ")
    lines[-1] += f"{time.monotonic() - started:.0f} s: " + ", ".join(
        f"{phase} {seconds:.0f} s" for phase, seconds in crawl.seconds.items()
    )
    for where, problems in crawl.problems.items():
        lines += [f"\n{where}", *(f"  {p}" for p in problems)]
    (OUT / "crawl.txt").write_text("\n".join(lines) + "\n")

    # The crawl reached what each role works with (a crawl that stops early checks nothing).
    if not only:
        assert len(reached["anonymous-bn"]) >= 5, reached["anonymous-bn"]
        assert any("/complaints/{n}/" in p for p in reached[Role.INVESTIGATOR]), reached
        assert any("/obligations/{n}/" in p for p in reached["buyer_officer"]), reached
    report = [f"{where}\n  " + "\n  ".join(ps[:8]) for where, ps in crawl.problems.items()]
    assert not crawl.problems, f"{len(report)} page states with problems:\n" + "\n".join(report)


BAD_PAGE = """<!doctype html><html lang="en"><head><title>bad</title></head><body>
<main><h1>Bad page</h1>
<form action="/a" method="post"><label for="body">Message</label>
  <textarea id="body" name="body" aria-describedby="body_helptext"></textarea></form>
<form action="/b" method="post"><label for="body">Internal note</label>
  <textarea id="body" name="body"></textarea><input name="x"></form>
<table class="table"><thead><tr><th>Owed</th><th></th></tr></thead>
  <tbody><tr><td>330</td><td>50%</td></tr></tbody></table>
<p>{# a developer note #}</p>
<div style="width:400px">wide</div>
<img src="/x.png">
</main><style>@media (max-width:640px){.table thead{display:none}.table td{display:block}}</style>
</body></html>"""


@pytest.mark.browser
def test_each_check_of_the_crawl_fires_on_a_page_that_breaks_it():
    """The crawl passing means something: each check reports its defect on a page made
    with the defects issue 23 found (the checks are not vacuous)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            crawl = Crawl(browser, "http://127.0.0.1", [])
            context = browser.new_context(bypass_csp=True)
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            page.set_content(BAD_PAGE)
            page.set_viewport_size({"width": 320, "height": 900})
            found = " | ".join(
                [
                    *page.evaluate(CHECKS, {"phone": True, "narrowest": True}),
                    *crawl.axe(page),
                    *crawl.unnamed_controls(cdp),
                ]
            )
        finally:
            browser.close()
    for expected in (
        'duplicate id "body"',
        'aria-describedby="body_helptext" resolves to 0 elements',
        'label for="body" ("Message") resolves to 2 elements',
        "empty table header cell",
        'table header "Owed" hidden from the accessibility tree',
        "stacked table cell without its column label",
        "template text",
        "page scrolls",
        "axe image-alt",
        "textbox x has no accessible name",
    ):
        assert expected in found, (expected, found)
