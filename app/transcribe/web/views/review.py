"""Page "Review": listen, correct, name speakers, pseudonymise, download."""

from __future__ import annotations

import html
from dataclasses import replace

import altair as alt
import pandas as pd
import streamlit as st

from transcribe.export import render
from transcribe.export.common import clock
from transcribe.i18n import format_duration
from transcribe.jobs import DONE
from transcribe.transcript import Transcript
from transcribe.web import display, reviewing, state
from transcribe.web.corrections import StaleEdit, TranscriptEditor
from transcribe.web.state import t

store = state.store()
language = state.language()
zone = st.context.timezone

st.title(t("review.title"))
finished = [job for job in display.queue_order(store.list()) if job.status == DONE]
if not finished:
    st.info(t("review.none"))
    st.page_link("views/upload.py", label=t("nav.upload"), icon=":material/upload_file:")
    st.stop()

ids = [job.id for job in finished]
names = {job.id: f"{job.name} — {display.local_time(job.created, zone)}" for job in finished}


def choose_job() -> None:
    st.query_params["job"] = st.session_state[state.REVIEW_JOB]


# The URL names the job (links from the queue, a refresh): it wins over the last choice.
wanted = st.query_params.get("job")
if wanted in ids:
    st.session_state[state.REVIEW_JOB] = wanted
elif st.session_state.get(state.REVIEW_JOB) not in ids:
    st.session_state[state.REVIEW_JOB] = ids[0]
job_id = st.selectbox(t("review.job"), ids, key=state.REVIEW_JOB, on_change=choose_job,
                      format_func=lambda i: names.get(i, i))
st.query_params["job"] = job_id
job = store.get(job_id)
if job is None or job.status != DONE:
    st.rerun()
editor = TranscriptEditor(store, job.id)
revision_key = f"revision-{job.id}"
revision = st.session_state.setdefault(revision_key, 0)


def bump() -> None:
    st.session_state[revision_key] = st.session_state.get(revision_key, 0) + 1


def stale() -> None:
    st.session_state[state.REVIEW_FLASH] = ("warning", t("review.stale"))
    bump()


def load() -> Transcript:
    """The transcript, parsed again only when the file changed."""
    path = store.transcript_path(job)
    stamp = (job.id, path.stat().st_mtime_ns)
    cached = st.session_state.get(state.TRANSCRIPT_CACHE)
    if cached and cached[0] == stamp:
        return cached[1]
    transcript = Transcript.load(path)
    st.session_state[state.TRANSCRIPT_CACHE] = (stamp, transcript)
    return transcript


transcript = load()
conventions = editor.conventions()
threshold = conventions.uncertainty_threshold
unknown = t("review.no_speaker")

st.caption(" · ".join(x for x in (
    format_duration(transcript.duration),
    display.language_label(transcript.language or "auto", language),
    " / ".join(x for x in (transcript.engine, transcript.model) if x),
    t("review.segments", count=len(transcript.segments))) if x))
for warning in display.warning_texts(job.warnings, language):
    st.warning(warning, icon=":material/warning:")
flash = st.session_state.pop(state.REVIEW_FLASH, None)
if flash:
    getattr(st, flash[0])(flash[1])


# -- listening (sidebar, so that it stays in view while scrolling) -----------------------------

def request_play(start: float) -> None:
    nonce = st.session_state.get(state.PLAY, {}).get("nonce", 0) + 1
    st.session_state[state.PLAY] = {"job": job.id, "at": start, "nonce": nonce}


with st.sidebar:
    st.subheader(t("player.title"))
    listening = store.listening_path(job)
    media = listening if listening.is_file() else None
    if media is None and store.media_path(job).stat().st_size < 200 * 1024 * 1024:
        media = store.media_path(job)  # no small copy (yet): the upload, when not too big
    if media is None:
        st.caption(t("player.unavailable"))
    else:
        with st.container(key="player"):
            st.audio(str(media), format=reviewing.media_type(media))
        rate = st.select_slider(t("player.speed"), options=[0.75, 1.0, 1.25, 1.5, 1.75, 2.0],
                                value=1.0, key="playback_rate",
                                format_func=lambda r: f"{r:g}×")
        play = st.session_state.get(state.PLAY) or {}
        at = float(play.get("at", 0.0)) if play.get("job") == job.id else 0.0
        nonce = int(play.get("nonce", 0)) if play.get("job") == job.id else 0
        st.html(reviewing.player_script(rate, at, f"{job.id}-{nonce}" if nonce else None),
                unsafe_allow_javascript=True)
        st.caption(t("player.help"))


tab_text, tab_speakers, tab_replace, tab_pseudonyms, tab_export = st.tabs([
    t("review.tab_text"), t("review.tab_speakers"), t("review.tab_replace"),
    t("review.tab_pseudonyms"), t("review.tab_export")])


# -- transcript --------------------------------------------------------------------------------

def save_text(index: int, start: float, key: str) -> None:
    try:
        editor.set_text(index, st.session_state[key], start)
    except StaleEdit:
        stale()


def change_turn_speaker(indices: list[int], start: float, key: str) -> None:
    try:
        editor.set_speaker(indices, st.session_state[key], start)
    except StaleEdit:
        stale()
    bump()


def merge(index: int, start: float) -> None:
    try:
        editor.merge_with_next(index, start)
    except (StaleEdit, IndexError):
        stale()
    bump()


def split_at(index: int, start: float, key: str) -> None:
    try:
        editor.split(index, int(st.session_state[key]), start)
    except (StaleEdit, ValueError, IndexError):
        stale()
    bump()


speaker_choices: list[str | None] = [None, *reviewing.speaker_ids(transcript)]


def speaker_label(speaker_id: str | None) -> str:
    return transcript.speaker_name(speaker_id) if speaker_id else unknown


with tab_text:
    if not transcript.segments:
        st.info(t("review.empty"))
    search, size = st.columns([3, 1], vertical_alignment="bottom")
    query = search.text_input(t("review.search"), key=f"search-{job.id}",
                              placeholder=t("review.search_placeholder"))
    page_size = size.selectbox(t("review.page_size"), reviewing.PAGE_SIZES, index=1,
                               key="page_size")
    indices = reviewing.matching_indices(transcript, query)
    if query.strip():
        st.caption(t("review.matches", count=len(indices)))
    pages = reviewing.page_count(len(indices), page_size)
    page_key = f"page-{job.id}"
    if st.session_state.get(page_key, 1) > pages:
        st.session_state[page_key] = pages
    turns = reviewing.page_turns(transcript, indices, st.session_state.get(page_key, 1),
                                 page_size)
    for turn in turns:
        first = transcript.segments[turn.indices[0]]
        with st.container(border=True, key=f"turn-{revision}-{turn.indices[0]}"):
            head, who = st.columns([3, 2], vertical_alignment="center")
            head.markdown(f"**{clock(first.start)}** · "
                          f"{display.escape_markdown(speaker_label(turn.speaker))}")
            turn_key = f"speaker-{revision}-{turn.indices[0]}"
            who.selectbox(t("review.turn_speaker"), speaker_choices,
                          index=speaker_choices.index(turn.speaker)
                          if turn.speaker in speaker_choices else 0,
                          format_func=speaker_label, key=turn_key, label_visibility="collapsed",
                          on_change=change_turn_speaker,
                          args=(turn.indices, first.start, turn_key))
            for index in turn.indices:
                segment = transcript.segments[index]
                key = f"text-{revision}-{index}"
                play, body, more = st.columns([2, 13, 1], vertical_alignment="top")
                play.button(clock(segment.start), key=f"play-{revision}-{index}",
                            icon=":material/play_arrow:", type="tertiary",
                            help=t("review.play", time=clock(segment.start)),
                            on_click=request_play, args=(segment.start,))
                body.text_area(t("review.text", time=clock(segment.start)),
                               value=segment.text, key=key,
                               height=reviewing.text_height(segment.text),
                               label_visibility="collapsed", on_change=save_text,
                               args=(index, segment.start, key))
                if reviewing.uncertain_words(segment, threshold):
                    body.html("<div style='font-size:0.85rem;opacity:0.8'>"
                              f"{html.escape(t('review.uncertain'))} "
                              f"{reviewing.highlighted_html(segment, threshold)}</div>")
                with more.popover("", icon=":material/more_vert:"):
                    st.caption(clock(segment.start) + " – "
                               + clock(segment.end))
                    own_key = f"own-speaker-{revision}-{index}"
                    st.selectbox(t("review.segment_speaker"), speaker_choices,
                                 index=speaker_choices.index(segment.speaker)
                                 if segment.speaker in speaker_choices else 0,
                                 format_func=speaker_label, key=own_key,
                                 on_change=change_turn_speaker,
                                 args=([index], segment.start, own_key))
                    st.button(t("review.merge"), key=f"merge-{revision}-{index}",
                              icon=":material/merge:", on_click=merge,
                              args=(index, segment.start),
                              disabled=index + 1 >= len(transcript.segments))
                    points = reviewing.cut_points(segment.text)
                    if points:
                        cut_key = f"cut-{revision}-{index}"
                        labels = dict(points)
                        st.selectbox(t("review.split_at"), [p for p, _ in points], key=cut_key,
                                     format_func=labels.get)
                        st.button(t("review.split"), key=f"split-{revision}-{index}",
                                  icon=":material/content_cut:", on_click=split_at,
                                  args=(index, segment.start, cut_key))
    if pages > 1:
        st.pagination(pages, key=page_key)


# -- speakers ----------------------------------------------------------------------------------

def rename(speaker_id: str, key: str) -> None:
    name = " ".join(str(st.session_state.get(key) or "").split())
    if name:
        editor.rename_speaker(speaker_id, name)
        bump()


def swap(first_key: str, second_key: str) -> None:
    first, second = st.session_state.get(first_key), st.session_state.get(second_key)
    if first and second and first != second:
        editor.swap_speakers(first, second)
        bump()


def add_speaker(key: str) -> None:
    name = " ".join(str(st.session_state.get(key) or "").split())
    if name:
        editor.rename_speaker(reviewing.new_speaker_id(editor.load()), name)
        st.session_state[key] = ""
        bump()


with tab_speakers:
    known = reviewing.speaker_ids(transcript)
    if not known:
        st.info(t("speakers.none"))
    shares = {row["id"]: row for row in reviewing.talk_time_rows(transcript)}
    for speaker_id in known:
        name_key = f"name-{revision}-{speaker_id}"
        speaker = transcript.speakers.get(speaker_id)
        name_column, time_column = st.columns([3, 2], vertical_alignment="bottom")
        name_column.text_input(t("speakers.name", id=speaker_id), value=speaker_label(speaker_id),
                               key=name_key, on_change=rename, args=(speaker_id, name_key))
        row = shares.get(speaker_id)
        role = t(f"role.{speaker.role}") if speaker and speaker.role in ("interviewer",
                                                                        "interviewee") else ""
        time_column.caption(" · ".join(x for x in (
            role, t("speakers.talk_time", time=format_duration(row["seconds"]),
                    share=round(100 * row["share"])) if row else "") if x))
    if len(known) >= 2:
        first, second, go = st.columns([2, 2, 1], vertical_alignment="bottom")
        first.selectbox(t("speakers.swap_first"), known, index=0, format_func=speaker_label,
                        key=f"swap-a-{revision}")
        second.selectbox(t("speakers.swap_second"), known, index=1, format_func=speaker_label,
                         key=f"swap-b-{revision}")
        go.button(t("speakers.swap"), icon=":material/swap_horiz:", key="swap",
                  on_click=swap, args=(f"swap-a-{revision}", f"swap-b-{revision}"))
    new, add = st.columns([4, 1], vertical_alignment="bottom")
    new.text_input(t("speakers.add"), key="new-speaker", placeholder=t("speakers.add_placeholder"))
    add.button(t("speakers.add_button"), icon=":material/person_add:", key="add-speaker",
               on_click=add_speaker, args=("new-speaker",))

    if transcript.segments and known:
        st.subheader(t("speakers.timeline"))
        unit = 60.0 if transcript.duration > 600 else 1.0  # minutes for long recordings
        timeline = pd.DataFrame(reviewing.timeline_rows(transcript, unknown, unit))
        chart = alt.Chart(timeline).mark_bar().encode(
            x=alt.X("start:Q", title=t("speakers.minutes" if unit == 60 else "speakers.seconds")),
            x2="end:Q",
            y=alt.Y("speaker:N", title=None),
            color=alt.Color("speaker:N", legend=None),
            tooltip=[alt.Tooltip("speaker:N", title=t("speakers.speaker")),
                     alt.Tooltip("start:Q", title=t("speakers.from")),
                     alt.Tooltip("end:Q", title=t("speakers.to"))])
        st.altair_chart(chart, width="stretch")
        st.subheader(t("speakers.shares"))
        talk = pd.DataFrame(reviewing.talk_time_rows(transcript))
        bars = alt.Chart(talk).mark_bar().encode(
            x=alt.X("share:Q", axis=alt.Axis(format="%"), title=None,
                    scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("speaker:N", sort="-x", title=None),
            color=alt.Color("speaker:N", legend=None),
            tooltip=[alt.Tooltip("speaker:N", title=t("speakers.speaker")),
                     alt.Tooltip("share:Q", format=".0%", title=t("speakers.share")),
                     alt.Tooltip("seconds:Q", title=t("speakers.seconds"))])
        st.altair_chart(bars, width="stretch")


# -- search and replace ------------------------------------------------------------------------

def replace_everywhere() -> None:
    find = st.session_state.get("replace-find", "")
    replacement = st.session_state.get("replace-with", "")
    count = editor.replace_all(find, replacement, st.session_state.get("replace-case", False))
    st.session_state[state.REVIEW_FLASH] = ("success" if count else "info",
                                            t("replace.done", count=count))
    bump()


with tab_replace:
    st.caption(t("replace.help"))
    find_column, with_column = st.columns(2)
    find_column.text_input(t("replace.find"), key="replace-find")
    with_column.text_input(t("replace.with"), key="replace-with")
    st.checkbox(t("replace.case"), key="replace-case")
    st.button(t("replace.button"), icon=":material/find_replace:", key="replace",
              on_click=replace_everywhere,
              disabled=not st.session_state.get("replace-find", "").strip())


# -- pseudonyms --------------------------------------------------------------------------------

def save_pseudonyms(key: str, base: list[dict]) -> None:
    editor.set_pseudonyms(reviewing.apply_table_edits(base, st.session_state.get(key) or {}))


with tab_pseudonyms:
    st.caption(t("pseudonyms.help"))
    base_key = f"pseudonym-base-{job.id}"
    if base_key not in st.session_state:  # the editor's starting rows stay put while editing
        st.session_state[base_key] = [{"real": real, "pseudonym": fake}
                                      for real, fake in conventions.pseudonyms.items()]
    base = st.session_state[base_key]
    table_key = f"pseudonyms-{job.id}"
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
    current = editor.conventions()
    editor.save_conventions(replace(
        current,
        mark_pauses=st.session_state[f"conv-pauses-{job.id}"],
        mark_overlaps=st.session_state[f"conv-overlaps-{job.id}"],
        flag_uncertain=st.session_state[f"conv-uncertain-{job.id}"],
        uncertainty_threshold=st.session_state[f"conv-threshold-{job.id}"],
        remove_fillers=st.session_state[f"conv-fillers-{job.id}"],
        speaker_names=st.session_state[f"conv-speaker-names-{job.id}"],
        timestamps=st.session_state[f"conv-timestamps-{job.id}"]))


with tab_export:
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

    def renderer(format_name: str):
        # Rendered when clicked, from the file on disk: the latest corrections, always.
        return lambda: render(editor.load(), format_name, editor.conventions())

    buttons = st.columns(4)
    for position, (format_name, label) in enumerate(display.export_labels(language).items()):
        fmt = reviewing.FORMATS[format_name]
        buttons[position % 4].download_button(
            label, data=renderer(format_name), file_name=reviewing.export_name(stem, format_name),
            mime=fmt.media_type, key=f"download-{format_name}", on_click="ignore",
            icon=":material/download:", help=reviewing.export_name(stem, format_name))
    st.download_button(t("export.zip"), type="primary", icon=":material/folder_zip:",
                       data=lambda: reviewing.export_zip(editor.load(), stem, editor.conventions()),
                       file_name=f"{stem}.zip", mime="application/zip", key="download-zip",
                       on_click="ignore")
