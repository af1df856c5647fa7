"""Page "Privacy": what is stored where, delete everything now, when the service goes."""

from __future__ import annotations

import streamlit as st

from transcribe.web import display, platform, release, reviewing, state
from transcribe.web.state import t

settings = state.settings()
queue = state.queue()
language = state.language()
hosting = platform.load_platform()

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
    for key in [k for k in st.session_state if str(k).startswith(("transcript_cache", "play"))]:
        del st.session_state[key]
    st.session_state["privacy_flash"] = t("privacy.deleted")
    st.session_state["confirm-delete-all"] = False


if platform.deployed_on_gpu(settings):
    st.subheader(t("privacy.gpu_title"))
    st.write(t("privacy.gpu"))
    st.download_button(t("privacy.download_all"), data=lambda: platform.everything_zip(queue.store),
                       file_name="transcriptions.zip", mime="application/zip",
                       icon=":material/folder_zip:", key="download-everything",
                       help=t("privacy.download_all_help"), disabled=not files)
    if release.can_delete_release():  # the chart granted it (autoDelete.fromApp)
        st.write(t("privacy.delete_service_help"))
        sure = st.checkbox(t("privacy.delete_service_confirm"), key="confirm-delete-service")
        if st.button(t("privacy.delete_service_button"), type="primary", disabled=not sure,
                     icon=":material/power_settings_new:", key="delete-service"):
            queue.delete_all()
            if release.delete_release():
                st.success(t("privacy.delete_service_done"))
            else:
                st.error(t("privacy.delete_service_failed"))

st.subheader(t("privacy.delete_title"))
st.write(t("privacy.delete_help"))
confirmed = st.checkbox(t("privacy.delete_confirm"), key="confirm-delete-all")
st.button(t("privacy.delete_button"), type="primary", icon=":material/delete_forever:",
          disabled=not confirmed or not files, on_click=delete_everything, key="delete-all")

st.subheader(t("privacy.guarantees_title"))
st.markdown("\n".join(line for line in (
    t("privacy.guarantees"), display.access_text(settings, language),
    platform.project_warning(hosting, language), display.lifetime_text(settings, language))
    if line))
