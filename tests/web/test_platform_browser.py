"""The data-rules notice above the uploader, in a real headless Chromium: shown in French
and English, closed once per browser and remembered there (localStorage) across reloads
and languages, shown again in another browser and when the rules change."""

from __future__ import annotations

import json

import pytest
from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, serve

pytestmark = [pytest.mark.slow, pytest.mark.browser]

RULES = {"fr": "Règles du labo : seulement des entretiens pseudonymisés.",
         "en": "Lab rules: pseudonymised interviews only."}


def test_notice_in_both_languages_closed_and_remembered(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)  # a first page load on a busy machine

    with serve(tmp_path, "notice", TRANSCRIBE_PRIVACY_NOTICE=json.dumps(RULES)) as (url, _, _), \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        page = context.new_page()
        page.set_default_timeout(30_000)
        try:
            page.goto(url)
            french = page.get_by_text(RULES["fr"])
            expect(french).to_be_visible()
            # Above the uploader, where the user decides what to upload.
            uploader = page.get_by_test_id("stFileUploaderDropzone")
            assert french.bounding_box()["y"] < uploader.bounding_box()["y"]

            page.get_by_text("English", exact=True).click()
            english = page.get_by_text(RULES["en"])
            expect(english).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "notice-en.png"))

            page.get_by_role("button", name="Got it, hide").click()
            expect(english).to_be_hidden()
            page.reload()
            # The interface language is remembered too (a cookie): English after the reload.
            expect(page.get_by_role("heading", name="Transcribe recordings")).to_be_visible()
            page.wait_for_timeout(1000)  # the page has settled: the notice stays hidden
            expect(page.get_by_text(RULES["en"])).to_be_hidden()
            expect(page.get_by_text(RULES["fr"])).to_be_hidden()
            assert page.evaluate("localStorage.getItem('transcribe.notice.dismissed')")
            page.screenshot(path=str(ARTIFACTS / "notice-dismissed.png"))

            # Another browser (no localStorage yet) sees it.
            other = browser.new_context().new_page()
            other.goto(url)
            expect(other.get_by_text(RULES["fr"])).to_be_visible()

            # Rules that changed since this browser closed them are shown again.
            page.evaluate("localStorage.setItem('transcribe.notice.dismissed', 'old-rules')")
            page.reload()
            expect(page.get_by_text(RULES["en"])).to_be_visible()
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "notice-failure.png"))
            raise
        finally:
            browser.close()


def test_default_notice_and_off(tmp_path):
    """Unset, the app shows our default (SSP Cloud's rules); "off" shows none."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)  # a first page load on a busy machine

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)
            with serve(tmp_path / "a", "notice-default") as (url, _, _):
                page.goto(url)
                default = page.get_by_text("ne déposez que des enregistrements pseudonymisés")
                expect(default).to_be_visible()
                page.get_by_role("button", name="J'ai compris, masquer").click()
                expect(default).to_be_hidden()
            with serve(tmp_path / "b", "notice-off", TRANSCRIBE_PRIVACY_NOTICE="off") as \
                    (url, _, _):
                page.goto(url)
                expect(page.get_by_role("heading", name="Transcrire des enregistrements")) \
                    .to_be_visible()
                page.wait_for_timeout(1000)
                expect(page.locator(".transcribe-notice")).to_have_count(0)
        finally:
            browser.close()
