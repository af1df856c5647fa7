"""Streamlit pages, one file each (run by `st.navigation` from app.py): thin, they call
the modules of `transcribe.web` and `transcribe`."""
