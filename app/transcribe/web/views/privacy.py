"""Page "Privacy": what is stored where, delete everything now, when the service goes."""

from __future__ import annotations

import streamlit as st

from transcribe.web import display, platform, release, spool, state, statement
from transcribe.web.state import t

settings = state.settings()
queue = state.queue()
language = state.language()
hosting = platform.load_platform()

state.page_title("privacy")

if settings.delete_at is not None:
    st.subheader(t("privacy.deadline_title"))
    st.write(display.deadline_text(settings.delete_at, language)[1])

st.subheader(t("privacy.stored_title"))
st.write(t("privacy.stored", folder=str(settings.data_dir)))
st.markdown(t("privacy.files_explained"))

flash = st.session_state.pop(state.PRIVACY_FLASH, None)
if flash:
    st.success(flash)

files = queue.store.stored_files()
jobs = {job.id: job for job in queue.store.list()}
if files:
    rows = [{t("privacy.column_recording"): jobs[stored.job_id].name
             if stored.job_id in jobs else "",
             t("privacy.column_file"): str(stored.relative),
             t("privacy.column_size"): display.size_label(stored.size, language)}
            for stored in files]
    st.dataframe(rows, hide_index=True, width="stretch")
    total = sum(stored.size for stored in files)
    st.caption(t("privacy.total", count=len(files), size=display.size_label(total, language)))
else:
    st.success(t("privacy.empty"), icon=":material/check_circle:")

# Workers on a GPU (kubernetes launcher): the GPU time they held, all batches together.
if queue.dispatcher is not None and (usage := queue.dispatcher.launches.usage()):
    st.write(display.usage_text(usage, language, "privacy.gpu_used"))


def delete_everything() -> None:
    queue.delete_all()
    spool.clear(settings.data_dir)  # uploads not yet started go too
    state.forget_transcripts()
    st.session_state[state.PRIVACY_FLASH] = t("privacy.deleted")
    st.session_state[state.CONFIRM_DELETE_ALL] = False


if platform.deployed_on_gpu(settings):
    st.subheader(t("privacy.gpu_title"))
    st.write(t("privacy.gpu"))
    st.download_button(t("privacy.download_all"),
                       data=lambda: platform.everything_zip(queue.store, language),
                       file_name="transcriptions.zip", mime="application/zip",
                       icon=":material/folder_zip:", key="download-everything",
                       help=t("privacy.download_all_help"), disabled=not files)
    if release.can_delete_release():  # the chart granted it (autoDelete.fromApp)
        st.write(t("privacy.delete_service_help"))
        sure = st.checkbox(t("privacy.delete_service_confirm"), key=state.CONFIRM_DELETE_SERVICE)
        if st.button(t("privacy.delete_service_button"), type="primary", disabled=not sure,
                     icon=":material/power_settings_new:", key="delete-service"):
            delete_everything()  # the files first, whatever becomes of the release
            if release.delete_release():
                st.success(t("privacy.delete_service_done"))
            else:
                st.error(t("privacy.delete_service_failed"))

st.subheader(t("privacy.delete_title"))
st.write(t("privacy.delete_help"))
confirmed = st.checkbox(t("privacy.delete_confirm"), key=state.CONFIRM_DELETE_ALL)
st.button(t("privacy.delete_button"), type="primary", icon=":material/delete_forever:",
          disabled=not confirmed or not files, on_click=delete_everything, key="delete-all")

st.subheader(t("privacy.guarantees_title"))
st.markdown("\n".join(line for line in (
    t("privacy.guarantees"), display.access_text(settings, language),
    platform.project_warning(hosting, language), display.lifetime_text(settings, language))
    if line))

st.subheader(t("privacy.accessibility_title"), anchor="accessibility")
st.markdown(statement.statement(language))
