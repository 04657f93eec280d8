"""The API documentation page renders in a real browser under the strict CSP."""

import pytest


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_api_docs_render_under_strict_csp(browser_page):
    page = browser_page
    violations = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security" in msg.text else None,
    )
    external = []
    page.on(
        "request",
        lambda req: (
            external.append(req.url)
            if "127.0.0.1" not in req.url and "localhost" not in req.url
            else None
        ),
    )
    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    assert "WSR Platform API" in page.inner_text(".swagger-ui .info .title")
    # The operations are listed: the page loaded and rendered the schema.
    page.wait_for_selector('[data-path="/api/v1/buyer/do-not-source/"]')
    # ... in both groups. Swagger UI builds a group's operations only as the reader
    # scrolls down to it, so scroll as a reader would.
    second_group = '[data-path="/api/v1/programs/{program}/audits/"]'
    for _ in range(40):
        if page.query_selector(second_group):
            break
        page.mouse.wheel(0, 2000)
        page.wait_for_timeout(250)
    assert page.query_selector(second_group), "the program-scoped operations never rendered"
    assert violations == [], violations
    assert external == [], external
