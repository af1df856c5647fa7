"""`transcribe-web`: serve the web app with Streamlit, configured for privacy.

Streamlit serves the app as an ASGI application (`st.App`, run by uvicorn); `build_app`
puts our routes (login, logout, the editor's document) and middleware (the password gate,
which also closes the service at its deadline, then the upload spool) in front of
Streamlit's own. Every
Streamlit setting is given here (never in a config file in $HOME: the container's root
filesystem is read-only). Telemetry off, XSRF protection on, headless, no file watcher
and no developer menu, upload limit, port, base path and bind address from the
environment (see settings.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import transcribe  # noqa: F401 - offline and telemetry-free environment, first

from .. import storage
from ..logs import quiet_libraries
from . import accessibility, documents
from .deadline import Deadline
from .gate import Gate
from .settings import Settings, SettingsError, load_settings
from .spool import SpoolUploads

# The Streamlit script every page runs.
APP = Path(__file__).with_name("app.py")


def streamlit_options(settings: Settings) -> dict[str, Any]:
    options: dict[str, Any] = {
        "server.headless": True,
        "browser.gatherUsageStats": False,
        "server.enableXsrfProtection": True,
        "server.enableCORS": True,
        "server.fileWatcherType": "none",
        "server.runOnSave": False,
        "server.allowRunOnSave": False,
        "global.developmentMode": False,
        "server.showEmailPrompt": False,
        "server.enableStaticServing": False,
        "server.maxUploadSize": settings.max_upload_mb,
        "server.port": settings.port,
        "server.baseUrlPath": settings.base_path,
        # Users are researchers, not developers: no rerun/clear-cache menu, no tracebacks
        # (the app shows its own messages; details go to the server log).
        "client.toolbarMode": "minimal",
        "client.showErrorDetails": "none",
        # Streamlit's banner looks up this machine's public IP (an HTTP request to
        # checkip.amazonaws.com): an offline service makes no such request. Our own line
        # says where the app is.
        "logger.hideWelcomeMessage": True,
        "theme.base": str(accessibility.THEME),  # its colours' contrast: see the file
    }
    if settings.address:
        options["server.address"] = settings.address
    return options


def no_address_lookups() -> None:
    """Streamlit looks this machine's addresses up over the network when a websocket's
    Origin is not its own page's (`server_util.is_url_from_allowed_origins`: `net_util.
    get_internal_ip` connects a UDP socket towards 8.8.8.8, `get_external_ip` asks
    checkip.amazonaws.com over HTTP, blocking the server up to two seconds). The gate
    refuses such websockets first; should one reach Streamlit anyway, both answer
    "unknown" without a connection: the app opens none."""
    from streamlit import net_util

    net_util.get_internal_ip = lambda: None
    net_util.get_external_ip = lambda: None


def streamlit_flags(settings: Settings) -> list[str]:
    """The same options as `streamlit run` flags (what an administrator would type)."""
    def flag(value: Any) -> str:
        return str(value).lower() if isinstance(value, bool) else str(value)

    return [f"--{name}={flag(value)}" for name, value in streamlit_options(settings).items()]


def build_app(settings: Settings, deadline: Deadline | None = None) -> Any:
    """Streamlit's ASGI app behind our routes and middleware. Two plain lists, so that
    another route (or middleware) is one more entry; the gate's middleware comes first,
    so it sees every request before anything reads it."""
    import streamlit as st
    from starlette.middleware import Middleware

    no_address_lookups()
    deadline = deadline or Deadline(settings.delete_at, settings.data_dir)
    gate = Gate(settings, deadline)
    routes = [*gate.routes(), *documents.routes(settings)]
    middleware = [
        Middleware(gate.middleware),
        # Uploads go to the data folder as they arrive, never into memory (behind the
        # gate: a request without a valid cookie is refused before its body is read).
        Middleware(SpoolUploads, data_dir=settings.data_dir,
                   max_upload_mb=settings.max_upload_mb, limit=storage.data_limit()),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        watcher = asyncio.create_task(deadline.watch(on_passed=gate.disconnect),
                                      name="transcribe-deadline")
        try:
            yield
        finally:
            watcher.cancel()

    return st.App(APP, routes=routes, middleware=middleware, lifespan=lifespan)


def main() -> None:
    try:
        settings = load_settings()
    except SettingsError as error:
        # Fails closed: a deadline that cannot be read would keep the data past it.
        sys.exit(f"transcribe-web: {error}. The service does not start.\n"
                 "transcribe-web : réglage illisible (ci-dessus) : le service ne démarre pas.")
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

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    quiet_libraries()
    deadline = Deadline(settings.delete_at, settings.data_dir)
    if deadline.passed():
        # Past the deadline nothing runs again: the data goes before the server starts.
        deadline.purge()
    else:
        # Jobs left queued or running by a previous run start again now, before any visit.
        from .state import job_queue

        job_queue(str(settings.data_dir))

    build_app(settings, deadline).run(config=streamlit_options(settings))


if __name__ == "__main__":
    main()
