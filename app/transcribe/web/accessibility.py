"""What every page adds to Streamlit's own styling and behaviour to meet WCAG 2.1 AA
(RGAA): captions with 4.5:1 contrast, a focus ring on every control, and the focus moved
where the person's attention goes after an action that redraws the page. The theme's
colours are in theme.toml; the page's language in page_locale.py. No Streamlit here: the
pages put these into the page with st.html."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

THEME = Path(__file__).with_name("theme.toml")
# The theme's primary colour, 7.5:1 on white: a ring of it is well above the 3:1 that
# focus indicators need.
FOCUS_COLOUR = tomllib.loads(THEME.read_text(encoding="utf-8"))["theme"]["primaryColor"]
# Streamlit draws captions (hints, summaries, counts) in the text colour at 60% opacity:
# 3.9:1 on white. This grey, opaque, keeps their lighter look at 5.7:1 on white, 5.4:1 on
# the sidebar, 5.1:1 on the widgets' grey.
CAPTION_COLOUR = "#676664"

PAGE_STYLE = f"""<style>
[data-testid="stCaptionContainer"] {{ opacity: 1 !important; }}
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * {{
  color: {CAPTION_COLOUR} !important; }}
/* Streamlit's hints under text boxes ("Press Enter to apply") exist in English only. */
[data-testid="InputInstructions"] {{ display: none; }}
/* A visible focus on every control: Streamlit shows none on the current page's link,
   a thin line under a tab, nothing on some buttons. */
a:focus-visible, button:focus-visible, summary:focus-visible, [role="tab"]:focus-visible,
[role="link"]:focus-visible, [data-testid="stSidebarNavLink"]:focus-visible {{
  outline: 2px solid {FOCUS_COLOUR} !important; outline-offset: 2px; }}
[role="tab"]:focus-visible {{ outline-offset: -2px; }}
[data-focus-target]:focus {{
  outline: 2px solid {FOCUS_COLOUR}; outline-offset: 4px; border-radius: 0.5rem; }}
</style>"""


def focus_script(target: str, view: str | None = None) -> str:
    """A script that moves the keyboard's focus to the first element matching the CSS
    selector `target` once it is drawn (made focusable if it is not), after scrolling
    `view` (else the target) to the top of the window. Streamlit redraws the page after
    a button; without this the focus falls back to the page's body."""
    return _FOCUS.replace("__TARGET__", json.dumps(target)).replace(
        "__VIEW__", json.dumps(view or target))


_FOCUS = """<script>
(() => {
  const target = __TARGET__, view = __VIEW__;
  const started = Date.now();
  const move = () => {
    const element = document.querySelector(target);
    if (!element) {
      if (Date.now() - started < 15000) setTimeout(move, 100);
      return;
    }
    if (!element.matches('a[href], button, input, select, textarea, [tabindex]'))
      element.setAttribute('tabindex', '-1');
    element.dataset.focusTarget = '';
    (document.querySelector(view) || element).scrollIntoView({block: 'start'});
    element.focus({preventScroll: true});
  };
  move();
})();
</script>"""
