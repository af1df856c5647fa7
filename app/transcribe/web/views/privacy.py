"""Page "Privacy": what is stored where, delete everything now, when the service goes."""

from __future__ import annotations

import streamlit as st

from transcribe.web import display, reviewing, spool, state
from transcribe.web.state import t

settings = state.settings()
queue = state.queue()
language = state.language()

st.title(t("privacy.title"))
st.markdown(t("privacy.intro"))

if settings.delete_at is not None:
    left = reviewing.time_left(settings.delete_at)
    hours, minutes = reviewing.hours_minutes(left)
    when = settings.delete_at.strftime("%Y-%m-%d %H:%M UTC")
    st.subheader(t("privacy.deadline_title"))
    if left > 0:
        st.write(t("privacy.deadline", hours=hours, minutes=minutes, when=when))
    else:
        st.write(t("deadline.passed"))

st.subheader(t("privacy.stored_title"))
st.write(t("privacy.stored", folder=str(settings.data_dir)))
st.markdown(t("privacy.files_explained"))

flash = st.session_state.pop("privacy_flash", None)
if flash:
    st.success(flash)

files = queue.store.stored_files()
jobs = {job.id: job for job in queue.store.list()}
if files:
    rows = []
    for path, size in files:
        relative = path.relative_to(settings.data_dir)
        job = jobs.get(relative.parts[1]) if len(relative.parts) > 2 else None
        rows.append({t("privacy.column_recording"): job.name if job else "",
                     t("privacy.column_file"): str(relative),
                     t("privacy.column_size"): display.size_label(size, language)})
    st.dataframe(rows, hide_index=True, width="stretch")
    total = sum(size for _, size in files)
    st.caption(t("privacy.total", count=len(files), size=display.size_label(total, language)))
else:
    st.success(t("privacy.empty"), icon=":material/check_circle:")


def delete_everything() -> None:
    queue.delete_all()
    spool.clear(settings.data_dir)  # uploads not yet started go too
    for key in [k for k in st.session_state if str(k).startswith(("transcript_cache", "play"))]:
        del st.session_state[key]
    st.session_state["privacy_flash"] = t("privacy.deleted")
    st.session_state["confirm-delete-all"] = False


st.subheader(t("privacy.delete_title"))
st.write(t("privacy.delete_help"))
confirmed = st.checkbox(t("privacy.delete_confirm"), key="confirm-delete-all")
st.button(t("privacy.delete_button"), type="primary", icon=":material/delete_forever:",
          disabled=not confirmed or not files, on_click=delete_everything, key="delete-all")

st.subheader(t("privacy.guarantees_title"))
st.markdown("\n".join((t("privacy.guarantees"), display.access_text(settings, language),
                       display.lifetime_text(settings, language))))
