"""Page "Transcribe": upload recordings with options, then follow the queue."""

from __future__ import annotations

import streamlit as st

from transcribe.asr import AUTO, ENGINE_CHOICES, model_kind
from transcribe.jobs import CANCELLED, DONE, FAILED, QUEUED, RUNNING, UPLOADING, Job
from transcribe.languages import LANGUAGE_CHOICES
from transcribe.models import OPENAI_WHISPER, preferred_model
from transcribe.options import PRESETS
from transcribe.web import (
    accessibility,
    display,
    documents,
    platform,
    state,
    strings,
    submission,
    uploader_locale,
)
from transcribe.web.state import t

settings = state.settings()
queue = state.queue()
language = state.language()
models_on_disk = state.model_store()
hosting = platform.load_platform()

state.page_title("upload")


def kept(name: str, default: object) -> dict[str, object]:
    """The key (and change callback) of a choice whose shown options depend on the
    language: one widget per language (a widget keeps the labels it was drawn with),
    seeded with the choice made in any language, so that switching languages keeps every
    choice."""
    key = f"{name}-{language}"
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(state.FORM_CHOICE.format(name), default)
    return {"key": key, "on_change": remember, "args": (name, key)}


def remember(name: str, key: str) -> None:
    """A choice kept as soon as it changes, before the page runs again: a language switch
    clicked at once (which cuts that run short, before `keep`) keeps it too."""
    st.session_state[state.FORM_CHOICE.format(name)] = st.session_state[key]


def keep(name: str, value: object) -> object:
    st.session_state[state.FORM_CHOICE.format(name)] = value
    return value


# -- the form --------------------------------------------------------------------------------

# The platform's data rules, where the user decides what to upload (closable per browser).
if notice := platform.notice_html(hosting, language):
    st.html(notice, unsafe_allow_javascript=True)

uploader_words = st.empty()  # filled below, once the files (and their sizes) are known
generation = st.session_state.setdefault("uploader_generation", 0)
files = st.file_uploader(t("upload.files"), accept_multiple_files=True,
                         key=f"uploads-{generation}",
                         help=t("upload.files_help", limit=settings.max_upload_mb))
# The uploader's own words are English whatever the language, its sizes its own: replaced
# in place by ours.
uploader_words.html(uploader_locale.uploader_script(uploader_locale.UploaderWords(
    browse=t("upload.browse"), dropzone=t("upload.dropzone", limit=settings.max_upload_mb),
    remove=t("upload.remove", name="{name}"), add=t("upload.add"),
    too_large=t("upload.chip_too_large", limit=settings.max_upload_mb),
    failed=t("upload.chip_failed"),
    sizes={submission.browser_file_name(upload.name):
           display.size_label(submission.uploaded_size(upload), language)
           for upload in files or []})), unsafe_allow_javascript=True)

# A file the server could not keep (no space left) says so at once, not only at "Start".
for upload in files or []:
    if (record := submission.spooled(upload, upload.size)) and record.refused:
        st.warning(display.error_text(
            record.refusal(submission.browser_file_name(upload.name)), language),
            icon=":material/warning:")

left, right = st.columns(2, gap="large")
with left:
    preset = keep("preset", st.radio(
        t("opt.preset"), tuple(PRESETS), **kept("preset", next(iter(PRESETS))),
        format_func=lambda p: strings.text(f"preset.{p}", language),
        captions=[t(f"preset.{p}.help") for p in PRESETS]))
    names = {}  # by role: only presets whose people have roles ask for them
    if roles := PRESETS[preset].roles:
        with st.expander(t("opt.names")):
            st.caption(t("opt.names_help"))
            names = {role: st.text_input(t(f"opt.{role}"), key=f"opt_{role}")
                     for role in roles}
    spoken = keep("language", st.selectbox(
        t("opt.language"), LANGUAGE_CHOICES,
        **kept("language", LANGUAGE_CHOICES[
            platform.default_language_index(LANGUAGE_CHOICES, hosting)]),
        format_func=lambda code: display.language_label(code, language),
        help=t("opt.language_help"), placeholder=t("opt.choose")))
    prompt = st.text_area(t("opt.prompt"), key="opt_prompt", height=90,
                          help=t("opt.prompt_help"), placeholder=t("opt.prompt_placeholder"))

with right:
    engine = st.session_state.get("opt_engine", AUTO)
    models = submission.model_choices(models_on_disk, engine)
    if models:
        chosen = preferred_model(models, settings.default_model)
        model = keep(f"model-{engine}", st.selectbox(
            t("opt.model"), models, **kept(f"model-{engine}", chosen),
            format_func=lambda name: display.model_label(name, language),
            help=t("opt.model_help"), placeholder=t("opt.choose")))
    else:
        model = None
        missing = "upload.no_model_openai" if model_kind(engine) == OPENAI_WHISPER \
            else "upload.no_model"
        st.error(t(missing, folder=str(models_on_disk.root)), icon=":material/error:")
    with st.expander(t("opt.conventions")):
        st.caption(t("opt.conventions_help"))
        mark_pauses = st.checkbox(t("conv.pauses"), key="opt_pauses", help=t("conv.pauses_help"))
        mark_overlaps = st.checkbox(t("conv.overlaps"), value=True, key="opt_overlaps",
                                    help=t("conv.overlaps_help"))
        flag_uncertain = st.checkbox(t("conv.uncertain"), key="opt_uncertain",
                                     help=t("conv.uncertain_help"))
        threshold = st.slider(t("conv.threshold"), 0.1, 0.9, 0.5, 0.05, key="opt_threshold",
                              disabled=not flag_uncertain, help=t("conv.threshold_help"))
        remove_fillers = st.checkbox(t("conv.fillers"), key="opt_fillers",
                                     help=t("conv.fillers_help"))
        speaker_names = st.checkbox(t("conv.speaker_names"), value=True, key="opt_speaker_names",
                                    help=t("conv.speaker_names_help"))
        timestamps = st.checkbox(t("conv.timestamps"), key="opt_timestamps",
                                 help=t("conv.timestamps_help"))
    with st.expander(t("opt.advanced")):
        st.selectbox(t("opt.engine"), list(ENGINE_CHOICES), key="opt_engine",
                     help=t("opt.engine_help"), placeholder=t("opt.choose"))
        align = st.toggle(t("opt.align"), value=True, key="opt_align", help=t("opt.align_help"))
        st.caption(t("opt.device", device=settings.device))

count = len(files or [])
# One preset and one spoken language per file (a group interview uploaded with two
# interviews, an English interview in a French batch): the batch's by default.
file_presets: list[str] = []
file_languages: list[str] = []
if count > 1:
    with st.expander(t("upload.file_options")):
        for number, upload in enumerate(files or []):
            # A label is Markdown: the name shown as it is.
            shown = display.escape_markdown(submission.browser_file_name(upload.name))
            kind, spoken_here = st.columns(2)
            file_presets.append(kind.selectbox(
                t("upload.file_preset", name=shown), (submission.BATCH, *PRESETS),
                key=f"file-preset-{generation}-{number}",
                placeholder=t("opt.choose"),
                format_func=lambda p: t("upload.preset_batch", preset=t(f"preset.{preset}"))
                if p == submission.BATCH else t(f"preset.{p}")))
            file_languages.append(spoken_here.selectbox(
                t("upload.file_language", name=shown), (submission.BATCH, *LANGUAGE_CHOICES),
                key=f"file-language-{generation}-{number}",
                placeholder=t("opt.choose"),
                format_func=lambda code: t("upload.language_batch", spoken=display
                                           .language_label(spoken, language))
                if code == submission.BATCH else display.language_label(code, language)))
start = st.button(t("upload.start", count=count), type="primary", disabled=not count or not model,
                  icon=":material/play_arrow:", key="start")

if start and files and model:
    choices = submission.FormChoices(
        preset=preset, language=spoken, model=model, engine=engine, align=align, prompt=prompt,
        device=settings.device, ui_language=language,
        interviewer_name=names.get("interviewer", ""),
        interviewee_name=names.get("interviewee", ""), mark_pauses=mark_pauses,
        mark_overlaps=mark_overlaps, flag_uncertain=flag_uncertain,
        uncertainty_threshold=threshold,
        remove_fillers=remove_fillers, timestamps=timestamps, speaker_names=speaker_names)
    outcomes: list[submission.UploadOutcome] = []
    progress = st.progress(0.0)
    for number, upload in enumerate(files, start=1):
        name = submission.browser_file_name(upload.name)
        progress.progress((number - 1) / len(files),
                          text=t("upload.saving", name=display.escape_markdown(name)))
        own = submission.for_file(choices, file_presets[number - 1],
                                  file_languages[number - 1]) if file_presets else choices
        outcomes.append(submission.save_uploaded(queue, upload.name, upload, upload.size, own,
                                                 settings.max_upload_mb))
    flash: list[tuple[str, str]] = []
    if queued := sum(outcome.queued for outcome in outcomes):
        flash.append(("success", t("upload.queued", count=queued)))
    if refused := sum(outcome.refused for outcome in outcomes):
        flash.append(("error", t("upload.refused", count=refused)))
    flash += [("error", display.error_text(outcome.error, language))
              for outcome in outcomes if outcome.error]
    st.session_state["upload_flash"] = flash
    # The person's attention goes to their jobs, below the form: the focus goes there too.
    st.session_state["upload_focus"] = [outcome.job.id for outcome in outcomes if outcome.job]
    st.session_state["uploader_generation"] = generation + 1  # empties the uploader
    st.rerun()


# -- the queue -------------------------------------------------------------------------------

def job_status(job: Job) -> None:
    if job.status == UPLOADING:
        st.caption(t("status.uploading"))
    elif job.status == QUEUED:
        queued = t("status.queued", position=queue.store.queue_position(job.id) or 1)
        st.caption(f"{queued} — {t('status.here')}" if job.placement == "here" else queued)
    elif job.status == RUNNING:
        stage = t(f"stage.{job.stage}") if job.stage else ""
        label = t("status.running", stage=stage, percent=int(job.fraction * 100),
                  eta=display.remaining_label(job, language))
        if job.cancel_requested:
            label = t("status.cancelling")
        st.progress(min(max(job.fraction, 0.0), 1.0), text=label)
        st.caption(display.stages_text(job, language))
    elif job.status == DONE:
        st.success(t("status.done", took=display.elapsed_label(job)),
                   icon=":material/check_circle:")
        for warning in display.notice_texts(job.notices, language):
            st.warning(warning, icon=":material/warning:")
    elif job.status == FAILED:
        st.error(display.error_text(job.error, language), icon=":material/error:")
    elif job.status == CANCELLED:
        st.caption(t("status.cancelled"))


def delete_job(job_id: str) -> None:
    queue.delete(job_id)
    documents.forget(job_id)  # the editor's copy kept in memory goes too


def job_actions(job: Job) -> None:
    if job.status == DONE:
        st.page_link("views/review.py", label=t("job.review"), icon=":material/edit_note:",
                     query_params={"job": job.id})
    if job.status in (QUEUED, RUNNING, UPLOADING) and not job.cancel_requested:
        st.button(t("job.cancel"), key=f"cancel-{job.id}", on_click=queue.cancel,
                  args=(job.id,), icon=":material/stop_circle:")
    if job.status in (FAILED, CANCELLED) and queue.store.has_media(job):
        st.button(t("job.retry"), key=f"retry-{job.id}", on_click=queue.retry, args=(job.id,),
                  icon=":material/refresh:")
    if job.status in (DONE, FAILED, CANCELLED):
        with st.popover(t("job.delete"), icon=":material/delete:"):
            st.write(t("job.delete_confirm_text", name=display.escape_markdown(job.name)))
            st.button(t("job.delete_confirm"), key=f"delete-{job.id}", type="primary",
                      on_click=delete_job, args=(job.id,))


def waiting_for_a_gpu(jobs: list[Job]) -> None:
    """Workers wait for a GPU (none free, or the quota): say so, since when, and offer to
    transcribe here on the CPU (with the time it would take) or to keep waiting."""
    waiting = queue.dispatcher.waiting() if queue.dispatcher is not None else None
    if waiting is None:
        return
    st.warning(display.waiting_text(waiting, language, st.context.timezone),
               icon=":material/hourglass_top:")
    if st.session_state.get("keep_waiting") == waiting.since:
        st.caption(t("jobs.kept_waiting"))
        return
    queued = [job for job in jobs if job.status == QUEUED and job.placement != "here"]
    st.write(display.cpu_offer_text(queue.dispatcher.cpu_seconds(queued), len(queued),
                                    language))
    here, keep = st.columns(2)
    here.button(t("jobs.run_here"), key="run-here", icon=":material/memory:",
                on_click=queue.dispatcher.run_here, args=([job.id for job in queued],))
    keep.button(t("jobs.keep_waiting"), key="keep-waiting", icon=":material/schedule:",
                on_click=st.session_state.update, kwargs={"keep_waiting": waiting.since})


def job_list() -> None:
    jobs = display.queue_order(queue.store.list())
    if not jobs:
        st.info(t("jobs.empty"))
        return
    waiting_for_a_gpu(jobs)
    for job in jobs:
        with st.container(border=True, key=f"job-{job.id}"):
            about, actions = st.columns([4, 1], vertical_alignment="center")
            with about:
                st.markdown(f"**{display.escape_markdown(job.name)}**")
                st.caption(display.job_summary(job, language, st.context.timezone))
                job_status(job)
            with actions:
                job_actions(job)


@st.fragment(run_every=2)
def live_job_list() -> None:
    """Refreshes itself while jobs are waiting or running."""
    job_list()
    if not any(job.active for job in queue.store.list()):
        st.rerun()  # all finished: back to a still page


st.header(t("jobs.title"), anchor="jobs")
for kind, text in st.session_state.pop("upload_flash", []):
    (st.success if kind == "success" else st.error)(text)
if new_jobs := st.session_state.pop("upload_focus", None):
    st.html(accessibility.focus_script(", ".join(f".st-key-job-{job_id}" for job_id in new_jobs),
                                       view="#jobs"), unsafe_allow_javascript=True)
if any(job.active for job in queue.store.list()):
    live_job_list()
else:
    job_list()
    # The batch is over: what it cost in GPU time, when workers held one.
    if queue.dispatcher is not None and (batch := queue.dispatcher.launches.last_batch()):
        if usage := queue.dispatcher.launches.usage(batch):
            st.info(display.usage_text(usage, language), icon=":material/memory:")
    # The batch is over: say how to give the shared GPU back.
    if platform.deployed_on_gpu(settings) and any(
            job.status == DONE for job in queue.store.list()):
        st.info(t("jobs.free_gpu"), icon=":material/memory:")
