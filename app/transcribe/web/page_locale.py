"""Streamlit's own words that screen readers and keyboard users meet (the skip link, the
help buttons' and the dropdowns' labels) are English whatever the language: a small script
rewrites them in the page's language, again whenever Streamlit redraws. No Streamlit here:
app.py puts the script into every page with st.html."""

from __future__ import annotations

import json

WORDS = {
    "fr": {"skip": "Aller au contenu principal", "help": "Aide : ", "open": "Ouvrir",
           "close": "Fermer"},
    "en": {"skip": "Skip to main content", "help": "Help for ", "open": "Open",
           "close": "Close"},
}


def locale_script(language: str) -> str:
    words = json.dumps(WORDS.get(language, WORDS["en"]))
    return _SCRIPT.replace("__WORDS__", words).replace("__ALL__", json.dumps(WORDS))


_SCRIPT = """<script>
(() => {
  const words = __WORDS__;
  const prefixes = Object.values(__ALL__).map(w => w.help);
  const apply = () => {
    for (const link of document.querySelectorAll('a[href="#stMain"]'))
      if (link.textContent !== words.skip) link.textContent = words.skip;
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
  apply();
})();
</script>"""
