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
    assert page.eval_on_selector_all("[data-path]", "els => els.length") >= 10
    assert violations == [], violations
    assert external == [], external
