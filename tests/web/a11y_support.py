"""For the accessibility browser tests (test_accessibility.py): axe-core run in the page,
Streamlit's runs waited for, whether the focus is seen (screenshots focused and not), and
the keyboard's moves."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# From the npm registry, pinned in tests/package.json; `make test` installs it (npm ci).
AXE = ROOT / "tests" / "node_modules" / "axe-core" / "axe.min.js"
# axe-core's rules for WCAG 2.0 and 2.1, levels A and AA: what RGAA 4 asks.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def settle(page) -> None:
    """Streamlit has finished drawing: no run in progress, nothing stale or loading."""
    from playwright.sync_api import expect

    page.wait_for_timeout(300)
    for _ in range(2):
        expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)
        expect(page.locator('[data-stale="true"]')).to_have_count(0)
        expect(page.get_by_test_id("stSkeleton")).to_have_count(0)
        page.wait_for_timeout(200)


def axe(page, allowed: dict[str, str]) -> list[dict]:
    """axe-core's WCAG A/AA violations on the page as it is now, each with its nodes and
    whether Streamlit drew each one (`allowed`: rule id -> a selector of Streamlit's
    elements it may be found on)."""
    if not page.evaluate("!!window.axe"):
        # Evaluated, not added as a <script>: the login page's CSP allows no inline script.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    return page.evaluate("""async ([tags, allowed]) => {
        const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
          nodes: v.nodes.map(n => {
            const element = document.querySelector(n.target[0]);
            const streamlit = allowed[v.id];
            return {target: n.target, html: n.html.slice(0, 200), summary: n.failureSummary,
                    streamlit: !!(streamlit && element && element.closest(streamlit))};
          })}));
    }""", [WCAG_TAGS, allowed])


# What the focus is on, and a signature of how it is drawn (the same element type with the
# same classes is drawn the same way: one of each is checked). A control hidden to the eye
# (Streamlit's checkboxes, radios, its file input) shows its focus on its label or box.
FOCUSED = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  let shown = element;
  while (shown && shown !== document.body) {
    const box = shown.getBoundingClientRect();
    if (box.width >= 4 && box.height >= 4) break;
    shown = shown.parentElement;
  }
  const toggle = ['checkbox', 'radio'].includes(element.type);  // hidden, in its label
  if (shown !== element || toggle) shown = element.closest('label') || shown;
  const box = shown.getBoundingClientRect();
  return {signature: [element.tagName, element.type || '', element.getAttribute('role') || '',
                      element.className, shown.className].join('|'),
          name: (element.getAttribute('aria-label') || element.textContent || element.tagName)
                  .trim().slice(0, 60),
          box: [box.x, box.y, box.width, box.height]};
}"""


def changed_pixels(before: bytes, after: bytes) -> int:
    from io import BytesIO

    import numpy as np
    from PIL import Image

    first, second = (np.asarray(Image.open(BytesIO(shot)).convert("RGB"), dtype=int)
                     for shot in (before, after))
    return int((np.abs(first - second).sum(axis=2) > 48).sum())


def unseen_focus(page, stops: int = 60) -> list[str]:
    """Tab through the page from where the focus is (at most `stops` times): every kind of
    control must look different focused and not, by at least a 2-pixel ring around it
    (WCAG 2.4.7; a 1-pixel line or border colour is what Streamlit gave some of them)."""
    unseen, seen = [], set()
    viewport = page.viewport_size
    for _ in range(stops):
        page.keyboard.press("Tab")
        page.wait_for_timeout(120)
        focused = page.evaluate(FOCUSED)
        if focused is None or focused["signature"] in seen:
            continue
        seen.add(focused["signature"])
        x, y, width, height = focused["box"]
        if width < 1 or y + height < 0 or y > viewport["height"]:
            continue
        margin = 6
        clip = {"x": max(0, x - margin), "y": max(0, y - margin),
                "width": min(width + 2 * margin, viewport["width"] - max(0, x - margin)),
                "height": min(height + 2 * margin, viewport["height"] - max(0, y - margin))}
        page.wait_for_timeout(250)  # Streamlit's transitions
        focused_shot = page.screenshot(clip=clip, animations="disabled", caret="hide")
        # Blurred as a click elsewhere would (the app puts back a focus lost otherwise);
        # the next Tab goes on from there.
        page.evaluate("""() => {
            document.body.dispatchEvent(new PointerEvent('pointerdown', {bubbles: true}));
            document.activeElement.blur(); }""")
        page.wait_for_timeout(250)
        blurred_shot = page.screenshot(clip=clip, animations="disabled", caret="hide")
        ring = 2 * (width + height)  # a 1-pixel line around it; a 2-pixel ring is twice that
        changed = changed_pixels(focused_shot, blurred_shot)
        if changed < 1.5 * ring:
            unseen.append(f"{focused['name']!r}: {changed} pixels change, under 1.5 x {ring}"
                          f" ({focused['signature'][:100]})")
    return unseen


ACTIVE = """() => { const e = document.activeElement;
  return e ? {tag: e.tagName, type: e.type || '', role: e.getAttribute('role') || '',
              name: (e.getAttribute('aria-label') || e.innerText || '').trim().slice(0, 80)}
           : null; }"""


def press_until(page, key: str, wanted, limit: int = 40) -> dict:
    """Press `key` until the focused element is `wanted` (a predicate on ACTIVE's dict)."""
    for _ in range(limit):
        page.keyboard.press(key)
        page.wait_for_timeout(60)
        active = page.evaluate(ACTIVE)
        if active and wanted(active):
            return active
    raise AssertionError(f"{key} never reached the element wanted (last: {active})")


def focus_in(page, selector: str) -> bool:
    return page.evaluate("s => !!document.activeElement.closest(s)", selector)


