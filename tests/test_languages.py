"""One list of each kind of language, and one fallback language for every text."""

from __future__ import annotations

import pytest

from transcribe import i18n
from transcribe.languages import (
    DEFAULT_LANGUAGE,
    LANGUAGE_CHOICES,
    SPOKEN_LANGUAGES,
    UI_LANGUAGE_NAMES,
    UI_LANGUAGES,
    ui_language,
)
from transcribe.web import display, strings
from transcribe.web.settings import load_settings


def test_the_upload_form_offers_detection_then_every_spoken_language():
    assert LANGUAGE_CHOICES == ("auto", *SPOKEN_LANGUAGES)
    for code in SPOKEN_LANGUAGES:  # every choice has a name in both interface languages
        assert display.language_label(code, "fr") != display.language_label(code, "en") \
            or SPOKEN_LANGUAGES[code][0] == SPOKEN_LANGUAGES[code][1]


def test_interface_languages_have_names_and_every_text():
    assert set(UI_LANGUAGE_NAMES) == set(UI_LANGUAGES) and DEFAULT_LANGUAGE in UI_LANGUAGES
    for texts in (*strings.STRINGS.values(), *i18n.MESSAGES.values()):
        assert set(texts) == set(UI_LANGUAGES)


def test_both_kinds_of_text_fall_back_to_the_default_language(monkeypatch):
    other = next(code for code in UI_LANGUAGES if code != DEFAULT_LANGUAGE)
    monkeypatch.setitem(strings.STRINGS, "test.only_default", {DEFAULT_LANGUAGE: "défaut"})
    monkeypatch.setitem(i18n.MESSAGES, "test.only_default", {DEFAULT_LANGUAGE: "défaut"})
    assert strings.text("test.only_default", other) == "défaut"
    assert i18n.message("test.only_default", other) == "défaut"
    # An unknown interface language is the default one, in every layer.
    assert strings.text("app.title", "xx") == strings.text("app.title", DEFAULT_LANGUAGE)
    assert i18n.normalise_language("xx") == DEFAULT_LANGUAGE
    assert load_settings({"TRANSCRIBE_UI_LANGUAGE": "xx"}).ui_language == DEFAULT_LANGUAGE


@pytest.mark.parametrize("language", UI_LANGUAGES)
def test_settings_accept_every_interface_language(language):
    assert load_settings({"TRANSCRIBE_UI_LANGUAGE": language}).ui_language == language


def test_one_rule_reads_an_interface_language_from_outside():
    assert [ui_language(v) for v in ("en", " EN ", "en_GB.UTF-8", "en-US", "fr")] == \
        ["en"] * 4 + ["fr"]
    assert ui_language("de") == ui_language(None) == ui_language("") == DEFAULT_LANGUAGE
    assert ui_language("de", "en") == "en"  # the caller's default: a setting, a cookie
