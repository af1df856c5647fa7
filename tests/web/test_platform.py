"""What the platform asks the app to say (web/platform.py), on the pages (AppTest): the GPU
line at the end of a batch, the privacy page's GPU section with its download-everything zip,
the project-namespace warning, the preselected spoken language; and the notice's parsing."""

from __future__ import annotations

import io
import json
import zipfile

from test_app import start, texts
from web_support import seed_done

from transcribe.conventions import Conventions
from transcribe.web import platform

DEPLOYED = {"TRANSCRIBE_DELETE_AT": "2099-01-01T00:00:00Z", "TRANSCRIBE_DEVICE": "cuda"}


def setenv(monkeypatch, **values: str) -> None:
    for key, value in values.items():
        monkeypatch.setenv(key, value)


def test_end_of_batch_says_how_to_free_the_gpu(runner, monkeypatch, store):
    setenv(monkeypatch, **DEPLOYED)
    seed_done(store)
    assert "libérer le GPU pour les autres" in texts(start())


def test_no_gpu_line_on_a_cpu_or_local_run(runner, monkeypatch, store):
    seed_done(store)
    assert "libérer le GPU" not in texts(start())  # local run: no deadline
    setenv(monkeypatch, **{**DEPLOYED, "TRANSCRIBE_DEVICE": "cpu"})
    assert "libérer le GPU" not in texts(start())


def test_privacy_page_frees_the_gpu_after_downloading_everything(runner, monkeypatch, store):
    setenv(monkeypatch, **DEPLOYED)
    seed_done(store, name="entretien.wav",
               conventions=Conventions(pseudonyms={"Marie": "Claire"}))
    seed_done(store, name="entretien.m4a")
    at = start("privacy")
    page = texts(at)
    assert "Libérer le GPU" in page and "Mes services" in page
    assert not [b for b in at.button if b.key == "delete-service"]  # the chart did not grant it

    archive = zipfile.ZipFile(io.BytesIO(platform.everything_zip(store)))
    names = sorted(archive.namelist())
    assert "entretien/entretien.docx" in names and "entretien-2/entretien.txt" in names
    assert len(names) == 2 * len({n.split("/", 1)[1] for n in names})
    first = archive.read("entretien/entretien.txt").decode()
    assert "Claire" in first and "Marie" not in first  # pseudonyms applied


def test_project_namespace_warning_on_the_privacy_page(runner, monkeypatch):
    setenv(monkeypatch, TRANSCRIBE_PROJECT_NAMESPACE="projet-sociologie")
    page = texts(start("privacy"))
    assert "chaque membre du projet peut lire les enregistrements" in page
    assert "`projet-sociologie`" in page
    monkeypatch.delenv("TRANSCRIBE_PROJECT_NAMESPACE")
    assert "membre du projet" not in texts(start("privacy"))


def test_a_lab_preselects_the_spoken_language(runner, monkeypatch):
    setenv(monkeypatch, TRANSCRIBE_DEFAULT_LANGUAGE="fr")
    assert start().selectbox(key="opt_language").value == "fr"
    setenv(monkeypatch, TRANSCRIBE_DEFAULT_LANGUAGE="xx")  # unknown: detected
    assert start().selectbox(key="opt_language").value == "auto"


def test_notice_parsing():
    both = {"fr": "Règles.", "en": "Rules."}
    assert platform.parse_notice(json.dumps(both)) == both
    assert platform.parse_notice(json.dumps({"en": "Rules."})) == {"fr": "Rules.",
                                                                  "en": "Rules."}
    assert platform.parse_notice("Same words for all.") == {"fr": "Same words for all.",
                                                            "en": "Same words for all."}
    assert platform.parse_notice("OFF") == {}
    assert platform.parse_notice(json.dumps({"fr": " ", "en": ""})) == {}
    assert platform.parse_notice("") == platform.default_notice()
    # A new text gets a new key: browsers that closed the old one see it again.
    assert platform.notice_key(both) != platform.notice_key({**both, "en": "New rules."})


def test_notice_html_escapes_the_text():
    hosting = platform.Platform(notice={"fr": "<b>x</b> & y", "en": "z"})
    html = platform.notice_html(hosting, "fr")
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in html and "<b>x</b>" not in html
    assert platform.notice_html(platform.Platform(notice={}), "fr") is None
