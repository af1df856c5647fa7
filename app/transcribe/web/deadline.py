"""The service's deadline, enforced by the server itself (TRANSCRIBE_DELETE_AT).

The chart's CronJob deletes the whole release at the deadline; if it cannot (no route to
the API server, a schedule that never fires), the data must be gone anyway. So at the
deadline this process stops taking work (the gate answers every request but the health
probe with the "service deleted" page), cancels the running job, stops the worker and
empties the data folder; it empties it again every few seconds afterwards, in case a
stopping job wrote one last file. The folder itself stays: it may be a mount point.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from . import documents

log = logging.getLogger("transcribe.web.deadline")

RECHECK = 10.0  # seconds between purges once the deadline has passed
# Seconds a running job gets to stop before its files go anyway: the pipeline checks for
# a cancel between steps, and a decoding step can outlast this; the data must not wait.
STOP_TIMEOUT = 5.0


class Deadline:
    def __init__(self, at: datetime | None, data_dir: Path,
                 clock: Callable[[], float] = time.time):
        self.at = at.timestamp() if at is not None else None
        self.data_dir = Path(data_dir)
        self._clock = clock

    def passed(self) -> bool:
        return self.at is not None and self._clock() >= self.at

    def seconds_left(self) -> float | None:
        return None if self.at is None else self.at - self._clock()

    async def watch(self, on_passed: Callable[[], None] | None = None) -> None:
        """Runs for the server's life: waits for the deadline, then calls `on_passed` (the
        gate closes every websocket) and enforces it."""
        left = self.seconds_left()
        if left is None:
            return
        # Long sleeps are cut in hours: a suspended machine's clock may jump.
        while (left := self.seconds_left() or 0.0) > 0:
            await asyncio.sleep(min(left, 3600.0))
        if on_passed is not None:
            on_passed()
        await asyncio.to_thread(self.enforce)
        while True:
            await asyncio.sleep(RECHECK)
            await asyncio.to_thread(self.purge)

    def enforce(self) -> None:
        log.warning("deadline reached: stopping the work and deleting every file")
        from .state import existing_queue  # Streamlit's runtime is up by now

        queue = existing_queue(str(self.data_dir))
        if queue is not None:
            try:
                queue.delete_all(timeout=STOP_TIMEOUT)  # cancels the running job first
            except OSError:
                log.error("deadline: the jobs could not all be deleted at once; going on")
        self.purge()
        documents.forget()  # nothing of the transcripts stays in memory either
        if queue is not None:
            queue.stop(timeout=STOP_TIMEOUT)  # no job starts again
            self.purge()  # whatever a stopping job wrote meanwhile

    def purge(self) -> int:
        """Remove everything in the data folder; returns how many entries were left."""
        if not self.data_dir.is_dir():
            return 0
        for entry in list(self.data_dir.iterdir()):
            try:
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
            except FileNotFoundError:
                pass
            except OSError as error:  # tried again at the next purge
                log.error("deadline: an entry of the data folder could not be deleted (%s)",
                          type(error).__name__)
        left = sum(1 for _ in self.data_dir.iterdir())
        if left == 0:
            log.info("deadline: the data folder is empty")
        return left
