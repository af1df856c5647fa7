"""The page's language for screen readers: Streamlit serves every page as `<html
lang="en">`, and its own words that screen readers and keyboard users meet (the skip link,
the help buttons' and the dropdowns' labels, the headings' links) are English whatever the
language. A small script sets `lang` and rewrites those words in the page's language,
again whenever Streamlit redraws and after a switch of language. No Streamlit here: app.py
puts the script into every page with st.html."""

from __future__ import annotations

import json

WORDS = {
    "fr": {"skip": "Aller au contenu principal", "help": "Aide : ", "open": "Ouvrir",
           "close": "Fermer", "anchor": "Lien vers ce titre"},
    "en": {"skip": "Skip to main content", "help": "Help for ", "open": "Open",
           "close": "Close", "anchor": "Link to heading"},
}


def locale_script(language: str) -> str:
    words = json.dumps(WORDS.get(language, WORDS["en"]))
    return (_SCRIPT.replace("__LANG__", json.dumps(language if language in WORDS else "en"))
            .replace("__WORDS__", words).replace("__ALL__", json.dumps(WORDS)))


_SCRIPT = """<script>
(() => {
  const lang = __LANG__;
  const words = __WORDS__;
  const all = Object.values(__ALL__);
  const prefixes = all.map(w => w.help);
  const anchors = all.map(w => w.anchor);
  const apply = () => {
    if (document.documentElement.lang !== lang) document.documentElement.lang = lang;
    for (const link of document.querySelectorAll('a[href="#stMain"]'))
      if (link.textContent !== words.skip) link.textContent = words.skip;
    for (const link of document.querySelectorAll('[data-testid="stHeaderActionElements"] a'))
      if (anchors.includes(link.getAttribute('aria-label')) &&
          link.getAttribute('aria-label') !== words.anchor)
        link.setAttribute('aria-label', words.anchor);
    for (const button of document.querySelectorAll('button[aria-label]')) {
      const label = button.getAttribute('aria-label');
      const prefix = prefixes.find(p => label.startsWith(p));
      let wanted = label;
      if (prefix) wanted = words.help + label.slice(prefix.length);
      else if (label === 'Open' || label === 'Ouvrir') wanted = words.open;
      else if (label === 'Close' || label === 'Fermer') wanted = words.close;
      if (wanted !== label) button.setAttribute('aria-label', wanted);
    }
  };
  if (window.transcribeLocale) window.transcribeLocale.disconnect();
  window.transcribeLocale = new MutationObserver(apply);
  window.transcribeLocale.observe(document.body, {childList: true, subtree: true});
  // Should anything set it back, it is set again.
  window.transcribeLocale.observe(document.documentElement, {attributeFilter: ['lang']});
  apply();
})();
</script>"""
