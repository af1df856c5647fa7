"""The listening copy: a small MP3 made beside the job while it runs, for playback in the
browser."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path


def listening_copy_command(source: Path, target: Path) -> list[str]:
    """Mono MP3 at 48 kb/s: about 20 MB per hour, light to stream and seek in any browser
    (Safari included), and clear enough for speech."""
    return ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(source), "-map", "0:a:0",
            "-vn", "-ac", "1", "-ar", "22050", "-c:a", "libmp3lame", "-b:a", "48k",
            "-f", "mp3", str(target)]


def start_listening_copy(source: Path, target: Path) -> subprocess.Popen | None:
    if shutil.which("ffmpeg") is None:
        return None
    partial = target.with_name(f".{target.name}.partial")

    def lower_priority() -> None:  # transcription comes first on a busy CPU
        with contextlib.suppress(OSError):
            os.nice(10)

    return subprocess.Popen(listening_copy_command(source, partial), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=lower_priority)


def finish_listening_copy(process: subprocess.Popen | None, target: Path, keep: bool,
                          timeout: float = 600) -> bool:
    if process is None:
        return False
    partial = target.with_name(f".{target.name}.partial")
    try:
        if keep:
            process.wait(timeout=timeout)
        else:
            process.kill()
            process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        keep = False
    if keep and process.returncode == 0 and partial.is_file():
        with contextlib.suppress(OSError):
            partial.replace(target)
            return True
    with contextlib.suppress(OSError):
        partial.unlink()
    return False

