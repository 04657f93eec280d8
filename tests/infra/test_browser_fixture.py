"""The browser fixture relaxes Django's async-safety guard only while a page exists: a
launch that fails must leave the process as it found it (the deploy check, run in a
subprocess that inherits the environment, refuses DJANGO_ALLOW_ASYNC_UNSAFE)."""

import os

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import CHROMIUM, chromium_page

GUARD = "DJANGO_ALLOW_ASYNC_UNSAFE"


def test_a_failed_launch_leaves_the_async_guard_in_place(tmp_path, monkeypatch):
    monkeypatch.delenv(GUARD, raising=False)
    with (
        pytest.raises(PlaywrightError),
        chromium_page("http://127.0.0.1:9", executable_path=str(tmp_path / "no-chromium-here")),
    ):
        pytest.fail("no page without a browser")
    assert GUARD not in os.environ


@pytest.mark.browser
def test_the_guard_is_relaxed_only_while_the_page_exists(monkeypatch):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed")
    monkeypatch.delenv(GUARD, raising=False)
    with chromium_page("http://127.0.0.1:9") as page:
        assert os.environ[GUARD] == "true"
        assert page.evaluate("1 + 1") == 2
    assert GUARD not in os.environ
