"""The languages, defined once: those the interface speaks and those a recording can be in.

i18n.py (messages shared with the CLI), web/strings.py (the pages), web/settings.py and
the upload form all read these.
"""

from __future__ import annotations

# Interface languages, with their names as the language switch shows them.
UI_LANGUAGES = ("fr", "en")
UI_LANGUAGE_NAMES = {"fr": "Français", "en": "English"}
# The default interface language, and the one every text falls back to when it has no
# translation (i18n.message and strings.text alike): the users are mostly French-speaking
# researchers, and a fallback in the language the interface opens in never mixes two
# languages on a default page.
DEFAULT_LANGUAGE = "fr"


def ui_language(value: object, default: str = DEFAULT_LANGUAGE) -> str:
    """The interface language `value` names ("fr", "EN", "fr_FR.UTF-8", "en-GB"), when
    the interface speaks it; else `default`. Every language that comes from outside (a
    setting, a cookie, a form, a stored record) goes through here."""
    code = str(value or "").strip().split("_")[0].split("-")[0].split(".")[0].lower()
    return code if code in UI_LANGUAGES else default

# Spoken languages offered for transcription: (French name, English name).
SPOKEN_LANGUAGES: dict[str, tuple[str, str]] = {
    "fr": ("Français", "French"), "en": ("Anglais", "English"), "de": ("Allemand", "German"),
    "es": ("Espagnol", "Spanish"), "it": ("Italien", "Italian"),
    "pt": ("Portugais", "Portuguese"), "nl": ("Néerlandais", "Dutch"),
    "pl": ("Polonais", "Polish"), "ro": ("Roumain", "Romanian"), "ru": ("Russe", "Russian"),
    "uk": ("Ukrainien", "Ukrainian"), "ar": ("Arabe", "Arabic"), "tr": ("Turc", "Turkish"),
    "fa": ("Persan", "Persian"), "zh": ("Chinois", "Chinese"), "ja": ("Japonais", "Japanese"),
    "ko": ("Coréen", "Korean"), "vi": ("Vietnamien", "Vietnamese"), "hi": ("Hindi", "Hindi"),
    "sv": ("Suédois", "Swedish"), "da": ("Danois", "Danish"), "no": ("Norvégien", "Norwegian"),
    "fi": ("Finnois", "Finnish"), "el": ("Grec", "Greek"), "cs": ("Tchèque", "Czech"),
    "hu": ("Hongrois", "Hungarian"), "he": ("Hébreu", "Hebrew"), "ca": ("Catalan", "Catalan"),
    "eu": ("Basque", "Basque"), "br": ("Breton", "Breton"), "oc": ("Occitan", "Occitan"),
}
# What the upload form offers: detection first, then every spoken language.
LANGUAGE_CHOICES = ("auto", *SPOKEN_LANGUAGES)
