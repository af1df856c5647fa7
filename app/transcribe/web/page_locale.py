"""The page's language for screen readers: Streamlit serves every page as `<html
lang="en">`, and its own words that screen readers and keyboard users meet (the skip link,
the help buttons' and the dropdowns' labels, the headings' links, the sidebar's, the
tables' and charts' toolbars) are English whatever the language. A small script sets
`lang` and rewrites those words in the page's language, again whenever Streamlit redraws
and after a switch of language. No Streamlit here: app.py puts the script into every page
with st.html."""

from __future__ import annotations

import json

WORDS = {
    "fr": {"skip": "Aller au contenu principal", "help": "Aide : ", "open": "Ouvrir",
           "close": "Fermer", "anchor": "Lien vers ce titre"},
    "en": {"skip": "Skip to main content", "help": "Help for ", "open": "Open",
           "close": "Close", "anchor": "Link to heading"},
}


# Streamlit's (and its charts' and tables') own names of controls and regions, English in
# every language: (English, French). Set as an element's aria-label, title or
# aria-roledescription.
LABELS = [
    ("Sidebar", "Barre latérale"),
    ("Collapse sidebar", "Replier la barre latérale"),
    ("Expand sidebar", "Déplier la barre latérale"),
    ("App pages", "Pages de l'application"),
    ("Show data", "Afficher les données"),
    ("Download as PNG", "Télécharger en PNG"),
    ("Download as SVG", "Télécharger en SVG"),
    ("Copy Vega-Lite spec", "Copier la spécification Vega-Lite"),
    ("Fullscreen", "Plein écran"),
    ("Close fullscreen", "Quitter le plein écran"),
    ("Add row", "Ajouter une ligne"),
    ("Delete row(s)", "Supprimer la ou les lignes"),
    ("Show/hide columns", "Afficher ou masquer des colonnes"),
    ("Download as CSV", "Télécharger en CSV"),
    ("Search", "Rechercher"),
    ("Clear all", "Tout effacer"),
    # a chart's aria-roledescription (Vega)
    ("visualization", "visualisation"),
    ("group mark container", "groupe de marques"),
]


def locale_script(language: str) -> str:
    words = json.dumps(WORDS.get(language, WORDS["en"]))
    french = language == "fr"
    labels = {name: pair[1] if french else pair[0] for pair in LABELS for name in pair}
    return (_SCRIPT.replace("__LANG__", json.dumps(language if language in WORDS else "en"))
            .replace("__WORDS__", words).replace("__ALL__", json.dumps(WORDS))
            .replace("__LABELS__", json.dumps(labels, ensure_ascii=False)))


_SCRIPT = """<script>
(() => {
  const lang = __LANG__;
  const words = __WORDS__;
  const labels = __LABELS__;
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
    for (const element of document.querySelectorAll(
        '[aria-label], [title], [aria-roledescription]'))
      for (const attribute of ['aria-label', 'title', 'aria-roledescription']) {
        const name = element.getAttribute(attribute);
        if (name && labels[name] && labels[name] !== name)
          element.setAttribute(attribute, labels[name]);
      }
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
