#!/usr/bin/env python3
"""The correction editor on a 3-hour interview (2,500 segments, 30,000 words, synthetic),
timed by the browser itself (Debian's headless Chromium through Playwright) against a
real `transcribe-web`:

- open: from the navigation to the review page until the editor has drawn its first
  screen (Streamlit's start, the script run, the document's transfer and the drawing),
  then the whole document; in the browser the person uploaded from (the app's scripts
  cached: median of three visits), and once in a browser that never saw the app;
- from a keystroke to the screen: F2 (seek 3 s) to the moved highlight painted; a
  character typed into a segment to the next frame; Enter (split at the cursor, which
  redraws the document) to the next frame; F8 (one sentence's speaker, its turn drawn
  split around it) to the next frame; median and worst of repeated tries;
- the highlight update alone (the JavaScript run on each `timeupdate`), and a search for
  a frequent word with every match highlighted.

`python bench/editor.py` prints the table; `bench/run.py` includes it.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "app"), str(ROOT / "tests" / "web"), str(ROOT / "tests")]

from editor_support import long_transcript, seed_job  # noqa: E402
from webserver import web_server  # noqa: E402

import transcribe  # noqa: E402,F401 - offline environment first

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--autoplay-policy=no-user-gesture-required"]

# In the page: time from a key pressed (window capture, before the editor's handler) to
# the frame after the change it causes.
PROBE = """([check]) => { const e = window.transcribeEditor; const before = e.lit;
  window.__result = new Promise((done) => {
    window.addEventListener('keydown', () => {
      const t0 = performance.now();
      const wait = () => requestAnimationFrame(() => {
        if (check === 'highlight' && e.lit === before) return wait();
        requestAnimationFrame(() => done(performance.now() - t0));
      });
      wait();
    }, {capture: true, once: true});
  }); }"""


def listening_tone(folder: Path, seconds: float) -> Path:
    """A long quiet tone as an MP3 (the player only needs a file of the right length)."""
    path = folder / "long.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency=220:duration={seconds}:sample_rate=8000", "-ac", "1",
                    "-c:a", "libmp3lame", "-b:a", "8k", str(path)], check=True)
    return path


def measure(tries: int = 15) -> dict:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        data = folder / "data"
        transcript = long_transcript()
        recording = listening_tone(folder, transcript.duration)
        job_id = seed_job(data, recording, transcript, "long.mp3", listening=recording)
        env = {**os.environ, "TRANSCRIBE_DATA_DIR": str(data),
               "TRANSCRIBE_UI_LANGUAGE": "fr", "HOME": str(folder)}
        for name in ("TRANSCRIBE_PASSWORD", "TRANSCRIBE_DELETE_AT", "TRANSCRIBE_BASE_PATH"):
            env.pop(name, None)
        with web_server(env) as (url, _):
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                try:
                    return run(browser, f"{url}/review?job={job_id}", tries, transcript)
                finally:
                    browser.close()


# When the page's title shows (Streamlit has started and run the page's first lines).
TITLE = """new MutationObserver((_, observer) => {
  if (document.querySelector('h1')) {
    window.benchTitle = performance.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});"""


def visit(context, address: str) -> dict:
    """One visit of the review page: when the title, the editor, its first screen and the
    whole document were there (ms from the navigation's start)."""
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.add_init_script(TITLE)
    page.goto(address)
    page.wait_for_function("window.transcribeEditorDrawn !== undefined")
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    times = page.evaluate("({title: window.benchTitle, mounted: window.transcribeEditorMounted,"
                          " shown: window.transcribeEditorReady,"
                          " drawn: window.transcribeEditorDrawn})")
    page.close()
    return times


def run(browser, address: str, tries: int, transcript) -> dict:
    # A browser that never saw the app (nothing cached), once.
    cold_context = browser.new_context(viewport={"width": 1300, "height": 1000})
    cold = visit(cold_context, address)
    cold_context.close()
    # Then as people open it: in the browser they uploaded from (the app's own scripts
    # cached), the review page opened three times; the median counts.
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    upload = context.new_page()
    upload.goto(address.split("/review")[0] + "/")
    upload.wait_for_selector("h1")
    upload.close()
    visits = [visit(context, address) for _ in range(3)]

    def median(what: str) -> float:
        return statistics.median(v[what] for v in visits)

    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(address)
    page.wait_for_function("window.transcribeEditorDrawn !== undefined")
    counted = page.evaluate("[window.transcribeEditor.segs.length, "
                            "window.transcribeEditor.segs.reduce((n, s) => n + s.toks.length, 0)]")

    def probe(key: str, check: str) -> float:
        page.evaluate(PROBE, [check])
        page.keyboard.press(key)
        return page.evaluate("window.__result")

    seeks = []
    for n in range(tries):
        page.evaluate(f"window.transcribeEditor.audio.currentTime = {600 + n * 541.3}")
        page.evaluate("window.transcribeEditor.highlight()")
        page.locator(".te-doc").focus()
        seeks.append(probe("F2", "highlight"))
    page.evaluate("(e => e.placeCaret(e.elements.get(e.segs[1200].u), 5))(window.transcribeEditor)")
    typing = [probe("x", "frame") for _ in range(tries)]
    splits = []
    for n in range(min(tries, 8)):
        page.evaluate(f"(e => e.placeCaret(e.elements.get(e.segs[{1000 + 40 * n}].u), 9))"
                      "(window.transcribeEditor)")
        splits.append(probe("Enter", "frame"))
    speakers = []
    for n in range(min(tries, 8)):
        page.evaluate(f"(e => e.placeCaret(e.elements.get(e.segs[{1500 + 40 * n}].u), 3))"
                      "(window.transcribeEditor)")
        speakers.append(probe("F8", "frame"))
    highlight = page.evaluate("""() => { const e = window.transcribeEditor, a = e.audio;
        const t0 = performance.now();
        for (let n = 0; n < 200; n++) { a.currentTime = (n * 53.7) % a.duration; e.highlight(); }
        return (performance.now() - t0) / 200; }""")
    search = page.evaluate("""() => new Promise((done) => { const e = window.transcribeEditor;
        const t0 = performance.now(); e.search.value = 'travail'; e.find();
        requestAnimationFrame(() => done([performance.now() - t0, e.matches.length])); })""")
    return {
        "segments": counted[0], "words": counted[1],
        "hours": round(transcript.duration / 3600, 2),
        "open_ms": round(median("shown")), "open_ms_all": [round(v["shown"]) for v in visits],
        "whole_ms": round(median("drawn")), "title_ms": round(median("title")),
        "mounted_ms": round(median("mounted")),
        "cold_open_ms": round(cold["shown"]), "cold_whole_ms": round(cold["drawn"]),
        "seek_highlight_ms": summary(seeks), "typing_ms": summary(typing),
        "split_ms": summary(splits), "speaker_ms": summary(speakers),
        "highlight_update_ms": round(highlight, 2),
        "search_ms": round(search[0]), "search_matches": search[1],
    }


def summary(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 1), "max": round(max(values), 1)}


def table(result: dict) -> str:
    rows = [
        ("open the review page: the editor's first screen drawn (median of 3)",
         f"{result['open_ms']} ms (all: {', '.join(map(str, result['open_ms_all']))})"),
        ("  the page's title shown (Streamlit started, for comparison)",
         f"{result['title_ms']} ms"),
        ("  the editor started (the component mounted)", f"{result['mounted_ms']} ms"),
        ("  the whole document drawn", f"{result['whole_ms']} ms"),
        ("the same in a browser that never saw the app (nothing cached)",
         f"{result['cold_open_ms']} ms (whole: {result['cold_whole_ms']} ms)"),
        ("F2 (seek 3 s) to the highlight painted", fmt(result["seek_highlight_ms"])),
        ("a character typed to the next frame", fmt(result["typing_ms"])),
        ("Enter (split, document redrawn) to the next frame", fmt(result["split_ms"])),
        ("F8 (a sentence's speaker, its turn split) to the next frame",
         fmt(result["speaker_ms"])),
        ("highlight update on timeupdate (JS)", f"{result['highlight_update_ms']} ms"),
        (f"search, {result['search_matches']} matches highlighted", f"{result['search_ms']} ms"),
    ]
    head = (f"Correction editor, {result['hours']} h transcript ({result['segments']} "
            f"segments, {result['words']} words), headless Chromium")
    return "\n".join([head, "", "| what | time |", "|---|---|",
                      *(f"| {what} | {value} |" for what, value in rows)])


def fmt(values: dict) -> str:
    return f"median {values['median']} ms, worst {values['max']} ms"


if __name__ == "__main__":
    outcome = measure()
    print(table(outcome))
    print(json.dumps(outcome))
