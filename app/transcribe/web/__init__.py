"""The web app: a Streamlit shell over the job queue (`transcribe.jobs`) and the same
pipeline, editing and export functions the CLI uses. `transcribe-web` serves it."""
