"""The web app's settings, from the environment the Helm chart (or `make run`) sets."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..languages import ui_language
from ..options import device_setting
from ..self_delete import parse_deadline
from ..workers.config import WorkerConfig

DEFAULT_PORT = 8501
DEFAULT_MAX_UPLOAD_MB = 2048
LOCAL_ADDRESS = "127.0.0.1"


def url_prefix(base_path: str) -> str:
    """What the app's URL paths start with: "" at the root, "/sub/path" under a base path."""
    return f"/{base_path}" if base_path else ""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    password: str | None  # None: no login (a local `make run`)
    delete_at: datetime | None  # when the service deletes itself (UTC), if it does
    ui_language: str  # default interface language: fr or en
    default_model: str | None  # Whisper model to preselect, when on disk
    device: str  # one of options.DEVICES
    max_upload_mb: int
    port: int
    base_path: str  # URL path the app is served under, "" for the root
    address: str | None  # None: every interface (IPv4 and IPv6)
    # An ingress (or route) the chart declares in front: its X-Forwarded-* headers are
    # believed (the client's address, the page's host); otherwise anyone could send them.
    behind_proxy: bool = False
    launcher: str = "process"  # how transcription workers start (workers/config.py)

    @property
    def url_prefix(self) -> str:
        return url_prefix(self.base_path)

    @property
    def deployed(self) -> bool:
        """Deployed by the chart (on Onyxia), which always sets a deadline
        (TRANSCRIBE_DELETE_AT); a local run has none."""
        return self.delete_at is not None


class SettingsError(ValueError):
    """A setting the app must not start with (what is wrong, for the administrator)."""


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    password = env.get("TRANSCRIBE_PASSWORD") or None
    return Settings(
        data_dir=Path(env.get("TRANSCRIBE_DATA_DIR") or "data").resolve(),
        password=password,
        delete_at=deadline_setting(env.get("TRANSCRIBE_DELETE_AT")),
        ui_language=ui_language(env.get("TRANSCRIBE_UI_LANGUAGE")),
        default_model=(env.get("TRANSCRIBE_DEFAULT_MODEL") or "").strip() or None,
        device=device_setting(env.get("TRANSCRIBE_DEVICE")),
        max_upload_mb=_positive_int(env.get("TRANSCRIBE_MAX_UPLOAD_MB"), DEFAULT_MAX_UPLOAD_MB),
        port=_positive_int(env.get("TRANSCRIBE_PORT"), DEFAULT_PORT),
        base_path=(env.get("TRANSCRIBE_BASE_PATH") or "/").strip().strip("/"),
        address=bind_address(env.get("TRANSCRIBE_ADDRESS"), password),
        behind_proxy=(env.get("TRANSCRIBE_BEHIND_PROXY") or "").strip().lower()
        in ("1", "true", "yes"),
        launcher=WorkerConfig.from_env(env).launcher,
    )


def bind_address(configured: str | None, password: str | None) -> str | None:
    """TRANSCRIBE_ADDRESS when set. Otherwise: with a password (the chart always sets one)
    listen on every interface, as a pod must; without one (a local `make run`) listen on
    this machine only, so that interview audio is not open to the whole network."""
    if configured and configured.strip():
        return configured.strip()
    return None if password else LOCAL_ADDRESS


def deadline_setting(value: str | None) -> datetime | None:
    """TRANSCRIBE_DELETE_AT: None when unset. A value that cannot be read stops the app
    (SettingsError): a service whose deadline is unknown would keep the data past it."""
    if not value or not value.strip():
        return None
    try:
        return parse_deadline(value)
    except ValueError as error:
        raise SettingsError(str(error)) from None


def _positive_int(value: str | None, default: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default
