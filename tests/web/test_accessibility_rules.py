"""What the pages' accessibility rests on, without a browser: the theme's and captions'
contrast ratios (WCAG's formula), the script that sets the page's language and Streamlit's
words, and the statement, which names in both languages and in README every Streamlit-only
rule that the browser test allows."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from test_accessibility import STREAMLIT_ONLY

from transcribe.web import accessibility, page_locale, statement

ROOT = Path(__file__).resolve().parents[2]
WHITE, SIDEBAR, WIDGET = "#ffffff", "#f8f8f7", "#f0f2f6"  # Streamlit's light backgrounds


def luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(first: str, second: str) -> float:
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def tint(colour: str, over: str, alpha: float) -> str:
    """`colour` at `alpha` opacity over `over`."""
    mixed = (round(int(colour[i:i + 2], 16) * alpha + int(over[i:i + 2], 16) * (1 - alpha))
             for i in (1, 3, 5))
    return "#" + "".join(f"{value:02x}" for value in mixed)


def test_the_theme_and_captions_keep_wcag_aa_contrast():
    theme = tomllib.loads((ROOT / "app/transcribe/web/theme.toml").read_text())["theme"]
    primary = theme["primaryColor"]
    assert accessibility.FOCUS_COLOUR == primary  # one colour, read from the theme
    assert contrast(WHITE, primary) >= 4.5  # primary buttons' white text
    # The selected language: primary text on its tint (20% over the sidebar when it has
    # the focus, as Chromium measured it; Streamlit's own red gave 4.2:1 and 3.9:1).
    for alpha in (0.12, 0.2):
        assert contrast(primary, tint(primary, SIDEBAR, alpha)) >= 4.5, alpha
    assert contrast(primary, WHITE) >= 3  # focus rings
    for background in (WHITE, SIDEBAR, WIDGET):
        assert contrast(accessibility.CAPTION_COLOUR, background) >= 4.5, background
    assert "opacity: 1 !important" in accessibility.PAGE_STYLE  # Streamlit's 60% undone


def test_the_page_declares_its_language_and_streamlits_words_in_it():
    french = page_locale.locale_script("fr")
    assert 'const lang = "fr";' in french
    labels = json.loads(re.search(r"const labels = (\{.*?\});", french).group(1))
    assert "Lien vers ce titre" in french  # the headings' links
    assert labels["Sidebar"] == labels["Barre latérale"] == "Barre latérale"
    english = page_locale.locale_script("en")
    labels = json.loads(re.search(r"const labels = (\{.*?\});", english).group(1))
    assert labels["Barre latérale"] == "Sidebar"  # after a switch back to English
    assert 'const lang = "en";' in english
    assert 'const lang = "en";' in page_locale.locale_script("de")  # unknown: English


def test_focus_script_names_its_target_as_data():
    script = accessibility.focus_script('.st-key-job-1, .st-key-job-"2"', view="#jobs")
    assert 'const target = ".st-key-job-1, .st-key-job-\\"2\\"", view = "#jobs";' in script


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_statement_lists_what_streamlit_alone_breaks(language):
    text = statement.statement(language)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert set(STREAMLIT_ONLY) <= set(statement.STREAMLIT_RULES)
    for rule in statement.STREAMLIT_RULES:
        assert f"`{rule}`" in text and f"`{rule}`" in readme, rule
    assert ("non conforme" if language == "fr" else "not conformant") in text
    assert "Défenseur des droits" in text and statement.DATE[language] in text
    assert "{date}" not in text
