"""What every page adds to Streamlit's own styling and behaviour to meet WCAG 2.1 AA
(RGAA): captions with 4.5:1 contrast, a focus ring on every control, the focus kept when
Streamlit redraws what has it, and moved where the person's attention goes after an
action that redraws the page. The theme's colours are in theme.toml; the page's language
in page_locale.py. No Streamlit here: the pages put these into the page with st.html."""

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
/* Checkboxes, switches and radio buttons: a ring around the label, not only a faint one
   around the small box. */
label:has(input:focus-visible) {{
  outline: 2px solid {FOCUS_COLOUR}; outline-offset: 2px; border-radius: 0.25rem; }}
/* Text boxes and dropdowns: a ring, not only their border's colour. */
[data-testid="stTextInputRootElement"]:focus-within,
[data-testid="stTextAreaRootElement"]:focus-within,
[data-baseweb="select"] > div:focus-within {{
  outline: 2px solid {FOCUS_COLOUR}; outline-offset: 1px; }}
/* A table's or a chart's toolbar is shown on hover only: its buttons, reached with the
   Tab key, would have the focus unseen. */
[data-testid="stElementToolbar"]:focus-within {{ opacity: 1 !important; }}
[data-focus-target]:focus {{
  outline: 2px solid {FOCUS_COLOUR}; outline-offset: 4px; border-radius: 0.5rem; }}
</style>"""


# When Streamlit reruns it draws some elements anew (a job's box once its transcription
# ends, a widget whose callback changed the page) or blurs them (a tab that has just been
# chosen): the focus falls back to the page's body, and the Tab key starts again from the
# top. This puts it back: on the element itself if it is still there, else on the one
# drawn in its place (the same keyed box, Streamlit's `st-key-<key>` class, or within it
# the control of the same kind and text; a control that has no such twin is left to its
# widget's own script, as the uploader's). Not after a click (the person moved it), nor
# once the focus is somewhere else, the page changed, or 10 s went by.
FOCUS_KEEPER = """<script>
(() => {
  if (window.transcribeFocusKeeper) return;
  const focusable = 'a[href], button, input, select, textarea, summary, [tabindex]';
  let kept = null;
  const keyOf = (element) => {
    const box = element.closest && element.closest('[class*="st-key-"]');
    return box && [...box.classList].find(name => name.startsWith('st-key-'));
  };
  const replacement = () => {
    const box = kept.key && document.querySelector('.' + CSS.escape(kept.key));
    if (!box) return null;
    if (kept.self) return box;
    return [...box.querySelectorAll(focusable)].find(
      e => e.tagName === kept.tag && e.textContent.trim().slice(0, 80) === kept.text);
  };
  const restore = () => {
    if (!kept) return;
    const active = document.activeElement;
    if (active === kept.element) return;
    if (active && active !== document.body) { kept = null; return; }
    if (!document.hasFocus()) return;  // another window has it: nothing was lost
    kept.lost = kept.lost || Date.now();
    if (location.pathname !== kept.page || Date.now() - kept.lost > 10000) {
      kept = null;
      return;
    }
    const target = kept.element.isConnected ? kept.element : replacement();
    if (!target || !target.checkVisibility()) return;  // not (yet) drawn again
    kept = null;
    if (!target.matches(focusable)) {
      target.setAttribute('tabindex', '-1');
      target.dataset.focusTarget = '';
    }
    target.focus({preventScroll: true});
  };
  document.addEventListener('focusin', (event) => {
    const element = event.target;
    const key = keyOf(element);
    kept = {element, key, page: location.pathname, lost: null, tag: element.tagName,
            self: !!key && element.classList.contains(key),
            text: (element.textContent || '').trim().slice(0, 80)};
  }, true);
  // Checked from a moment later, never at once (a widget that moves the focus itself, a
  // dropdown from its box to its text field, has done so by then), then every 250 ms
  // until it is back or given up: the element may be drawn again only after a while.
  let watching = null;
  const watch = () => {
    if (watching) return;
    watching = setInterval(() => {
      restore();
      if (!kept || document.activeElement === kept.element) {
        clearInterval(watching);
        watching = null;
      }
    }, 250);
  };
  document.addEventListener('focusout', (event) => {
    if (event.relatedTarget) {  // moving on to another element: nothing to put back
      kept = null;
      return;
    }
    watch();
  }, true);
  // A click moves the focus on purpose: nothing to put back.
  document.addEventListener('pointerdown', () => { kept = null; }, true);
  // A focused element taken out of the page fires no focusout.
  window.transcribeFocusKeeper = new MutationObserver(() => {
    if (kept && !kept.element.isConnected) watch();
  });
  window.transcribeFocusKeeper.observe(document.body, {childList: true, subtree: true});
})();
</script>"""


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
