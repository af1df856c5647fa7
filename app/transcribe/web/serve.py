"""`transcribe-web`: serve the web app with Streamlit, configured for privacy.

Every setting goes on Streamlit's command line (never into a config file in $HOME: the
container's root filesystem is read-only). Telemetry off, XSRF protection on, headless,
no file watcher and no developer menu, upload limit, port, base path and bind address
from the environment (see settings.py).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import transcribe  # noqa: F401 - offline and telemetry-free environment, first

from ..logs import quiet_libraries
from .settings import Settings, load_settings

# The ASGI app (asgi.py: our middleware in front of Streamlit's app.py).
APP = Path(__file__).with_name("asgi.py")


def streamlit_flags(settings: Settings) -> list[str]:
    options = {
        "server.headless": "true",
        "browser.gatherUsageStats": "false",
        "server.enableXsrfProtection": "true",
        "server.enableCORS": "true",
        "server.fileWatcherType": "none",
        "server.runOnSave": "false",
        "server.allowRunOnSave": "false",
        "global.developmentMode": "false",
        "server.showEmailPrompt": "false",
        "server.enableStaticServing": "false",
        "server.maxUploadSize": str(settings.max_upload_mb),
        "server.port": str(settings.port),
        "server.baseUrlPath": settings.base_path,
        # Users are researchers, not developers: no rerun/clear-cache menu, no tracebacks
        # (the app shows its own messages; details go to the server log).
        "client.toolbarMode": "minimal",
        "client.showErrorDetails": "none",
        # Streamlit's banner looks up this machine's public IP (an HTTP request to
        # checkip.amazonaws.com): an offline service makes no such request. Our own line
        # says where the app is.
        "logger.hideWelcomeMessage": "true",
    }
    if settings.address:
        options["server.address"] = settings.address
    return [f"--{name}={value}" for name, value in options.items()]


def main(argv: list[str] | None = None) -> None:
    settings = load_settings()
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        sys.exit(f"transcribe-web: cannot create the data folder {settings.data_dir}: {error}")
    # The app script reads the same, absolute, path whatever its working directory.
    os.environ["TRANSCRIBE_DATA_DIR"] = str(settings.data_dir)
    where = ("every network interface" if settings.address is None
             else "this machine only" if settings.address == "127.0.0.1" else settings.address)
    host = "localhost" if settings.address in (None, "127.0.0.1") else settings.address
    print(f"transcribe-web: http://{host}:{settings.port}/{settings.base_path} "
          f"(listening on {where}; data in {settings.data_dir})", flush=True)

    # Jobs left queued or running by a previous run start again now, before any visit.
    from .state import job_queue

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    quiet_libraries()
    job_queue(str(settings.data_dir))

    from streamlit.web import cli

    cli.main(["run", str(APP), *streamlit_flags(settings), *(argv or [])],
             prog_name="transcribe-web")


if __name__ == "__main__":
    main()
