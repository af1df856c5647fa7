"""The web app's modules that need no browser: settings, the server's flags, strings,
labels, upload checks, review helpers, exports, the login token."""

from __future__ import annotations

import ast
import io
import json
import re
import shutil
import string
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from web_support import interview, tone_wav

from transcribe.conventions import Conventions
from transcribe.export import FORMATS
from transcribe.i18n import Notice, UserFacingError
from transcribe.jobs import FAILED, QUEUED, RUNNING, Job, JobQueue, JobStore
from transcribe.languages import LANGUAGE_CHOICES, UI_LANGUAGES
from transcribe.models import ModelStore, preferred_model
from transcribe.pipeline import PipelineOptions
from transcribe.speakers import PRESETS
from transcribe.web import display, reviewing, strings, submission, uploader_locale
from transcribe.web.serve import streamlit_flags
from transcribe.web.settings import SettingsError, load_settings

WEB = Path(__file__).resolve().parents[2] / "app" / "transcribe" / "web"


# -- settings and the server ---------------------------------------------------------------

def test_settings_defaults_for_a_local_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings({})
    assert settings.data_dir == tmp_path / "data"
    assert settings.password is None and settings.delete_at is None
    assert (settings.ui_language, settings.device, settings.port) == ("fr", "auto", 8501)
    assert settings.max_upload_mb == 2048 and settings.base_path == ""
    assert settings.address == "127.0.0.1"  # no password: this machine only


def test_settings_from_the_chart():
    settings = load_settings({
        "TRANSCRIBE_DATA_DIR": "/data", "TRANSCRIBE_PASSWORD": "s3cret",
        "TRANSCRIBE_DELETE_AT": "2026-11-26T10:00:00Z", "TRANSCRIBE_UI_LANGUAGE": "en",
        "TRANSCRIBE_DEFAULT_MODEL": "large-v3-turbo", "TRANSCRIBE_DEVICE": "cuda",
        "TRANSCRIBE_MAX_UPLOAD_MB": "512", "TRANSCRIBE_PORT": "8080",
        "TRANSCRIBE_BASE_PATH": "/user-x/transcription/"})
    assert settings.data_dir == Path("/data") and settings.password == "s3cret"
    assert settings.delete_at == datetime(2026, 11, 26, 10, tzinfo=UTC)
    assert (settings.ui_language, settings.default_model, settings.device) == (
        "en", "large-v3-turbo", "cuda")
    assert (settings.max_upload_mb, settings.port) == (512, 8080)
    assert settings.base_path == "user-x/transcription"
    assert settings.address is None  # a pod: every interface


def test_settings_tolerate_bad_values():
    settings = load_settings({"TRANSCRIBE_UI_LANGUAGE": "de", "TRANSCRIBE_DEVICE": "tpu",
                              "TRANSCRIBE_MAX_UPLOAD_MB": "lots", "TRANSCRIBE_DELETE_AT": " ",
                              "TRANSCRIBE_ADDRESS": "0.0.0.0"})
    assert (settings.ui_language, settings.device, settings.max_upload_mb) == ("fr", "auto",
                                                                               2048)
    assert settings.delete_at is None and settings.address == "0.0.0.0"
    assert not settings.behind_proxy
    assert load_settings({"TRANSCRIBE_BEHIND_PROXY": "true"}).behind_proxy
    assert load_settings({"TRANSCRIBE_DELETE_AT": "2026-11-26T12:00:00+02:00"}).delete_at \
        == datetime(2026, 11, 26, 10, tzinfo=UTC)


@pytest.mark.parametrize("deadline", ["soon", "07/12/2026 05:00", "2026-12-07",
                                      "2026-12-07 05:00", "2026-02-30T10:00:00Z",
                                      "2026-W49-1T05:00", "1795000000"])
def test_a_deadline_that_cannot_be_read_is_no_setting(deadline):
    """Tolerant of every other setting, never of the deadline: unread, the data would
    outlive it (transcribe-web then refuses to start: test_deadline.py)."""
    with pytest.raises(SettingsError, match="TRANSCRIBE_DELETE_AT"):
        load_settings({"TRANSCRIBE_DELETE_AT": deadline})


def test_streamlit_runs_private_and_locked_down():
    flags = dict(f[2:].split("=", 1) for f in streamlit_flags(load_settings({
        "TRANSCRIBE_PASSWORD": "x", "TRANSCRIBE_MAX_UPLOAD_MB": "100",
        "TRANSCRIBE_BASE_PATH": "/a/b", "TRANSCRIBE_PORT": "9000"})))
    assert flags["browser.gatherUsageStats"] == "false"
    assert flags["server.enableXsrfProtection"] == "true"
    assert flags["server.headless"] == "true"
    assert flags["server.fileWatcherType"] == "none" and flags["server.runOnSave"] == "false"
    assert flags["global.developmentMode"] == "false"
    assert flags["logger.hideWelcomeMessage"] == "true"  # its banner looks up the public IP
    assert flags["server.maxUploadSize"] == "100" and flags["server.port"] == "9000"
    assert flags["server.baseUrlPath"] == "a/b"
    assert "server.address" not in flags  # every interface, IPv4 and IPv6
    local = dict(f[2:].split("=", 1) for f in streamlit_flags(load_settings({})))
    assert local["server.address"] == "127.0.0.1"


# -- strings ---------------------------------------------------------------------------------

def test_every_text_exists_in_french_and_english_with_the_same_fields():
    fields = string.Formatter()
    for key, texts in strings.STRINGS.items():
        assert set(texts) == set(UI_LANGUAGES), key
        names = [{name for _, name, _, _ in fields.parse(texts[lang]) if name}
                 for lang in UI_LANGUAGES]
        assert names[0] == names[1], key


def _used_keys() -> set[str]:
    """Keys the pages and modules ask for with a literal (f-string keys are expanded
    below)."""
    used = set()
    for path in WEB.rglob("*.py"):
        used |= set(re.findall(r"""\b(?:t|text)\(\s*["']([a-z_.0-9-]+)["']""",
                               path.read_text()))
    return used


def test_every_key_the_pages_use_exists():
    expanded = {f"preset.{p}" for p in PRESETS} | {
        f"preset.{p}.help" for p in PRESETS} | {
        f"stage.{s}" for s in ("decode", "asr", "align", "diarize", "assign")} | {
        f"export.format.{f}" for f in FORMATS} | {"role.interviewer", "role.interviewee"} | {
        f"stage.state.{s}" for s in ("done", "current", "todo")} | {"upload.no_model"}
    missing = (_used_keys() | expanded) - set(strings.STRINGS)
    assert not missing


UI_CALLS = {"title", "header", "subheader", "write", "markdown", "caption", "button", "text",
            "text_input", "text_area", "selectbox", "radio", "checkbox", "toggle", "slider",
            "select_slider", "info", "warning", "error", "success", "expander", "popover",
            "download_button", "page_link", "tabs", "file_uploader", "number_input", "metric",
            "segmented_control", "progress", "toast", "form_submit_button"}


def test_pages_hold_no_hard_coded_words():
    """Every word a page shows comes from strings.py: no literal text in a UI call."""
    offenders = []
    for path in [WEB / "app.py", WEB / "auth.py", *sorted((WEB / "views").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in UI_CALLS):
                continue
            if isinstance(node.func.value, ast.Name) and node.func.value.id == "strings":
                continue  # strings.text(key, ...): the key, not words
            positional = [] if node.func.attr == "page_link" else node.args[:1]  # a path
            shown = list(positional) + [k.value for k in node.keywords
                                           if k.arg in ("label", "body", "help",
                                                        "placeholder", "text")]
            for value in shown:
                literal = [value] if isinstance(value, ast.Constant) else (
                    value.values if isinstance(value, ast.JoinedStr) else [])
                for part in literal:
                    if isinstance(part, ast.Constant) and isinstance(part.value, str) and \
                            re.search(r"[A-Za-zÀ-ÿ]{2,}", part.value):
                        offenders.append(f"{path.name}:{node.lineno}: {part.value!r}")
    assert not offenders, offenders


# -- labels ----------------------------------------------------------------------------------

def test_error_records_render_in_both_languages_and_unknown_keys_fall_back():
    record = Notice("audio.unreadable", {"name": "a.mp3"})
    assert display.error_text(record, "fr").startswith("Le fichier a.mp3 n'est pas")
    assert display.error_text(record, "en").startswith("The file a.mp3 is not")
    assert display.error_text(Notice("from.the.future"), "en") == \
        "The transcription failed."
    assert display.error_text(Notice("audio.unreadable"), "fr") == \
        "La transcription a échoué."  # a parameter missing: still something readable
    warnings = [Notice("from.the.future"), Notice("asr.no_speech", {"name": "a.wav"})]
    assert display.notice_texts(warnings, "en") == ["No speech found in a.wav."]
    assert display.error_text(Notice("model.not_found", {
        "kind": "whisper", "name": "large-v3", "available": "base"}), "en") == (
        "The whisper model 'large-v3' is not available. Models on disk: base.")


def test_labels():
    assert display.size_label(1_234_567, "fr") == "1,2 Mo"
    assert display.size_label(1_234_567, "en") == "1.2 MB"
    assert display.size_label(2_400, "en") == "2 kB"
    assert display.size_label(960_400, "fr") == "960 ko"
    assert display.size_label(2_147_483_648, "fr") == "2,1 Go"


def test_an_uploaded_files_size_is_its_own_not_its_spooled_records():
    """The uploader's chips show sizes through size_label too (the browser test checks
    the chip): the size of the file sent, not of the few bytes that stand for it."""
    from transcribe.web.spool import Spooled

    record = Spooled(name="a.wav", size=36_000_000, token="0" * 32).encode()
    spooled = io.BytesIO(record)
    spooled.size = len(record)
    assert submission.uploaded_size(spooled) == 36_000_000
    held = io.BytesIO(b"x" * 5000)
    held.size = 5000
    assert submission.uploaded_size(held) == 5000
    words = uploader_locale.UploaderWords("b", "d", "r {name}", "a", "t", "f",
                                          sizes={'entretien "M".wav': "36,0 Mo"})
    data = json.loads(uploader_locale.uploader_script(words)
                      .split("const words = ", 1)[1].split(";\n", 1)[0])
    assert data["sizes"] == {'entretien "M".wav': "36,0 Mo"}
    assert display.language_label("fr", "fr") == "Français (fr)"
    assert display.language_label("de", "en") == "German (de)"
    assert display.language_label("auto", "en") == "Detect automatically"
    assert display.model_label("large-v3-turbo", "fr") == \
        "large-v3-turbo — précis et rapide sur GPU (recommandé)"
    assert display.model_label("custom", "en") == "custom"
    assert display.escape_markdown("a*b_[c](d)") == r"a\*b\_\[c\]\(d\)"
    assert display.escape_markdown(":red[x] 1. a.wav") == r"\:red\[x\] 1. a.wav"
    assert display.escape_markdown("12. <b>\n# x") == r"12\. \<b\> # x"  # one line
    assert display.escape_markdown("- a & b") == r"\- a \& b"


def test_who_can_open_the_service_is_said_truthfully():
    password = load_settings({"TRANSCRIBE_PASSWORD": "x"})
    local = load_settings({})
    exposed = load_settings({"TRANSCRIBE_ADDRESS": "0.0.0.0"})
    assert display.access_text(password, "fr").startswith("- Un mot de passe protège l'accès")
    assert "cet ordinateur (127.0.0.1)" in display.access_text(local, "fr")
    assert display.access_text(exposed, "en").startswith(
        "- Warning: no password, and the service listens on 0.0.0.0")
    deployed = load_settings({"TRANSCRIBE_PASSWORD": "x",
                              "TRANSCRIBE_DELETE_AT": "2099-01-01T00:00:00Z"})
    assert "disappears with the service" in display.lifetime_text(deployed, "en")
    assert "until you delete them" in display.lifetime_text(local, "en")


def test_the_uploaders_refusals_are_worded_in_the_pages_language():
    words = uploader_locale.UploaderWords(
        browse="Choisir", dropzone="ou glissez", remove="Retirer {name}", add="Ajouter",
        too_large="Trop volumineux : 1 Mo", failed='L\'envoi a "échoué" </script>')
    script = uploader_locale.uploader_script(words)
    # The words go into the page as data (JSON), whatever they hold.
    data = json.loads(script.split("const words = ", 1)[1].split(";\n", 1)[0])
    assert data["too_large"] == "Trop volumineux : 1 Mo" and data["remove"] == "Retirer {name}"
    assert "</script>" not in script.split("<script>", 1)[1][:-len("</script>")]
    assert '[data-testid="stTooltipErrorContent"] { display: none; }' in script
    assert "File must be" in script  # Streamlit's words it recognises
    assert display.error_text(Notice("upload.save_failed", {"name": "a.wav"}),
                              "en").startswith("a.wav could not be saved on the server.")


def test_remaining_time_and_queue_order():
    job = Job(id="j", name="a.wav", media="source.wav", created=0.0, status=RUNNING,
              started=100.0, fraction=0.25)
    assert display.remaining_label(job, "en", now=101.0) == "estimating the time left…"
    assert display.remaining_label(job, "en", now=160.0) == "about 3 minutes left"
    assert display.remaining_label(job, "fr", now=160.0) == "il reste environ 3 minutes"
    assert display.remaining_label(job, "fr", now=105.0) == "il reste moins d'une minute"
    # One minute in the singular; hours as hours (the report: "environ 1 min restantes").
    job.fraction = 0.5
    assert display.remaining_label(job, "fr", now=170.0) == "il reste environ 1 minute"
    assert display.remaining_label(job, "en", now=170.0) == "about 1 minute left"
    assert display.remaining_label(job, "en", now=100.0 + 4500) == "about 1 h 15 min left"
    assert display.remaining_label(job, "fr", now=100.0 + 4500) == "il reste environ 1 h 15"
    done = [Job(id=f"d{i}", name="", media="", created=i, status="done", finished=10.0 + i)
            for i in range(2)]
    waiting = Job(id="q", name="", media="", created=5.0, status="queued")
    assert [j.id for j in display.queue_order([*done, waiting, job])] == ["q", "j", "d1", "d0"]


def test_choice_labels_are_distinct():
    """A select box sends back the label chosen: two recordings named alike in the same
    minute (or two speakers with one name) must not share one, or the other opens."""
    labels = {"a": "rec.m4a — 10:02", "b": "rec.m4a — 10:02", "c": "rec.m4a — 10:02 (2)",
              "d": "other", "e": "rec.m4a — 10:02"}
    distinct = display.distinct_labels(labels)
    assert len(set(distinct.values())) == len(labels)
    assert distinct["a"] == "rec.m4a — 10:02" and distinct["d"] == "other"
    assert distinct["b"] == "rec.m4a — 10:02 (3)" and distinct["e"] == "rec.m4a — 10:02 (4)"
    assert distinct["c"] == "rec.m4a — 10:02 (2)"


# -- upload ----------------------------------------------------------------------------------

def test_form_choices_become_pipeline_options_and_conventions():
    choices = submission.FormChoices(preset="group", language="de", model="small",
                                    engine="faster-whisper", align=False,
                                    prompt=" Insee,\n Montreuil ", device="cuda",
                                    ui_language="en", interviewer_name="Camille",
                                    flag_uncertain=True, uncertainty_threshold=0.3)
    options = submission.pipeline_options(choices)
    assert options.diarize and options.speakers.preset == "group"
    assert options.speakers.names == {}  # names are for the two-person interview
    assert (options.asr.language, options.model.name, options.model.device) == ("de", "small",
                                                                              "cuda")
    assert options.asr.initial_prompt == "Insee, Montreuil" and options.align is False
    assert options.engine == "faster-whisper" and options.ui_language == "en"
    conventions = submission.conventions(choices)
    assert conventions.flag_uncertain and conventions.uncertainty_threshold == 0.3
    single = submission.pipeline_options(submission.FormChoices(preset="single"))
    assert not single.diarize and single.asr.language is None


def test_a_spoken_language_the_form_does_not_offer_is_refused_on_the_server(tmp_path):
    """A forged or stale form value never reaches Whisper: the file is not queued, the
    reason is shown in the user's language, nothing is kept."""
    queue = JobQueue(JobStore(tmp_path), listening_copies=False)
    wav = tone_wav(tmp_path / "t.wav").read_bytes()
    outcome = submission.save_upload(queue, "a.wav", wav, len(wav),
                                     submission.FormChoices(language="klingon"), 10)
    assert not outcome.queued and not outcome.refused and queue.store.list() == []
    assert display.error_text(outcome.error, "fr") == (
        "Langue parlée inconnue « klingon ». Langues possibles : "
        + ", ".join(LANGUAGE_CHOICES) + ".")
    with pytest.raises(UserFacingError):
        submission.pipeline_options(submission.FormChoices(language="xx"))
    # A file's own language goes through the same check; the batch's stays the default.
    batch = submission.FormChoices(language="fr", preset="group")
    own = submission.save_upload(queue, "b.wav", wav, len(wav),
                                 submission.for_file(batch, language="klingon"), 10)
    assert not own.queued and own.error.key == "language.unknown"
    assert own.error.params["code"] == "klingon" and queue.store.list() == []
    english = submission.for_file(batch, language="en")
    assert (english.language, english.preset) == ("en", "group")
    assert submission.for_file(batch, "single") == submission.FormChoices(language="fr",
                                                                          preset="single")


def test_model_choice_prefers_the_configured_model_when_on_disk():
    assert preferred_model(["base", "tiny.en"], "large-v3-turbo") == "base"
    assert preferred_model(["base", "small"], "base") == "base"
    assert preferred_model(["tiny.en", "small"], None) == "small"
    assert preferred_model([], None) is None
    store = ModelStore()
    assert submission.model_choices(store, "whisperx") == store.whisper_models()
    assert submission.model_choices(store, "openai-whisper") == store.openai_whisper_models()


@pytest.mark.parametrize(("name", "size", "key"), [
    ("notes.pdf", 10, "upload.unsupported"),
    ("empty.mp3", 0, "audio.empty_file"),
    ("huge.wav", 3 * 1024 * 1024, "upload.too_large"),
])
def test_files_refused_before_upload(tmp_path, name, size, key):
    with pytest.raises(UserFacingError) as refused:
        submission.check_file(name, size, 2, tmp_path)
    assert refused.value.key == key
    assert name in refused.value.message("fr")


class DeletesEverythingWhileRead:
    """An upload being read while another tab presses "delete all"."""

    def __init__(self, queue: JobQueue):
        self.queue, self.done = queue, False

    def read(self, size: int = -1) -> bytes:
        if self.done:
            return b""
        self.done = True
        self.queue.delete_all(timeout=5)
        return b"RIFF"


def test_a_batch_goes_on_after_a_delete_all_and_a_refusal(tmp_path):
    queue = JobQueue(JobStore(tmp_path / "data"), listening_copies=False)
    choices = submission.FormChoices()
    wav = tone_wav(tmp_path / "t.wav").read_bytes()
    outcomes = [submission.save_upload(queue, name, data, size, choices, 10) for name, data, size
                in (("racing.wav", DeletesEverythingWhileRead(queue), 4),
                    ("notes.pdf", b"%PDF", 4), ("good.wav", wav, len(wav)))]
    racing, notes, good = outcomes
    assert racing.error == Notice("upload.deleted_meanwhile", {"name": "racing.wav"})
    assert display.error_text(racing.error, "fr").startswith(
        "racing.wav n'a pas été enregistré : tous les fichiers ont été supprimés")
    assert notes.refused and notes.job.status == FAILED and not notes.error
    assert good.queued and good.job.status == QUEUED
    assert {j.name for j in queue.store.list()} == {"notes.pdf", "good.wav"}


FILL_THE_DISK = """
import json, sys
from pathlib import Path
from transcribe.jobs import JobQueue, JobStore
from transcribe.web import submission

data, wav = Path(sys.argv[1]), Path(sys.argv[2]).read_bytes()

class FillsTheDisk:
    # Another upload takes the last bytes of the disk while this one is copied.
    def __init__(self):
        self.sent = False
    def read(self, size=-1):
        if self.sent:
            return b""
        self.sent = True
        try:
            with open(data / "someone-else", "wb") as other:
                while True:
                    other.write(bytes(1 << 20))
                    other.flush()
        except OSError:
            pass
        return bytes(1 << 20)

queue = JobQueue(JobStore(data), listening_copies=False)
choices = submission.FormChoices()
files = [("first.wav", wav, len(wav)), ("second.wav", FillsTheDisk(), 1 << 20),
         ("third.wav", wav, len(wav))]
outcomes = [submission.save_upload(queue, *file, choices, 10) for file in files]
print(json.dumps({"outcomes": [[o.name, o.queued, o.refused, o.error and o.error.to_dict()]
                               for o in outcomes],
                  "jobs": sorted(j.name for j in queue.store.list()),
                  "folders": len(list((data / "jobs").iterdir()))}))
"""


def unshare_prefix() -> list[str] | None:
    """A command prefix that gives a private mount namespace, or None where none is allowed."""
    if not shutil.which("unshare"):
        return None
    for prefix in (["unshare", "--map-root-user", "--mount"], ["unshare", "--mount"]):
        if subprocess.run([*prefix, "true"], capture_output=True).returncode == 0:
            return prefix
    return None


def test_a_full_disk_mid_copy_is_reported_and_the_batch_goes_on(tmp_path):
    """A real full disk: a 70 MB tmpfs (in a private mount namespace) as the data folder,
    filled by "someone else" while the second file is copied."""
    prefix = unshare_prefix()
    if prefix is None:
        pytest.skip("no mount namespace here (unshare refused)")
    data = tmp_path / "data"
    data.mkdir()
    script = tmp_path / "fill.py"
    script.write_text(FILL_THE_DISK)
    wav = tone_wav(tmp_path / "t.wav")
    result = subprocess.run(
        [*prefix, "sh", "-c", 'mount -t tmpfs -o size=70m tmpfs "$1" && exec "$2" "$3" "$1" "$4"',
         "sh", str(data), sys.executable, str(script), str(wav)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    first, second, third = report["outcomes"]
    assert first == ["first.wav", True, False, None]
    no_space = {"key": "upload.no_space", "params": {"name": "second.wav"}}
    assert second == ["second.wav", False, False, no_space]  # the disk filled up mid-copy
    # No room even for a record of the refusal: the reason is shown, nothing is kept.
    assert third == ["third.wav", False, False, {"key": "upload.no_space",
                                                 "params": {"name": "third.wav"}}]
    assert report["jobs"] == ["first.wav"] and report["folders"] == 1  # no half copy left
    assert "Plus assez d'espace pour enregistrer second.wav" in display.error_text(
        Notice.from_dict(no_space), "fr")


def test_media_files_accepted(tmp_path):
    for name in ("a.MP3", "b.m4a", "c.wma", "d.mp4", "e.mov", "f.webm", "g.opus"):
        submission.check_file(name, 10, 2, tmp_path)
    assert submission.readable_duration(tone_wav(tmp_path / "t.wav", 2.0)) == pytest.approx(
        2.0, abs=0.05)


# -- review ----------------------------------------------------------------------------------

def test_talk_time_and_timeline():
    transcript = interview()
    rows = reviewing.talk_time_rows(transcript)
    assert {r["speaker"] for r in rows} == {"Enquêteur·rice", "Enquêté·e"}
    assert sum(r["share"] for r in rows) == pytest.approx(1.0)
    timeline = reviewing.timeline_rows(transcript, "?", unit=60)
    assert timeline[1] == {"speaker": "Enquêté·e", "start": 0.05, "end": round(5.5 / 60, 3)}
    assert reviewing.new_speaker_id(transcript) == "SPEAKER_02"


def test_table_edits():
    base = [{"real": "Marie", "pseudonym": "Anne"}, {"real": "Lyon", "pseudonym": "Ville"}]
    edits = {"edited_rows": {"0": {"pseudonym": "Léa"}}, "deleted_rows": [1],
             "added_rows": [{"real": "Paul", "pseudonym": "Jean"}]}
    assert reviewing.apply_table_edits(base, edits) == [
        {"real": "Marie", "pseudonym": "Léa"}, {"real": "Paul", "pseudonym": "Jean"}]
    assert base[0]["pseudonym"] == "Anne"  # the starting rows are left alone


def test_export_names_and_the_zip_of_all_formats():
    assert reviewing.export_name("entretien", "qda") == "entretien.qda.txt"
    assert reviewing.export_name("entretien", "docx") == "entretien.docx"
    conventions = Conventions(pseudonyms={"Marie": "Anne"})
    archive = zipfile.ZipFile(io.BytesIO(reviewing.export_zip(interview(), "entretien",
                                                              conventions)))
    assert sorted(archive.namelist()) == sorted(f"entretien{f.extension}"
                                                for f in FORMATS.values())
    txt = archive.read("entretien.txt").decode()
    assert "Anne" in txt and "Marie" not in txt


def test_the_pseudonyms_apply_to_the_names_in_the_zips(tmp_path):
    """The review page's zip and the privacy page's zip of everything: the files and
    folders are named with the pseudonyms; two recordings whose names become one keep
    one folder each; the stored job keeps its name."""
    from web_support import seed_done

    from transcribe.web import platform

    conventions = Conventions(pseudonyms={"Durand": "[NOM]", "Montreuil": "[VILLE]"})
    archive = zipfile.ZipFile(io.BytesIO(reviewing.export_zip(
        interview(), "entretien_Durand_Montreuil", conventions)))
    assert sorted(archive.namelist()) == sorted(f"entretien_[NOM]_[VILLE]{f.extension}"
                                                for f in FORMATS.values())
    store = JobStore(tmp_path / "data")
    seed_done(store, name="entretien_Durand_Montreuil.ogg", conventions=conventions)
    seed_done(store, name="entretien_[NOM]_[VILLE].wav")
    names = zipfile.ZipFile(io.BytesIO(platform.everything_zip(store))).namelist()
    assert {n.split("/")[0] for n in names} == {"entretien_[NOM]_[VILLE]",
                                                "entretien_[NOM]_[VILLE]-2"}
    assert not [n for n in names if "Durand" in n or "Montreuil" in n]
    assert "entretien_Durand_Montreuil.ogg" in {job.name for job in store.list()}


def test_media_types_for_the_player():
    assert reviewing.media_type(Path("listening.mp3")) == "audio/mpeg"
    assert reviewing.media_type(Path("source.wav")) in ("audio/x-wav", "audio/wav")
    assert reviewing.media_type(Path("source.mp4")) == "audio/mp4"
    assert reviewing.media_type(Path("source.unknown")) == "audio/mpeg"


def test_one_deadline_message_with_hours_and_minutes_left():
    deadline = datetime(2026, 11, 26, 10, tzinfo=UTC)
    left, shown = display.deadline_text(deadline, "en",
                                        datetime(2026, 11, 26, 7, 30, tzinfo=UTC))
    assert left == 2.5 * 3600
    assert shown.startswith("This service and all its files will be deleted in 2 h 30 min "
                            "(2026-11-26 10:00 UTC)")
    left, shown = display.deadline_text(deadline, "fr",
                                        datetime(2026, 11, 26, 10, 0, 5, tzinfo=UTC))
    assert left == -5 and shown == strings.text("deadline.passed", "fr")


def test_job_summary():
    job = Job(id="j", name="a.wav", media="source.wav", created=0.0, size=2_000_000,
              duration=75.0, options=PipelineOptions().to_dict())
    summary = display.job_summary(job, "en", "Europe/Paris")
    assert summary.startswith("1970-01-01 01:00 · 2.0 MB · 1:15 · Interview (2 people)")


def test_file_names_as_the_user_named_them(tmp_path):
    # Chromium and Firefox send `"` as %22 (and line breaks as %0A/%0D) in a file name.
    assert submission.browser_file_name("entretien %22Marie%22.wav") == 'entretien "Marie".wav'
    assert submission.browser_file_name("a%0Ab.wav") == "a b.wav"
    assert submission.browser_file_name("100% sûr.wav") == "100% sûr.wav"
    queue = JobQueue(JobStore(tmp_path / "data"), listening_copies=False)
    wav = tone_wav(tmp_path / "t.wav").read_bytes()
    outcome = submission.save_upload(queue, "entretien %22Marie%22.wav", wav, len(wav),
                                     submission.FormChoices(), 10)
    assert outcome.name == 'entretien "Marie".wav'
    assert outcome.job.name == 'entretien "Marie".wav' and outcome.job.stem == 'entretien "Marie"'
    assert reviewing.export_name(outcome.job.stem, "docx") == 'entretien "Marie".docx'


def test_the_interface_language_is_remembered_in_a_cookie():
    from transcribe.web import language_choice

    assert language_choice.from_cookie({language_choice.COOKIE: "en"}, "fr") == "en"
    assert language_choice.from_cookie({language_choice.COOKIE: "<script>"}, "fr") == "fr"
    assert language_choice.from_cookie(None, "en") == "en"  # no request: the default
    script = language_choice.remember_script("en", "transcribe/")
    assert "transcribe_ui_language=en; Path=/transcribe;" in script and "SameSite=Strict" in script
    with pytest.raises(ValueError):
        language_choice.remember_script("x'; alert(1)", "")
