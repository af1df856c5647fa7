"""The disk under the data folder: how much it may still take (the disk's free space, and
the volume's own size limit), and files written whole or not at all.

On Onyxia the data folder is an emptyDir with a `sizeLimit`: past it the kubelet evicts
the pod and every result is lost, although the node's disk (what `shutil.disk_usage`
sees) may still have room. The chart passes that limit as `TRANSCRIBE_DATA_LIMIT_MB`;
free space is the smaller of the disk's free space and the limit less what the data
folder already holds.
"""

from __future__ import annotations

import errno
import os
import shutil
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

LIMIT_ENV = "TRANSCRIBE_DATA_LIMIT_MB"
MB = 1024 * 1024
# Kept free beyond an upload: the job's listening copy (about 20 MB per hour), its
# transcript and its record must still fit once the upload is in.
MARGIN = 64 * MB
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def data_limit(env: Mapping[str, str] | None = None) -> int | None:
    """TRANSCRIBE_DATA_LIMIT_MB in bytes; None when unset or not a positive number."""
    value = (os.environ if env is None else env).get(LIMIT_ENV, "")
    try:
        megabytes = float(str(value).strip())
    except ValueError:
        return None
    return int(megabytes * MB) if megabytes > 0 else None


def used_bytes(folder: Path) -> int:
    """Bytes the files under `folder` take on disk (allocated blocks, as the kubelet
    counts them; sparse files count what they really use)."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                stat = os.lstat(os.path.join(root, name))
            except OSError:  # removed while we walk
                continue
            total += stat.st_blocks * 512
    return total


def free_bytes(folder: Path, limit: int | None = None) -> int:
    """What the data folder may still take, never below zero."""
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if limit is not None:
        free = min(free, limit - used_bytes(folder))
    return max(free, 0)


def fits(folder: Path, size: int, limit: int | None = None, reserved: int = 0) -> bool:
    """Whether `size` more bytes (plus the margin, plus what others have reserved) fit."""
    return free_bytes(folder, limit) >= size + reserved + MARGIN


def disk_full(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in DISK_FULL


def write_atomically(path: str | Path, content: bytes | str | Callable[[Path], object]) -> Path:
    """Write `path` whole or not at all: into a temporary file beside it (one per process
    and thread), renamed over it once complete. A crash or a full disk leaves the file as
    it was (or absent), never half written, and the temporary file is removed. `content`:
    bytes, text (written as UTF-8), or a function writing the file at the path it is given
    (torch.save)."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        if isinstance(content, bytes):
            temporary.write_bytes(content)
        elif isinstance(content, str):
            temporary.write_text(content, encoding="utf-8")
        else:
            content(temporary)
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path
