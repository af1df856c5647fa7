"""Streamlit's file uploader in the page's language: its own words (button, drop zone,
hidden input, "Remove <file>", "Add files", the reason a file is refused) are English
whatever the language, and its chips give sizes its own way ("1.0MB", "35.6KB"). A small
script writes ours in their place, in the page itself, so that screen readers read them
too (CSS could only paint over them), again whenever Streamlit redraws: a chip's size is
the one the rest of the app shows (display.size_label; hidden until the page has sent
it). It also keeps the keyboard's focus on a visible button of the uploader when
Streamlit redraws it (after files are chosen or removed).
No Streamlit here: the upload page puts this into the page with st.html."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class UploaderWords:
    browse: str  # the button (and the hidden input)
    dropzone: str  # the line beside it: "or drop them here, N MB at most per file"
    remove: str  # a chip's remove button, with {name}
    add: str  # the "+" button once files are chosen
    too_large: str  # the reason the browser refuses a file (beyond server.maxUploadSize)
    failed: str  # the reason for an upload that failed on the way (the network)
    # Each uploaded file's size as the app writes it (display.size_label), by file name.
    sizes: dict[str, str] = field(default_factory=dict)


def uploader_script(words: UploaderWords) -> str:
    """The style and the script that put `words` into Streamlit's file uploader. The
    reason of a refused file is normally only in a hover tooltip, in English: it is
    written out in its chip instead, and the tooltip hidden. Streamlit words that reason
    in English only; the script tells "too large" (the usual case) from an upload that
    failed on the way by its English text, before replacing it."""
    # As data, never as markup: a "<" could otherwise close the script.
    data = json.dumps(asdict(words)).replace("<", "\\u003c")
    return _STYLE + _SCRIPT.replace("__WORDS__", data)


_CHIP = '[data-testid="stFileChip"][aria-invalid="true"]'
_STYLE = f"""<style>
{_CHIP} {{ flex-wrap: wrap; }}
{_CHIP} [role="alert"] {{
  position: static; width: 100%; height: auto; margin: 0; padding: 0 0.25rem 0.2rem;
  clip: auto; overflow: visible; white-space: normal; font-size: 0.8rem; line-height: 1.3; }}
[data-testid="stTooltipErrorContent"] {{ display: none; }}
[data-testid="stFileChipName"] + :not([data-size]) {{ visibility: hidden; }}
</style>"""

_SCRIPT = """<script>
(() => {
  const words = __WORDS__;
  const tooLarge = /File must be .* or smaller/;
  const text = (element, wanted) => {
    if (element && element.textContent !== wanted) element.textContent = wanted;
  };
  const name = (element, wanted) => {
    if (element && element.getAttribute('aria-label') !== wanted)
      element.setAttribute('aria-label', wanted);
  };
  const zones = '[data-testid="stFileUploaderDropzone"]';
  const visibleButton = () => document.querySelector(
    `${zones} [data-testid="stBaseButton-borderlessIcon"], ${zones} > span button`);
  const apply = () => {
    // The button a person pressed (to choose files, or remove one) is gone once the
    // uploader redraws, and the focus with it: it goes to the button now in its place.
    const left = window.transcribeUploaderLeft;
    if (left && !left.isConnected && (document.activeElement === document.body ||
                                      !document.activeElement)) {
      window.transcribeUploaderLeft = null;
      const button = visibleButton();
      if (button) button.focus();
    }
    for (const zone of document.querySelectorAll(zones)) {
      // The input is Streamlit's means, out of sight and of the Tab order: the button
      // beside it does what it does, under the same name. One control for screen readers.
      const input = zone.querySelector('[data-testid="stFileUploaderDropzoneInput"]');
      name(input, words.browse);
      if (input && input.getAttribute('aria-hidden') !== 'true')
        input.setAttribute('aria-hidden', 'true');
      text(zone.querySelector(':scope > span button [data-testid="stMarkdownContainer"] p'),
           words.browse);
      text(zone.querySelector('[data-testid="stFileUploaderDropzoneInstructions"] span'),
           words.dropzone);
      name(zone.querySelector('[data-testid="stBaseButton-borderlessIcon"]'), words.add);
    }
    for (const chip of document.querySelectorAll('[data-testid="stFileChip"]')) {
      const file = chip.querySelector('[data-testid="stFileChipName"]');
      name(chip.querySelector('[data-testid="stFileChipDeleteBtn"] button'),
           words.remove.replace('{name}', file ? file.textContent : ''));
      // Streamlit's size beside the name, and in the chip's name for screen readers.
      const named = file && (file.getAttribute('title') || file.textContent);
      const size = named && Object.hasOwn(words.sizes, named) && words.sizes[named];
      const shown = file && file.nextElementSibling;
      if (size && shown) {
        text(shown, size);
        if (shown.dataset.size !== 'app') shown.dataset.size = 'app';
        name(chip, `${named}, ${size}`);
      }
      const alert = chip.getAttribute('aria-invalid') === 'true'
        && chip.querySelector('[role="alert"]');
      if (!alert) continue;
      const said = alert.textContent;
      const reason = tooLarge.test(said) || said === words.too_large ? 'too-large'
        : said === words.failed || !chip.dataset.reason ? 'failed' : chip.dataset.reason;
      if (chip.dataset.reason !== reason) chip.dataset.reason = reason;
      text(alert, reason === 'too-large' ? words.too_large : words.failed);
    }
  };
  // The invisible input can get the focus (the Tab key after the uploader redrew): it
  // goes to the visible button next to it.
  const visible = (event) => {
    const target = event.target;
    const inside = target.closest && target.closest(zones);
    window.transcribeUploaderLeft = inside ? target : null;  // elsewhere: none of its own
    if (!inside) return;
    if (!target.matches('[data-testid="stFileUploaderDropzoneInput"]')) return;
    requestAnimationFrame(() => {
      const button = target.closest(zones).querySelector('button');
      if (button && document.activeElement === target) button.focus();
    });
  };
  if (window.transcribeUploaderLocale) {
    window.transcribeUploaderLocale.disconnect();
    document.removeEventListener('focusin', window.transcribeUploaderFocus, true);
  }
  window.transcribeUploaderLocale = new MutationObserver(apply);
  window.transcribeUploaderLocale.observe(document.body, {childList: true, subtree: true,
                                                          characterData: true});
  window.transcribeUploaderFocus = visible;
  document.addEventListener('focusin', visible, true);
  apply();
})();
</script>"""
