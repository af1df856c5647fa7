"""The allocator keeps large buffers for reuse once the package is imported, and gives the
memory back on demand. Each case runs in a fresh interpreter: the settings are per process
and must come before any thread allocates."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")

# A worker thread fills and frees a 100 MB buffer (Whisper's attention scores are this
# size) five times; the parent reads the page faults and the resident memory.
PROBE = """
import ctypes, json, resource, threading
import transcribe
from transcribe.allocator import release_memory
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
SIZE = 100 * 1024 * 1024

def rss_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20

def cycles():
    for _ in range(5):
        buffer = libc.malloc(SIZE)
        ctypes.memset(buffer, 1, SIZE)
        libc.free(buffer)

worker = threading.Thread(target=cycles)
worker.start(); worker.join()  # the first cycle faults the pages in, whatever the tuning
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
worker = threading.Thread(target=cycles)
worker.start(); worker.join()
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
kept = rss_mb()
release_memory()
print(json.dumps({"faults": faults, "kept_mb": kept, "released_mb": rss_mb()}))
"""


def probe(**environment: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.pop("LD_PRELOAD", None)
    done = subprocess.run([sys.executable, "-c", PROBE], env={**env, **environment},
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_large_buffers_are_reused_not_faulted_in_again():
    tuned = probe()
    untuned = probe(MALLOC_ARENA_MAX="8")  # an administrator's setting: hands off
    pages = 100 * 1024 * 1024 // 4096
    assert untuned["faults"] >= 5 * pages * 0.9  # every cycle maps its buffer afresh
    assert tuned["faults"] < pages * 0.1


def test_memory_is_given_back_after_a_job():
    result = probe()
    assert result["kept_mb"] - result["released_mb"] >= 80
