"""Helpers for the web app's tests: a sample interview, jobs seeded directly in the store,
a short recording, and a stand-in for the pipeline."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webserver import free_port, web_server

from transcribe.conventions import Conventions
from transcribe.jobs import DONE, Job, JobStore
from transcribe.pipeline import PipelineOptions
from transcribe.transcript import Segment, Speaker, Transcript, Word

APP = Path(__file__).resolve().parents[2] / "app" / "transcribe" / "web" / "app.py"
ENVIRONMENT = ("TRANSCRIBE_PASSWORD", "TRANSCRIBE_DELETE_AT", "TRANSCRIBE_UI_LANGUAGE",
               "TRANSCRIBE_DEFAULT_MODEL", "TRANSCRIBE_DEVICE", "TRANSCRIBE_MAX_UPLOAD_MB",
               "TRANSCRIBE_BASE_PATH", "TRANSCRIBE_PORT", "TRANSCRIBE_ADDRESS",
               "TRANSCRIBE_DATA_LIMIT_MB",
               # the platform's (web/platform.py, web/release.py)
               "TRANSCRIBE_PRIVACY_NOTICE", "TRANSCRIBE_PROJECT_NAMESPACE",
               "TRANSCRIBE_DEFAULT_LANGUAGE", "SELF_DELETE_PLAN")


def interview() -> Transcript:
    """Two speakers, four segments; "Marie" and "Lyon" recognised with low confidence."""
    def words(start: float, text: str, unsure: tuple[str, ...] = ()) -> list[Word]:
        result = []
        for number, word in enumerate(text.split()):
            probability = 0.2 if word.strip(",.?") in unsure else 0.95
            result.append(Word(start + 0.4 * number, start + 0.4 * number + 0.3, " " + word,
                               probability))
        return result

    lines = [
        (0.0, "SPEAKER_00", "Bonjour Marie, merci d'être là.", ("Marie",)),
        (3.0, "SPEAKER_01", "Avec plaisir, je viens de Lyon.", ("Lyon",)),
        (6.0, "SPEAKER_00", "Parlez-moi de votre travail.", ()),
        (9.0, "SPEAKER_01", "Je suis infirmière depuis dix ans.", ()),
    ]
    segments = [Segment(start, start + 2.5, text, speaker, words(start, text, unsure))
                for start, speaker, text, unsure in lines]
    return Transcript(language="fr", duration=12.0, segments=segments, source="entretien.wav",
                      model="base", engine="whisperx",
                      speakers={"SPEAKER_00": Speaker("SPEAKER_00", "Enquêteur·rice",
                                                      "interviewer"),
                                "SPEAKER_01": Speaker("SPEAKER_01", "Enquêté·e",
                                                      "interviewee")})


def seed_done(store: JobStore, transcript: Transcript | None = None,
              name: str = "entretien.wav", conventions: Conventions | None = None,
              notices: list | None = None) -> Job:
    job = store.create(name, b"RIFF....", PipelineOptions(), conventions)
    store.save_transcript(job, transcript or interview())
    return store.update(job.id, status=DONE, started=time.time() - 30, finished=time.time(),
                        fraction=1.0, notices=notices or [])


def tone_wav(path: Path, seconds: float = 1.0) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency=440:duration={seconds}", "-ar", "16000", str(path)],
                   check=True)
    return path


class FakeRunner:
    """Stands in for the pipeline: one short segment per file, instantly."""

    def __init__(self):
        self.calls: list[tuple[Path, PipelineOptions]] = []

    def __call__(self, path, options, progress, cancelled):
        self.calls.append((path, options))
        progress("decode", 1.0)
        progress("asr", 1.0)
        return Transcript(language=options.asr.language or "fr", duration=1.0,
                          segments=[Segment(0.0, 1.0, "Un test.")], source=path.name)


@contextlib.contextmanager
def live_server(tmp_path: Path, **settings: str) -> Iterator[tuple[str, Path, Path]]:
    """`transcribe-web` in a subprocess on a free localhost port, with its own data folder
    and $HOME and only the app settings given; yields (url, data folder, log file)."""
    data, home = tmp_path / "data", tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {**{k: v for k, v in os.environ.items() if k not in ENVIRONMENT},
           "TRANSCRIBE_DATA_DIR": str(data), "TRANSCRIBE_ADDRESS": "127.0.0.1",
           "HOME": str(home), "XDG_CACHE_HOME": str(tmp_path / "cache"), **settings}
    log_path = tmp_path / "server.log"
    with web_server(env, log_path, timeout=90) as (url, _):
        yield url, data, log_path


BEHIND = "behind the gate"  # what the stand-in for Streamlit answers


@dataclass
class GateServer:
    url: str
    gate: Any  # transcribe.web.gate.Gate
    release: threading.Event  # lets the stand-in answer a "later" websocket message
    received: list[str]  # websocket messages that reached the stand-in
    endings: list[str]  # how its websocket handlers ended ("receive: disconnect 1008")

    def clear(self) -> None:
        self.release.clear()
        self.received.clear()
        self.endings.clear()

    def wait_for_endings(self, count: int, timeout: float = 10) -> list[str]:
        _wait_for(self.endings, count, timeout)
        return sorted(self.endings)

    def wait_for_received(self, count: int, timeout: float = 10) -> list[str]:
        _wait_for(self.received, count, timeout)
        return list(self.received)


def _wait_for(items: list, count: int, timeout: float) -> None:
    """Until `items` (filled by the server's thread) holds `count`, or `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while len(items) < count and time.monotonic() < deadline:
        time.sleep(0.01)


@contextlib.contextmanager
def gate_server(data: Path, env: dict[str, str] | None = None, **gate_options
                ) -> Iterator[GateServer]:
    """The password gate (web/gate.py) as `build_app` mounts it, in front of a stand-in
    for Streamlit that answers every path and echoes on every websocket, served by a real
    uvicorn on a free localhost port in this process (fast to start, and mutation testing
    sees the gate's code run)."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocketDisconnect

    from transcribe.web.gate import Gate
    from transcribe.web.settings import load_settings

    settings = load_settings({"TRANSCRIBE_DATA_DIR": str(data), **(env or {})})
    gate = Gate(settings, **gate_options)
    release = threading.Event()

    async def page(request):
        body = await request.body()  # as an upload reads it
        read = f" ({len(body)} bytes)" if body else ""
        return PlainTextResponse(f"{BEHIND}: {request.method} {request.url.path}{read}")

    received: list[str] = []
    endings: list[str] = []

    async def echo(socket):
        """Echoes each message; "later" is answered aside, once the test sets `release`
        (Streamlit speaks on its own when a script run ends). Records what reached it and
        how each side of the socket ended, as Streamlit would learn it."""
        await socket.accept()
        later = []
        try:
            while True:
                message = await socket.receive_text()
                received.append(message)
                if message == "later":
                    later.append(asyncio.create_task(answer_later(socket)))
                else:
                    await socket.send_text(message)
        except WebSocketDisconnect as ended:
            endings.append(f"receive: disconnect {ended.code}")
        except Exception as error:  # noqa: BLE001 - recorded for the test to see
            endings.append(f"receive: {type(error).__name__}")
        for task in later:
            await task

    async def answer_later(socket):
        await asyncio.to_thread(release.wait, 30)
        try:
            await socket.send_text("later")
        except WebSocketDisconnect as ended:
            endings.append(f"send: disconnect {ended.code}")
        except Exception as error:  # noqa: BLE001
            endings.append(f"send: {type(error).__name__}")

    app = Starlette(routes=[*gate.routes(),
                            Route("/{path:path}", page, methods=["GET", "HEAD", "POST", "PUT",
                                                                 "DELETE"]),
                            WebSocketRoute("/{path:path}", echo)],
                    middleware=[Middleware(gate.middleware)])
    port = free_port()
    # lifespan "on": the start-up message goes through the gate, as in `transcribe-web`.
    # No proxy headers: uvicorn would trust 127.0.0.1's X-Forwarded-For and -Proto itself,
    # as it never does behind the cluster's ingress; the gate reads them.
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on",
                                           proxy_headers=False, log_level="warning"))
    thread = start_in_thread(server, "gate-server", 30)
    try:
        yield GateServer(f"http://127.0.0.1:{port}", gate, release, received, endings)
    finally:
        server.should_exit = True
        thread.join(10)


def start_in_thread(server, name: str, timeout: float) -> threading.Thread:
    """A uvicorn server run on a daemon thread of this process, returned once it listens."""
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start")
        time.sleep(0.01)
    return thread


@contextlib.contextmanager
def app_server(data: Path, **settings: str) -> Iterator[str]:
    """The whole of `transcribe-web` (serve.build_app: the gate, the upload spool,
    Streamlit and its runtime), served by a real uvicorn on a free localhost port in this
    process, with only the app settings given in the environment while it runs; yields
    its URL. What the server runs is then seen by the test's process (mutation testing
    needs that); `live_server` is the same app in a subprocess."""
    import uvicorn
    from streamlit import config
    from streamlit.runtime import Runtime

    from transcribe.web import serve
    from transcribe.web.settings import load_settings

    saved = {name: os.environ.get(name) for name in (*ENVIRONMENT, "TRANSCRIBE_DATA_DIR")}
    for name in ENVIRONMENT:
        os.environ.pop(name, None)
    os.environ.update({"TRANSCRIBE_DATA_DIR": str(data), **settings})
    server = thread = None
    try:
        options = load_settings()
        for name, value in serve.streamlit_options(options).items():
            if name not in ("server.port", "server.address"):
                config.set_option(name, value)
        port = free_port()
        # Stopped within a second: a test's half-sent upload is not waited for.
        server = uvicorn.Server(uvicorn.Config(serve.build_app(options), host="127.0.0.1",
                                               port=port, lifespan="on", log_level="warning",
                                               timeout_graceful_shutdown=1))
        thread = start_in_thread(server, "app-server", 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        if server is not None and thread is not None:
            server.should_exit = True
            thread.join(30)
        Runtime._instance = None  # one runtime per process at a time: the next may start
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
