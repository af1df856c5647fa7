"""Streamlit's file uploader in the page's language: its own words (button, drop zone, the
reason a file is refused) are English whatever the language, so CSS writes ours over them.
No Streamlit here: the upload page puts these into the page with st.html."""

from __future__ import annotations


def css_string(value: str) -> str:
    """A CSS string literal (for `content:`), whatever the text holds."""
    return '"' + "".join(c if c.isalnum() or c in " .,·:;()-'" else f"\\{ord(c):x} "
                         for c in value) + '"'


def uploader_style(browse: str, dropzone: str, too_large: str, failed: str) -> str:
    """CSS that puts the page's language into Streamlit's file uploader, whose own words
    are English whatever the language: its button, its drop zone, and the chip of a file
    it refuses before sending (beyond server.maxUploadSize, which is our limit). That
    chip's reason is normally only in a hover tooltip, in English: it is written out in the
    chip instead, and the tooltip hidden. `too_large` is the default reason (the only one
    the browser itself can give here); UPLOAD_CHIP_SCRIPT marks chips that failed
    otherwise (the network) so that they get `failed`."""
    chip = '[data-testid="stFileChip"][aria-invalid="true"]'
    return f"""<style>
[data-testid="stFileUploaderDropzone"] button p {{ font-size: 0; }}
[data-testid="stFileUploaderDropzone"] button p::after {{
  content: {css_string(browse)}; font-size: 0.875rem; }}
[data-testid="stFileUploaderDropzoneInstructions"] span {{ font-size: 0; }}
[data-testid="stFileUploaderDropzoneInstructions"] span::after {{
  content: {css_string(dropzone)}; font-size: 0.875rem; }}
{chip} {{ flex-wrap: wrap; }}
{chip} [role="alert"] {{
  position: static; width: 100%; height: auto; margin: 0; padding: 0 0.25rem 0.2rem;
  clip: auto; overflow: visible; white-space: normal; font-size: 0; }}
{chip} [role="alert"]::after {{
  content: {css_string(too_large)}; font-size: 0.8rem; line-height: 1.3; }}
{chip}[data-reason="failed"] [role="alert"]::after {{ content: {css_string(failed)}; }}
[data-testid="stTooltipErrorContent"] {{ display: none; }}
</style>"""


# Streamlit words the reason of a refused file in English only; this tells the "too large"
# chips (the usual case) from uploads that failed on the way, for uploader_style.
UPLOAD_CHIP_SCRIPT = """<script>
(() => {
  if (window.transcribeChipWatch) return;
  const tooLarge = /File must be .* or smaller/;
  const mark = () => {
    for (const chip of document.querySelectorAll(
        '[data-testid="stFileChip"][aria-invalid="true"]')) {
      const alert = chip.querySelector('[role="alert"]');
      const reason = tooLarge.test(alert ? alert.textContent : '') ? 'too-large' : 'failed';
      if (chip.dataset.reason !== reason) chip.dataset.reason = reason;
    }
  };
  window.transcribeChipWatch = new MutationObserver(mark);
  window.transcribeChipWatch.observe(document.body, {childList: true, subtree: true,
                                                     characterData: true});
  mark();
})();
</script>"""
