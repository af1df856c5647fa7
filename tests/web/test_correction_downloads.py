"""Pseudonyms reach the names a download carries (issue 21), in a real headless Chromium
against a real `transcribe-web` (the server and Chromium: conftest.py): a recording named
`entretien_Durand_Montreuil.wav`, one pseudonym stored beforehand and one added in the
page; every file the Download tab gives, the zip and the names inside it, and the docx's
heading, file line and title (read back with python-docx) carry the pseudonyms, while the
stored job and transcript keep the real names."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import pytest
from docx import Document

sys.path.insert(0, str(Path(__file__).parent))
from editor_browser import ARTIFACTS, downloaded, open_editor, settle, stored
from editor_support import seed_job
from test_browser import wait_until

from transcribe import changes
from transcribe.export import FORMATS
from transcribe.jobs import JobStore
from transcribe.web.display import export_labels

pytestmark = [pytest.mark.slow, pytest.mark.browser]

RECORDING = "entretien_Durand_Montreuil.wav"
NAMED = "entretien_[NOM]_[VILLE]"


def test_a_pseudonymised_file_name_is_in_every_download_and_in_the_docx(
        editor_app, browser, tmp_path):
    url, data, recording, transcript = editor_app
    copy = transcript.from_dict(transcript.to_dict())
    copy.source = RECORDING
    job_id = seed_job(data, recording, copy, RECORDING)
    changes.update_conventions(JobStore(data), job_id,
                               lambda conventions: conventions.pseudonyms.update(
                                   {"Montreuil": "[VILLE]"}))
    page = open_editor(browser, url, job_id)

    page.get_by_role("tab", name="Pseudonyms").click()
    settle(page)
    page.get_by_label("Real name", exact=True).fill("Durand")
    page.get_by_label("Pseudonym", exact=True).fill("[NOM]")
    page.get_by_role("button", name="Add the row").click()
    wait_until(lambda: "Durand" in stored(data, job_id)[1].pseudonyms, 30,
               "the pseudonym to be saved")
    settle(page)

    files = {name: downloaded(page, label, tmp_path)
             for name, label in export_labels("en").items()}
    files["zip"] = downloaded(page, "Download all (zip)", tmp_path)
    page.screenshot(path=str(ARTIFACTS / "editor-en-downloads-pseudonymised.png"))
    assert {name: path.name for name, path in files.items()} == {
        **{name: f"{NAMED}{fmt.extension}" for name, fmt in FORMATS.items()},
        "zip": f"{NAMED}.zip"}
    inside = zipfile.ZipFile(files["zip"])
    assert sorted(inside.namelist()) == sorted(p.name for n, p in files.items() if n != "zip")

    for document in (Document(str(files["docx"])),
                     Document(io.BytesIO(inside.read(f"{NAMED}.docx")))):
        assert document.core_properties.title == f"{NAMED}.wav"
        assert document.paragraphs[0].text == f"{NAMED}.wav"  # the heading
        assert f"File: {NAMED}.wav" in [p.text for p in document.paragraphs[1:3]]
        text = "\n".join(p.text for p in document.paragraphs)
        assert "Durand" not in text and "Montreuil" not in text
    for name in ("json", "txt", "srt"):
        assert b"Durand" not in files[name].read_bytes(), name
    assert f'"source": "{NAMED}.wav"' in files["json"].read_text(encoding="utf-8")

    # The stored originals keep the real names.
    assert stored(data, job_id)[0].source == RECORDING
    assert JobStore(data).get(job_id).name == RECORDING
