"""The web app's pages with Streamlit's AppTest: login, language, upload options, the job
list, review and corrections, pseudonyms, privacy, the deletion countdown."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest
from web_support import APP, interview, seed_done, tone_wav

from transcribe.conventions import Conventions
from transcribe.export import render
from transcribe.i18n import Notice
from transcribe.jobs import CANCELLED, DONE, FAILED, QUEUED, RUNNING, JobStore
from transcribe.pipeline import PipelineOptions
from transcribe.web import documents, state


def start(page: str | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.query_params.update(query)
    at.run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    """Everything the page says, in one string."""
    parts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption",
                                  "info", "success", "warning", "error")
             for e in getattr(at, kind)]
    parts += [e.proto.text for e in at.get("progress")]
    parts += [e.label for e in at.button] + [e.proto.label for e in at.get("page_link")]
    return "\n".join(str(p) for p in parts)


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


# -- access and language -------------------------------------------------------------------

def test_no_login_without_a_password(runner):
    at = start()
    assert at.title[0].value == "Transcrire des enregistrements"
    assert not [i for i in at.text_input if i.proto.type == i.proto.PASSWORD]
    assert not [b for b in at.button if b.key == "logout"]


def test_with_a_password_the_page_offers_logout_and_no_form_of_its_own(runner, monkeypatch):
    """The password is checked at the HTTP layer (tests/web/test_gate.py), before this
    script runs: the script itself shows no login form, only the logout button."""
    monkeypatch.setenv("TRANSCRIBE_PASSWORD", "correct horse")
    at = start()
    assert at.title[0].value == "Transcrire des enregistrements"
    assert not [i for i in at.text_input if i.proto.type == i.proto.PASSWORD]
    at.button(key="logout").click().run()
    assert not at.exception
    [script] = [e for e in at.get("html") if "/logout?lang=fr" in e.proto.body]
    assert "form.method = 'post'" in script.proto.body  # a GET of /logout changes nothing


def test_french_by_default_english_by_setting_and_by_choice(runner, monkeypatch):
    at = start()
    assert at.title[0].value == "Transcrire des enregistrements"
    at.segmented_control[0].set_value("en").run()
    assert at.title[0].value == "Transcribe recordings"
    at.switch_page("views/privacy.py").run()
    assert at.title[0].value == "Privacy"  # the choice follows to other pages

    monkeypatch.setenv("TRANSCRIBE_UI_LANGUAGE", "en")
    assert start().title[0].value == "Transcribe recordings"


# -- upload ----------------------------------------------------------------------------------

def test_upload_options_go_into_the_job_record(idle_worker, store, tmp_path):
    audio = tone_wav(tmp_path / "a.wav").read_bytes()
    at = start()
    at.file_uploader[0].upload("Entretien Dupont.wav", audio, "audio/wav").run()
    at.radio(key="preset-fr").set_value("single")
    at.selectbox(key="language-fr").set_value("en")
    at.text_area(key="opt_prompt").input("Montreuil,  Insee")
    at.checkbox(key="opt_pauses").check()
    at.checkbox(key="opt_uncertain").check()
    at.checkbox(key="opt_fillers").check()
    at.checkbox(key="opt_timestamps").check()
    at.checkbox(key="opt_speaker_names").uncheck()
    at.toggle(key="opt_align").set_value(False)
    at.run()
    at.button(key="start").click().run()
    assert not at.exception

    [job] = store.list()
    assert job.status == QUEUED and job.name == "Entretien Dupont.wav"
    assert store.media_path(job).read_bytes() == audio
    assert job.duration == pytest.approx(1.0, abs=0.05)
    options = job.options
    assert options["diarize"] is False and options["speakers"]["preset"] == "single"
    assert options["asr"]["language"] == "en"
    assert options["asr"]["initial_prompt"] == "Montreuil, Insee"
    assert options["model"]["name"] == "base" and options["engine"] == "auto"
    assert options["align"] is False and options["ui_language"] == "fr"
    assert job.conventions["mark_pauses"] and job.conventions["flag_uncertain"]
    assert job.conventions["remove_fillers"] and job.conventions["mark_overlaps"]
    assert job.conventions["timestamps"] is True and job.conventions["speaker_names"] is False
    assert "1 fichier(s) ajouté(s)" in at.success[0].value
    assert len(at.file_uploader) == 1 and not at.file_uploader[0].value  # emptied


def test_each_file_of_a_batch_has_its_own_preset_and_language(idle_worker, store, tmp_path):
    audio = tone_wav(tmp_path / "a.wav").read_bytes()
    at = start()
    at.selectbox(key="language-fr").set_value("fr")
    at.file_uploader[0].upload("entretien.wav", audio, "audio/wav")
    at.file_uploader[0].upload("reunion.wav", audio, "audio/wav")
    at.file_uploader[0].upload("interview.wav", audio, "audio/wav").run()
    assert at.selectbox(key="file-preset-0-0").value == "batch"
    assert at.selectbox(key="file-preset-0-1").format_func("batch") == \
        "Comme les autres : Entretien (2 personnes)"
    assert at.selectbox(key="file-language-0-2").value == "batch"
    assert at.selectbox(key="file-language-0-2").format_func("batch") == \
        "Comme les autres : Français (fr)"
    at.selectbox(key="file-preset-0-1").set_value("group")
    at.selectbox(key="file-language-0-2").set_value("en").run()
    at.button(key="start").click().run()
    assert not at.exception
    presets = {j.name: j.options["speakers"]["preset"] for j in store.list()}
    assert presets == {"entretien.wav": "interview", "reunion.wav": "group",
                       "interview.wav": "interview"}
    languages = {j.name: j.options["asr"]["language"] for j in store.list()}
    assert languages == {"entretien.wav": "fr", "reunion.wav": "fr", "interview.wav": "en"}


def test_switching_the_language_keeps_every_choice(idle_worker, store, tmp_path):
    at = start()
    at.radio(key="preset-fr").set_value("group")
    at.selectbox(key="language-fr").set_value("de")
    at.selectbox(key="model-auto-fr").set_value("tiny.en")
    at.text_area(key="opt_prompt").input("Insee")
    at.checkbox(key="opt_pauses").check()
    at.run()
    at.segmented_control[0].set_value("en").run()
    assert at.title[0].value == "Transcribe recordings"
    assert at.radio(key="preset-en").value == "group"
    assert at.radio(key="preset-en").options[1] == "Group interview"
    assert at.selectbox(key="language-en").value == "de"
    assert at.selectbox(key="model-auto-en").value == "tiny.en"
    assert at.text_area(key="opt_prompt").value == "Insee"
    assert at.checkbox(key="opt_pauses").value
    at.segmented_control[0].set_value("fr").run()  # and back
    assert at.radio(key="preset-fr").value == "group"
    at.file_uploader[0].upload("e.wav", tone_wav(tmp_path / "e.wav").read_bytes()).run()
    at.button(key="start").click().run()
    [job] = store.list()
    assert job.options["speakers"]["preset"] == "group"
    assert (job.options["asr"]["language"], job.options["model"]["name"]) == ("de", "tiny.en")


def test_interview_preset_asks_for_two_speakers_and_names(idle_worker, store, tmp_path):
    at = start()
    at.file_uploader[0].upload("e.m4a", tone_wav(tmp_path / "e.wav").read_bytes()).run()
    at.text_input(key="opt_interviewer").input("Camille")
    at.button(key="start").click().run()
    [job] = store.list()
    assert job.options["diarize"] is True
    assert job.options["speakers"] == {**job.options["speakers"], "preset": "interview",
                                       "names": {"interviewer": "Camille"}}
    assert job.options["asr"]["language"] is None  # automatic
    assert job.media == "source.m4a"


def test_bad_files_are_refused_with_a_reason_and_others_go_on(idle_worker, store, tmp_path):
    at = start()
    at.file_uploader[0].upload("notes.pdf", b"%PDF-1.4", "application/pdf")
    at.file_uploader[0].upload("broken.mp3", b"not audio at all" * 100, "audio/mpeg")
    at.file_uploader[0].upload("good.wav", tone_wav(tmp_path / "g.wav").read_bytes(),
                               "audio/wav")
    at.run()
    at.button(key="start").click().run()
    assert not at.exception
    assert "1 fichier(s) ajouté(s)" in at.success[0].value
    assert "2 fichier(s) refusé(s) : la raison est indiquée dans la liste" in texts(at)
    # Each refused file stays in the list with its reason, without its content.
    jobs = {job.name: job for job in store.list()}
    assert jobs["good.wav"].status == QUEUED
    assert jobs["notes.pdf"].status == FAILED == jobs["broken.mp3"].status
    errors = [e.value for e in at.error]
    assert any("notes.pdf n'est pas un fichier audio ou vidéo pris en charge" in e
               for e in errors)
    assert any("broken.mp3 n'est pas un fichier audio ou vidéo lisible" in e for e in errors)
    for name in ("notes.pdf", "broken.mp3"):
        assert [p.name for p in store.folder(jobs[name].id).iterdir()] == ["job.json"]
        assert not [b for b in at.button if b.key == f"retry-{jobs[name].id}"]  # nothing to retry
    at.segmented_control[0].set_value("en").run()  # the reason follows the language
    assert any("The file broken.mp3 is not a readable audio or video file" in e.value
               for e in at.error)


def test_a_file_too_large_is_refused(idle_worker, store, monkeypatch, tmp_path):
    monkeypatch.setenv("TRANSCRIBE_MAX_UPLOAD_MB", "1")
    at = start()
    at.file_uploader[0].upload("long.wav", b"\0" * (1024 * 1024 + 1), "audio/wav").run()
    at.button(key="start").click().run()
    assert any("long.wav est trop volumineux : 1 Mo au plus par fichier." in e.value
               for e in at.error)
    [job] = store.list()
    assert job.status == FAILED and not store.has_media(job)


def test_a_server_failure_on_one_file_is_reported_and_the_page_goes_on(idle_worker, store,
                                                                        tmp_path):
    """A real OSError while saving (the jobs folder cannot be created: a file is in its
    way): every file says so in words, nothing crashes."""
    store.data_dir.mkdir(parents=True)
    store.root.write_bytes(b"")  # not a folder: creating a job fails with an OSError
    audio = tone_wav(tmp_path / "a.wav").read_bytes()
    at = start()
    at.file_uploader[0].upload("a.wav", audio, "audio/wav")
    at.file_uploader[0].upload("b.wav", audio, "audio/wav")
    at.run()
    at.button(key="start").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    for name in ("a.wav", "b.wav"):
        assert f"{name} n'a pas pu être enregistré sur le serveur." in "\n".join(errors)
    assert len(at.file_uploader) == 1 and not at.file_uploader[0].value


def test_without_any_model_the_page_says_so_plainly(runner, monkeypatch, tmp_path):
    empty = tmp_path / "no-models"
    empty.mkdir()
    monkeypatch.setenv("TRANSCRIBE_MODELS_DIR", str(empty))
    at = start()
    page = texts(at)
    assert f"Aucun modèle Whisper n'est installé (dossier {empty})" in page
    assert "'-'" not in page and "« - »" not in page and "auto" not in at.error[0].value
    assert at.button(key="start").disabled
    at.segmented_control[0].set_value("en").run()
    assert "No Whisper model is installed" in texts(at)


def test_an_uploaded_file_is_transcribed_by_the_worker(runner, store, tmp_path):
    at = start()
    at.file_uploader[0].upload("a.wav", tone_wav(tmp_path / "a.wav").read_bytes()).run()
    at.button(key="start").click().run()
    wait_for(lambda: store.list() and store.list()[0].status == DONE)
    at.run()
    assert "Terminé en" in texts(at)
    assert store.load_transcript(store.list()[0]).text == "Un test."
    assert len(runner.calls) == 1


# -- the job list ----------------------------------------------------------------------------

def test_job_list_shows_every_state(idle_worker, store):
    waiting = store.create("waiting.wav", b"x", {})
    running = store.create("running.wav", b"x", {})
    store.update(running.id, status=RUNNING, stage="asr", fraction=0.4,
                 started=time.time() - 60)
    seed_done(store, name="silence.wav",
              notices=[Notice("asr.no_speech", {"name": "silence.wav"})])
    failed = store.create("broken.mp3", b"x", {})
    store.update(failed.id, status=FAILED, finished=time.time(),
                 error={"key": "audio.unreadable", "params": {"name": "broken.mp3"}})
    crashed = store.create("crash.wav", b"x", {})
    store.update(crashed.id, status=FAILED, finished=time.time(),
                 error={"key": "job.failed_unexpected", "params": {"error": "RuntimeError"}})
    cancelled = store.create("cancelled.wav", b"x", {})
    store.update(cancelled.id, status=CANCELLED, finished=time.time())

    page = texts(start())
    assert "En attente (position 1)" in page
    assert re.search(r"Transcription — 40 % — il reste environ \d+ minutes", page)
    assert "Terminé en 0:30" in page and "Aucune parole détectée dans silence.wav." in page
    assert "Le fichier broken.mp3 n'est pas un fichier audio ou vidéo lisible" in page
    assert "erreur inattendue (RuntimeError)" in page
    assert "Annulé." in page
    assert "Relire" in page  # the done job links to its review
    assert waiting.id  # (listed first: the queue order)


def test_a_running_job_shows_its_stages_and_the_time_left(idle_worker, store):
    job = store.create("entretien.wav", b"x", PipelineOptions(align=True, diarize=True))
    store.update(job.id, status=RUNNING, stage="asr", stage_fraction=0.5, fraction=0.4,
                 started=time.time() - 60)
    at = start()
    page = texts(at)
    assert re.search(r"Transcription — 40 % — il reste environ \d+ minutes", page)
    assert ("✓ Lecture du fichier → **Transcription : 50 %** → Alignement des mots (à venir)"
            " → Reconnaissance des locuteurs (à venir) → Attribution des tours de parole "
            "(à venir)") in page
    store.update(job.id, stage="diarize", stage_fraction=0.25, fraction=0.85)
    at.segmented_control[0].set_value("en").run()
    assert ("✓ Reading the file → ✓ Transcribing → ✓ Aligning words → "
            "**Finding speakers: 25%** → Assigning turns (to come)") in texts(at)


def test_cancel_retry_and_delete_from_the_list(idle_worker, store):
    job = store.create("waiting.wav", b"x", {})
    at = start()
    at.button(key=f"cancel-{job.id}").click().run()
    assert store.get(job.id).status == CANCELLED
    at.button(key=f"retry-{job.id}").click().run()
    assert store.get(job.id).status == QUEUED
    store.update(job.id, status=CANCELLED)
    at.run()
    at.button(key=f"delete-{job.id}").click().run()
    assert store.get(job.id) is None and not at.exception
    assert "Aucun fichier pour l'instant." in texts(at)


# -- review ----------------------------------------------------------------------------------

def review(store: JobStore, tab: str | None = None, **query) -> tuple[AppTest, str]:
    """The review page on a new finished job, with the tab labelled `tab` open."""
    job = seed_done(store, **query)
    at = start("review", job=job.id)
    if tab:
        open_tab(at, tab)
    return at, job.id


def open_tab(at: AppTest, label: str) -> None:
    """A click on a tab (the page draws only the open tab's content)."""
    at.session_state[state.REVIEW_TAB] = label
    at.run()


def editor_data(at: AppTest) -> dict:
    """What the page gave the correction editor (a components v2 element)."""
    [element] = at.get("bidi_component")
    return json.loads(element.proto.json)


def test_review_gives_the_editor_the_transcript_and_its_audio(runner, store):
    at, job_id = review(store)
    data = editor_data(at)
    # Where to fetch the transcript (never in the websocket's data), and its version.
    assert data["doc"] == {"url": documents.document_path("", job_id), "version": 0}
    doc = json.loads(documents.document_bytes(store, job_id).result(timeout=30)[0])
    assert [" ".join(w[0] for w in s[3]) for s in doc["segments"]] == [
        s.text for s in interview().segments]
    assert [w[0] for s in doc["segments"] for w in s[3] if w[3]] == ["Marie,", "Lyon."]
    assert doc["speakers"] == [["SPEAKER_00", "Enquêteur·rice"], ["SPEAKER_01", "Enquêté·e"]]
    assert data["lang"] == "fr" and data["strings"]["saved"] == "Sauvegardé"
    # The player reads the recording from the app's own route (no listening copy yet: the
    # upload itself), never from Streamlit's media store.
    assert data["audio"] == documents.audio_path("", job_id)
    assert documents.playable(store, job_id) == store.media_path(store.get(job_id))


def test_review_draws_the_editor_and_only_the_open_tab(runner, store):
    """A 3-hour interview's charts, tables and downloads would hold up the editor's first
    drawing: only the open tab is drawn, and the editor always (it keeps its unsaved
    edits and undo history while another tab is open)."""
    at, _ = review(store)
    assert len(at.get("bidi_component")) == 1
    assert not at.data_editor and not at.get("vega_lite_chart")
    assert not at.get("download_button") and not at.text_input
    open_tab(at, "Locuteurs")
    assert len(at.get("bidi_component")) == 1 and at.get("vega_lite_chart")
    assert not at.data_editor and not at.get("download_button")
    open_tab(at, "Télécharger")
    assert len(at.get("bidi_component")) == 1 and at.get("download_button")
    assert not at.get("vega_lite_chart")


def test_rename_swap_and_add_speakers_by_name(runner, store):
    at, job_id = review(store, "Locuteurs")
    assert "SPEAKER_00" not in texts(at)  # names, never internal ids
    assert at.text_input(key="name-0-SPEAKER_00").label == "Locuteur 1 : nom"
    at.text_input(key="name-0-SPEAKER_00").input("Camille").run()
    saved = store.load_transcript(store.get(job_id))
    assert saved.speakers["SPEAKER_00"].name == "Camille" and saved.version == 1
    assert render(saved, "txt").decode().startswith("Camille: Bonjour Marie")

    at.button(key="swap").click().run()
    saved = store.load_transcript(store.get(job_id))
    assert saved.speakers["SPEAKER_01"].name == "Camille"
    assert saved.speakers["SPEAKER_01"].role == "interviewer"
    at.text_input(key="new-speaker").input("Dominique")
    at.button(key="add-speaker").click().run()
    saved = store.load_transcript(store.get(job_id))
    assert saved.speakers["SPEAKER_02"].name == "Dominique"
    assert not at.exception


def test_pseudonym_table_is_shown_and_applied_to_exports(runner, store):
    conventions = Conventions(pseudonyms={"Marie": "Anne", "Lyon": "Ville-A"})
    at, job_id = review(store, "Pseudonymes", conventions=conventions)
    [table] = at.data_editor
    assert table.value.to_dict("records") == [{"real": "Marie", "pseudonym": "Anne"},
                                              {"real": "Lyon", "pseudonym": "Ville-A"}]
    assert "2 pseudonyme(s) appliqué(s) aux exports." in texts(at)
    assert "JSON compris" in texts(at)
    # A row added with the visible fields joins the stored table (merged, not replaced).
    store.update(job_id, conventions={**store.get(job_id).conventions,
                                      "pseudonyms": {"Marie": "Anne", "Lyon": "Ville-A",
                                                     "Paul": "P2"}})  # another tab
    at.text_input(key=f"pseudonym-new-real-{job_id}").input("Infirmière")
    at.text_input(key=f"pseudonym-new-fake-{job_id}").input("Soignante")
    at.button(key="pseudonym-add").click().run()
    assert store.conventions(store.get(job_id)).pseudonyms == {
        "Marie": "Anne", "Lyon": "Ville-A", "Paul": "P2", "Infirmière": "Soignante"}
    job = store.get(job_id)
    for format_name in ("txt", "json"):  # the JSON download too; the stored one keeps them
        exported = render(store.load_transcript(job), format_name,
                          store.conventions(job)).decode()
        assert "Anne" in exported and "Ville-A" in exported and "Marie" not in exported
    assert "Marie" in store.transcript_path(job).read_text(encoding="utf-8")


def test_export_conventions_are_saved_with_the_job(runner, store):
    at, job_id = review(store, "Télécharger")
    at.checkbox(key=f"conv-uncertain-{job_id}").check().run()
    assert store.conventions(store.get(job_id)).flag_uncertain is True
    at.checkbox(key=f"conv-timestamps-{job_id}").check().run()
    at.checkbox(key=f"conv-speaker-names-{job_id}").uncheck().run()
    conventions = store.conventions(store.get(job_id))
    assert conventions.timestamps is True and conventions.speaker_names is False
    # What the download buttons render: the page's own renderer, from the saved job.
    job = store.get(job_id)
    txt = render(store.load_transcript(job), "txt",
                                  store.conventions(job)).decode()
    assert txt.startswith("[00:00:00] Bonjour [Marie?], merci")
    assert "[00:00:03] Avec plaisir" in txt and "Enquêteur·rice" not in txt
    at.checkbox(key=f"conv-speaker-names-{job_id}").check().run()
    txt = render(store.load_transcript(job), "txt",
                                  store.conventions(store.get(job_id))).decode()
    assert txt.startswith("[00:00:00] Enquêteur·rice: Bonjour")
    labels = sorted(b.label for b in at.get("download_button"))
    assert labels == sorted(["Texte (.txt)", "Word (.docx)", "Sous-titres SRT (.srt)",
                      "Sous-titres WebVTT (.vtt)", "JSON (réimportable) (.json)",
                      "Tableur CSV (.csv)", "MAXQDA / ATLAS.ti / NVivo (.qda.txt)",
                         "Tout télécharger (zip)"])


def test_review_without_finished_jobs(runner, store):
    at = start("review")
    assert "Aucune transcription terminée pour l'instant." in texts(at)


def test_review_of_a_transcript_deleted_meanwhile_says_so_and_shows_no_other(runner, store):
    """The editor saw its transcript go and ran the page again (or an old link): the page
    says so and lets the person choose another, without showing one of its own accord."""
    other = seed_done(store)
    gone = seed_done(store, name="entretien_Durand.wav")
    at = start("review", job=gone.id)
    store.delete(gone.id)
    at.run()
    assert "Cette transcription n'existe plus" in texts(at)
    assert not at.get("bidi_component") and "Bonjour" not in texts(at)
    at.selectbox(key="review-after-gone").select(other.id).run()
    assert at.query_params["job"] == other.id and len(at.get("bidi_component")) == 1


# -- privacy and deadline ------------------------------------------------------------------

def test_delete_everything_empties_the_data_folder(runner, store, data_dir):
    seed_done(store)
    waiting = store.create("waiting.wav", b"x", {})
    assert waiting
    at = start("privacy")
    page = texts(at)
    assert str(data_dir.resolve()) in page and "transcript.json" in page
    assert at.button(key="delete-all").disabled  # confirm first
    # What the review page kept in this tab (its transcript, a play request) goes too.
    at.session_state[state.TRANSCRIPT_CACHE] = ((0, 0), None)
    at.session_state[state.EDITOR_FULL_RUN] = True
    at.checkbox(key=state.CONFIRM_DELETE_ALL).check().run()
    at.button(key="delete-all").click().run()
    assert "Tous les fichiers ont été supprimés." in texts(at)
    assert state.TRANSCRIPT_CACHE not in at.session_state
    assert state.EDITOR_FULL_RUN not in at.session_state
    assert data_dir.is_dir() and list(data_dir.iterdir()) == []
    assert "Le dossier de données est vide." in texts(at)


def test_privacy_guarantees_say_who_can_open_the_service(runner, monkeypatch):
    page = texts(start("privacy"))
    assert "le service n'écoute que sur cet ordinateur (127.0.0.1)" in page
    assert "mot de passe protège" not in page and "disparaissent avec le service" not in page
    assert "restent dans le dossier de données jusqu'à ce que vous les supprimiez" in page


def test_the_deadline_shows_when_set(runner, monkeypatch):
    assert "supprimés dans" not in texts(start())
    deadline = datetime.now(UTC) + timedelta(hours=5, minutes=30)
    monkeypatch.setenv("TRANSCRIBE_DELETE_AT", deadline.strftime("%Y-%m-%dT%H:%M:%SZ"))
    page = texts(start())
    assert re.search(r"supprimés dans 5 h (29|30) min", page)
    assert deadline.strftime("%Y-%m-%d %H:%M UTC") in page
    assert re.search(r"dans 5 h (29|30) min", texts(start("privacy")))

    monkeypatch.setenv("TRANSCRIBE_DELETE_AT", "2020-01-01T00:00:00Z")
    assert "est passée" in texts(start())


# -- workers on a GPU (kubernetes launcher) ------------------------------------------------

@pytest.fixture
def dispatching(monkeypatch, data_dir):
    """The app as served (a dispatcher of workers, no runner), its loop not started: the
    test plays the launches in the ledger."""
    import streamlit as st

    from transcribe.jobs import JobQueue

    monkeypatch.setattr(state, "make_runner", lambda: None)
    monkeypatch.setattr(JobQueue, "start", lambda self: self)
    state.stop_queues()
    st.cache_resource.clear()
    yield
    state.stop_queues()


def test_waiting_for_a_gpu_the_cpu_offer_and_the_gpu_time_held(dispatching, store):
    from transcribe.workers.launches import ENDED, MAIN, WAITING, Launches

    job = store.create("entretien.wav", b"RIFF", PipelineOptions(), duration=600.0)
    launches = Launches(store.data_dir)
    launch, _ = launches.new(MAIN, "kubernetes", True)
    launches.update(launch.id, state=WAITING, created=time.time() - 300)
    at = start()
    page = texts(at)
    assert "En attente d'un GPU depuis" in page and "(5 min)" in page
    assert "nodes" not in page and "Unschedulable" not in page
    # The time it would take here: eta.py's figures for this recording on the CPU.
    assert re.search(r"transcrire ici, sur le processeur du service : environ \d+ (s|min) "
                     r"pour 1 fichier", page)
    at.button(key="keep-waiting").click().run()
    assert "Les fichiers attendent un GPU." in texts(at)
    assert not [b for b in at.button if b.key == "run-here"]
    at = start()
    at.button(key="run-here").click().run()
    moved = store.get(job.id)
    assert moved.placement == "here" and moved.pipeline_options.model.device == "cpu"
    assert "sur le processeur de ce service" in texts(at)

    # The batch is over: the GPU time it held, next to its audio.
    store.update(job.id, status=DONE, finished=time.time())
    launches.update(launch.id, state=ENDED, held_seconds=180.0, audio_seconds=7800.0)
    at = start()
    assert "GPU utilisé 3 min pour 2 h 10 min d'audio." in texts(at)
    at.switch_page("views/privacy.py").run()
    assert "en a utilisé un 3 min en tout, pour 2 h 10 min d'audio" in texts(at)
