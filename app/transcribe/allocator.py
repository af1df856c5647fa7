"""glibc's memory allocator, tuned for Whisper on a CPU.

Whisper's encoder makes buffers of tens of megabytes at every layer (the attention scores of
one 30 s window: 72 MB with the base model). By default glibc maps each one fresh from the
kernel and unmaps it on release, so every layer page-faults its buffers in again: measured
on 2 cores, 12 % of faster-whisper's time went to the kernel. One arena, no per-buffer
mappings and a high trim threshold keep those buffers in the heap for reuse
(faster-whisper about 12 % faster, openai-whisper 5 %; `make bench`). The price is memory
the process keeps after a peak: `release_memory()` hands it back after each job.

Set once, when the package is imported, before any thread allocates (an arena limit only
counts from then on). An administrator's own malloc settings (MALLOC_* variables, malloc
tunables in GLIBC_TUNABLES, another allocator in LD_PRELOAD) win. One arena was measured
on 2 cores only; with many workers it is one lock for all their allocations.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
from functools import cache

M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
M_ARENA_MAX = -8
TRIM_THRESHOLD = 256 * 1024 * 1024  # above a large model's attention buffers

_OWN_SETTINGS = ("MALLOC_ARENA_MAX", "MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_",
                 "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_ARENA_TEST")


def administrator_decides() -> bool:
    """The environment already tunes malloc, or replaces it (tcmalloc, jemalloc...)."""
    return (any(os.environ.get(name) for name in _OWN_SETTINGS)
            or "malloc" in os.environ.get("GLIBC_TUNABLES", "")
            or "malloc" in os.environ.get("LD_PRELOAD", ""))


@cache
def _glibc():
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def keep_large_buffers() -> bool:
    """Tune the allocator; False where it is not glibc or the environment already says how."""
    libc = _glibc()
    if libc is None or administrator_decides():
        return False
    return all(libc.mallopt(option, value) == 1 for option, value in (
        (M_ARENA_MAX, 1), (M_MMAP_MAX, 0), (M_TRIM_THRESHOLD, TRIM_THRESHOLD)))


def release_memory() -> None:
    """Give the heap's free memory back to the system (after a job)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
