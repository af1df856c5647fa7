"""Page "Review": listen, correct, name speakers, pseudonymise, download."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from transcribe import changes
from transcribe.export import export_stem, render
from transcribe.i18n import format_duration
from transcribe.jobs import DONE
from transcribe.speakers.labels import in_language, shown_name
from transcribe.transcript import Transcript
from transcribe.web import correction, display, documents, reviewing, state
from transcribe.web.state import t

store = state.store()
language = state.language()
zone = st.context.timezone

st.title(t("review.title"))
finished = [job for job in display.queue_order(store.list()) if job.status == DONE]
# The URL names the job (links from the queue, a refresh): it wins over the last choice.
wanted = st.query_params.get("job")
# Deleted while this page showed it (its editor saw it go and ran the page again), or an
# old link: said, even when no other transcript is left, and nothing else chosen.
gone = bool(wanted) and wanted not in {job.id for job in finished} and store.get(wanted) is None
if gone:
    st.warning(t("review.gone"), icon=":material/delete:")
if not finished:
    st.info(t("review.none"))
    st.page_link("views/upload.py", label=t("nav.upload"), icon=":material/upload_file:")
    st.stop()

ids = [job.id for job in finished]
names = display.distinct_labels(
    {job.id: f"{job.name} — {display.local_time(job.created, zone)}" for job in finished})


def choose_job() -> None:
    st.query_params["job"] = st.session_state[state.REVIEW_JOB]


if gone:
    other = st.selectbox(t("review.job"), ids, index=None, key="review-after-gone",
                         format_func=lambda i: names.get(i, i), placeholder=t("opt.choose"))
    if other is None:
        st.stop()
    st.session_state[state.REVIEW_JOB] = other
    st.query_params["job"] = other
    st.rerun()
if wanted in ids:
    st.session_state[state.REVIEW_JOB] = wanted
elif st.session_state.get(state.REVIEW_JOB) not in ids:
    st.session_state[state.REVIEW_JOB] = ids[0]
job_id = st.selectbox(t("review.job"), ids, key=state.REVIEW_JOB, on_change=choose_job,
                      format_func=lambda i: names.get(i, i), placeholder=t("opt.choose"))
st.query_params["job"] = job_id
job = store.get(job_id)
if job is None or job.status != DONE:
    st.rerun()
revision_key = f"revision-{job.id}"
revision = st.session_state.setdefault(revision_key, 0)


def bump() -> None:
    """Widgets keyed by the revision start again from the stored values."""
    st.session_state[revision_key] = st.session_state.get(revision_key, 0) + 1


def save(ops: list[dict]) -> bool:
    """Corrections from the widgets below, as changes merged into the stored transcript;
    False (with a message) when any was refused."""
    try:
        outcome = changes.apply(store, job.id, None, ops)
    except KeyError:
        st.session_state[state.REVIEW_FLASH] = ("warning", t("review.stale"))
        return False
    if outcome.conflicts:
        st.session_state[state.REVIEW_FLASH] = ("warning", t("pseudonyms.refused",
                                                          count=len(outcome.conflicts)))
    bump()
    return not outcome.conflicts


def load() -> Transcript:
    """The transcript, parsed again only when the file changed."""
    path = store.transcript_path(job)
    stamp = (job.id, path.stat().st_mtime_ns)
    cached = st.session_state.get(state.TRANSCRIPT_CACHE)
    if cached and cached[0] == stamp:
        return cached[1]
    transcript = Transcript.load(path)
    st.session_state[state.TRANSCRIPT_CACHE] = (stamp, transcript)
    documents.prepare(store, job, transcript, stamp[1], language)  # what the editor fetches
    return transcript


transcript = load()
conventions = store.conventions(job)
unknown = t("review.no_speaker")


def speaker_label(speaker_id: str | None) -> str:
    """A speaker's name; a default label ("Enquêté·e") in the page's language."""
    if not speaker_id:
        return unknown
    return shown_name(transcript.speaker_name(speaker_id) or unknown, language)


# (The number of segments is the editor's: it follows splits and merges.)
st.caption(" · ".join(x for x in (
    format_duration(transcript.duration),
    display.language_label(transcript.language or "auto", language),
    " / ".join(x for x in (transcript.engine, transcript.model) if x)) if x))
for warning in display.notice_texts(job.notices, language):
    st.warning(warning, icon=":material/warning:")
flash = st.session_state.pop(state.REVIEW_FLASH, None)
if flash:
    getattr(st, flash[0])(flash[1])


# -- the correction editor: the player and the transcript together ----------------------------

# Only the open tab's content is drawn (a tab click reruns the page): a 3-hour interview's
# charts, tables and downloads would otherwise hold up the editor's first drawing. The
# editor itself is always drawn, so that it stays mounted, with its unsaved edits and its
# undo history, while another tab is open.
tab_text, tab_speakers, tab_pseudonyms, tab_export = st.tabs([
    t("review.tab_text"), t("review.tab_speakers"), t("review.tab_pseudonyms"),
    t("review.tab_export")], key=state.REVIEW_TAB, on_change="rerun")


@st.fragment
def correction_editor() -> None:
    # Saving a batch of corrections reruns this fragment only: the charts and tables
    # around it are not redrawn while someone types.
    if store.get(job.id) is None:  # deleted meanwhile: the whole page, without it
        st.rerun()
    playable = documents.recording(store, job) is not None
    if not playable:
        st.caption(t("player.unavailable"))
    correction.show(store, job, language, state.settings().base_path, playable,
                    transcript.version)


with tab_text:
    st.session_state[state.EDITOR_FULL_RUN] = True  # the editor gets the stored transcript
    correction_editor()


# -- speakers ----------------------------------------------------------------------------------

def rename(speaker_id: str, key: str) -> None:
    name = " ".join(str(st.session_state.get(key) or "").split())
    if name:
        save([{"op": "rename", "speaker": speaker_id, "name": name}])


def swap(first_key: str, second_key: str) -> None:
    first, second = st.session_state.get(first_key), st.session_state.get(second_key)
    if first and second and first != second:
        save([{"op": "swap", "a": first, "b": second}])


def add_speaker(key: str) -> None:
    name = " ".join(str(st.session_state.get(key) or "").split())
    if name:
        save([{"op": "rename", "speaker": reviewing.new_speaker_id(store.load_transcript(job)),
               "name": name}])
        st.session_state[key] = ""


def speakers_tab() -> None:
    known = transcript.speaker_ids()
    if not known:
        st.info(t("speakers.none"))
    shown = in_language(transcript, language)  # default labels in the page's language
    shares = {row["id"]: row for row in reviewing.talk_time_rows(shown)}
    for number, speaker_id in enumerate(known, start=1):
        name_key = f"name-{revision}-{speaker_id}"
        speaker = transcript.speakers.get(speaker_id)
        name_column, time_column = st.columns([3, 2], vertical_alignment="bottom")
        name_column.text_input(t("speakers.name", number=number), value=speaker_label(speaker_id),
                               key=name_key, on_change=rename, args=(speaker_id, name_key))
        row = shares.get(speaker_id)
        role = t(f"role.{speaker.role}") if speaker and speaker.role in ("interviewer",
                                                                        "interviewee") else ""
        time_column.caption(" · ".join(x for x in (
            role, t("speakers.talk_time", time=format_duration(row["seconds"]),
                    share=round(100 * row["share"])) if row else "") if x))
    if len(known) >= 2:
        # Two speakers may bear one name: each choice must stay distinct.
        swap_labels = display.distinct_labels({i: speaker_label(i) for i in known})
        first, second, go = st.columns([2, 2, 1], vertical_alignment="bottom")
        first.selectbox(t("speakers.swap_first"), known, index=0, format_func=swap_labels.get,
                        key=f"swap-a-{revision}", placeholder=t("opt.choose"))
        second.selectbox(t("speakers.swap_second"), known, index=1, format_func=swap_labels.get,
                         key=f"swap-b-{revision}", placeholder=t("opt.choose"))
        go.button(t("speakers.swap"), icon=":material/swap_horiz:", key="swap",
                  on_click=swap, args=(f"swap-a-{revision}", f"swap-b-{revision}"))
    new, add = st.columns([4, 1], vertical_alignment="bottom")
    new.text_input(t("speakers.add"), key="new-speaker", placeholder=t("speakers.add_placeholder"))
    add.button(t("speakers.add_button"), icon=":material/person_add:", key="add-speaker",
               on_click=add_speaker, args=("new-speaker",))

    if transcript.segments and known:
        st.subheader(t("speakers.timeline"))
        unit = 60.0 if transcript.duration > 600 else 1.0  # minutes for long recordings
        timeline = pd.DataFrame(reviewing.timeline_rows(shown, unknown, unit))
        # Described in the page's language as a whole: Vega's own description of each bar
        # and axis is English and repeats what the text says.
        chart = alt.Chart(timeline, description=t("speakers.timeline_chart")).mark_bar(
            aria=False).encode(
            x=alt.X("start:Q", title=t("speakers.minutes" if unit == 60 else "speakers.seconds"),
                    axis=alt.Axis(aria=False)),
            x2="end:Q",
            y=alt.Y("speaker:N", title=None, axis=alt.Axis(aria=False)),
            color=alt.Color("speaker:N", legend=None),
            tooltip=[alt.Tooltip("speaker:N", title=t("speakers.speaker")),
                     alt.Tooltip("start:Q", title=t("speakers.from")),
                     alt.Tooltip("end:Q", title=t("speakers.to"))])
        st.altair_chart(chart, width="stretch")
        st.subheader(t("speakers.shares"))
        talk = pd.DataFrame(reviewing.talk_time_rows(shown))
        bars = alt.Chart(talk, description=t("speakers.shares_chart")).mark_bar(
            aria=False).encode(
            x=alt.X("share:Q", axis=alt.Axis(format="%", aria=False), title=None,
                    scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("speaker:N", sort="-x", title=None, axis=alt.Axis(aria=False)),
            color=alt.Color("speaker:N", legend=None),
            tooltip=[alt.Tooltip("speaker:N", title=t("speakers.speaker")),
                     alt.Tooltip("share:Q", format=".0%", title=t("speakers.share")),
                     alt.Tooltip("seconds:Q", title=t("speakers.seconds"))])
        st.altair_chart(bars, width="stretch")


# -- pseudonyms --------------------------------------------------------------------------------

def pseudonym_ops(base: list[dict], rows: list[dict]) -> list[dict]:
    """What the table's edits change, row by row: a tab that saves never erases the rows
    another tab added meanwhile (issue: Marie -> P1 in one, Paul -> P2 in the other)."""
    def table(items: list[dict]) -> dict[str, str]:
        found = {}
        for row in items:
            real = " ".join(str(row.get("real") or "").split())
            if real:
                found[real] = " ".join(str(row.get("pseudonym") or "").split())
        return found

    before, after = table(base), table(rows)
    ops = [{"op": "pseudonym", "real": real, "pseudonym": None}
           for real in before if real not in after]
    ops += [{"op": "pseudonym", "real": real, "pseudonym": fake or None}
            for real, fake in after.items() if before.get(real) != fake]
    return ops


def save_pseudonyms(key: str, base: list[dict]) -> None:
    save(pseudonym_ops(base, reviewing.apply_table_edits(base, st.session_state.get(key) or {})))


def add_pseudonym(real_key: str, fake_key: str) -> None:
    real = " ".join(str(st.session_state.get(real_key) or "").split())
    fake = " ".join(str(st.session_state.get(fake_key) or "").split())
    # The fields are emptied only once the row is stored: a refused row stays typed.
    if real and fake and save([{"op": "pseudonym", "real": real, "pseudonym": fake}]):
        st.session_state[real_key] = st.session_state[fake_key] = ""


def pseudonyms_tab() -> None:
    st.caption(t("pseudonyms.help"))
    st.caption(t("pseudonyms.add_help"))
    # A form: both fields reach the server together with the click (or Enter), never a
    # click that arrives before the text typed just before it.
    with st.form(f"pseudonym-new-{job.id}", border=False, enter_to_submit=True):
        real_column, fake_column, add_column = st.columns([2, 2, 1],
                                                          vertical_alignment="bottom")
        real_column.text_input(t("pseudonyms.real"), key=f"pseudonym-new-real-{job.id}")
        fake_column.text_input(t("pseudonyms.pseudonym"), key=f"pseudonym-new-fake-{job.id}")
        add_column.form_submit_button(
            t("pseudonyms.add"), icon=":material/add:", key="pseudonym-add",
            on_click=add_pseudonym,
            args=(f"pseudonym-new-real-{job.id}", f"pseudonym-new-fake-{job.id}"))
    base = [{"real": real, "pseudonym": fake} for real, fake in conventions.pseudonyms.items()]
    table_key = f"pseudonyms-{job.id}-{revision}"
    st.data_editor(
        pd.DataFrame(base, columns=["real", "pseudonym"]), key=table_key, num_rows="dynamic",
        width="stretch", hide_index=True,
        column_config={"real": st.column_config.TextColumn(t("pseudonyms.real")),
                       "pseudonym": st.column_config.TextColumn(t("pseudonyms.pseudonym"))},
        on_change=save_pseudonyms, args=(table_key, base))
    if conventions.pseudonyms:
        st.caption(t("pseudonyms.active", count=len(conventions.pseudonyms)))


# -- conventions and downloads -----------------------------------------------------------------

def save_conventions() -> None:
    chosen = {name: st.session_state[f"conv-{key}-{job.id}"] for name, key in (
        ("mark_pauses", "pauses"), ("mark_overlaps", "overlaps"), ("flag_uncertain", "uncertain"),
        ("uncertainty_threshold", "threshold"), ("remove_fillers", "fillers"),
        ("speaker_names", "speaker-names"), ("timestamps", "timestamps"))}

    def change(current) -> None:
        for name, value in chosen.items():
            setattr(current, name, value)

    changes.update_conventions(store, job.id, change)


def export_tab() -> None:
    st.caption(t("export.help"))
    columns = st.columns(3)  # marks in the text; uncertain words; the .txt's layout
    columns[0].checkbox(t("conv.pauses"), value=conventions.mark_pauses,
                        key=f"conv-pauses-{job.id}", on_change=save_conventions)
    columns[0].checkbox(t("conv.overlaps"), value=conventions.mark_overlaps,
                        key=f"conv-overlaps-{job.id}", on_change=save_conventions)
    columns[0].checkbox(t("conv.fillers"), value=conventions.remove_fillers,
                        key=f"conv-fillers-{job.id}", on_change=save_conventions)
    columns[1].checkbox(t("conv.uncertain"), value=conventions.flag_uncertain,
                        key=f"conv-uncertain-{job.id}", on_change=save_conventions)
    columns[1].slider(t("conv.threshold"), 0.1, 0.9, conventions.uncertainty_threshold, 0.05,
                      key=f"conv-threshold-{job.id}", on_change=save_conventions)
    columns[2].checkbox(t("conv.speaker_names"), value=conventions.speaker_names,
                        key=f"conv-speaker-names-{job.id}", on_change=save_conventions,
                        help=t("conv.speaker_names_help"))
    columns[2].checkbox(t("conv.timestamps"), value=conventions.timestamps,
                        key=f"conv-timestamps-{job.id}", on_change=save_conventions,
                        help=t("conv.timestamps_help"))

    st.subheader(t("export.files"))
    stem = job.stem
    named = export_stem(stem, conventions)  # the files' names: the pseudonyms apply too

    def stored(job_id: str = job.id):
        """The transcript and conventions on disk when a download is clicked (the job
        bound now: the callable runs later, after other runs of this script)."""
        current = store.get(job_id)
        return store.load_transcript(current), store.conventions(current)

    def renderer(format_name: str, job_id: str = job.id, language: str = language):
        # Rendered when clicked, from the file on disk: the latest corrections, always.
        def rendered() -> bytes:
            transcript_now, conventions_now = stored(job_id)
            return render(transcript_now, format_name, conventions_now, language)

        return rendered

    def zipped(job_id: str = job.id, language: str = language, stem: str = stem) -> bytes:
        transcript_now, conventions_now = stored(job_id)
        return reviewing.export_zip(transcript_now, stem, conventions_now, language)

    buttons = st.columns(4)
    for position, (format_name, label) in enumerate(display.export_labels(language).items()):
        fmt = reviewing.FORMATS[format_name]
        buttons[position % 4].download_button(
            label, data=renderer(format_name), file_name=reviewing.export_name(named, format_name),
            mime=fmt.media_type, key=f"download-{format_name}", on_click="ignore",
            icon=":material/download:", help=reviewing.export_name(named, format_name))
    st.download_button(t("export.zip"), type="primary", icon=":material/folder_zip:",
                       data=zipped,
                       file_name=f"{named}.zip", mime="application/zip", key="download-zip",
                       on_click="ignore")


for tab, draw in ((tab_speakers, speakers_tab), (tab_pseudonyms, pseudonyms_tab),
                  (tab_export, export_tab)):
    if tab.open:
        with tab:
            draw()
