"""Corrections from the review page, each saved to the job's transcript.json at once.

Every edit loads the transcript from disk, applies one function of `transcribe.editing` or
`transcribe.speakers`, and saves it (atomically): what the page shows can be stale (another
tab, a refresh), the file is the truth. Edits that move segments (merge, split, replace)
bump a revision number that the page puts in its widget keys, so that no text box keeps
the text of a segment that has moved.
"""

from __future__ import annotations

from ..conventions import Conventions
from ..editing import edit_text, merge_with_next, replace_all, set_speaker, split
from ..jobs import DONE, JobStore
from ..speakers import rename_speaker, swap_speakers
from ..transcript import Transcript


class StaleEdit(Exception):
    """The segment an edit names is no longer where the page saw it."""


class TranscriptEditor:
    def __init__(self, store: JobStore, job_id: str):
        self.store = store
        self.job_id = job_id

    def job(self):
        job = self.store.get(self.job_id)
        if job is None or job.status != DONE:
            raise KeyError(self.job_id)
        return job

    def load(self) -> Transcript:
        return self.store.load_transcript(self.job())

    def _apply(self, change) -> Transcript:
        with self.store.lock:  # two tabs editing at once: one edit at a time, none lost
            job = self.job()
            transcript = self.store.load_transcript(job)
            change(transcript)
            self.store.save_transcript(job, transcript)
            return transcript

    @staticmethod
    def _check(transcript: Transcript, index: int, start: float | None) -> None:
        if not 0 <= index < len(transcript.segments):
            raise StaleEdit(index)
        if start is not None and abs(transcript.segments[index].start - start) > 1e-3:
            raise StaleEdit(index)

    # -- text ----------------------------------------------------------------------------

    def set_text(self, index: int, text: str, start: float | None = None) -> None:
        def change(transcript: Transcript) -> None:
            self._check(transcript, index, start)
            edit_text(transcript, index, text)

        self._apply(change)

    def merge_with_next(self, index: int, start: float | None = None) -> None:
        def change(transcript: Transcript) -> None:
            self._check(transcript, index, start)
            merge_with_next(transcript, index)

        self._apply(change)

    def split(self, index: int, position: int, start: float | None = None) -> None:
        def change(transcript: Transcript) -> None:
            self._check(transcript, index, start)
            split(transcript, index, position)
            # Time order is what the page and every export rely on; keep it whatever
            # editing.split did (stable: equal starts keep their order).
            transcript.segments.sort(key=lambda segment: segment.start)

        self._apply(change)

    def replace_all(self, find: str, replacement: str, case_sensitive: bool = False) -> int:
        count = 0

        def change(transcript: Transcript) -> None:
            nonlocal count
            count = replace_all(transcript, find, replacement, case_sensitive)

        self._apply(change)
        return count

    # -- speakers ------------------------------------------------------------------------

    def set_speaker(self, indices: list[int], speaker_id: str | None,
                    start: float | None = None) -> None:
        def change(transcript: Transcript) -> None:
            self._check(transcript, indices[0], start)
            for index in indices:
                self._check(transcript, index, None)
                set_speaker(transcript, index, speaker_id)

        self._apply(change)

    def rename_speaker(self, speaker_id: str, name: str) -> None:
        self._apply(lambda transcript: rename_speaker(transcript, speaker_id, name))

    def swap_speakers(self, first: str, second: str) -> None:
        self._apply(lambda transcript: swap_speakers(transcript, first, second))

    # -- conventions and pseudonyms (stored in the job record, used by every export) -------

    def conventions(self) -> Conventions:
        return self.store.conventions(self.job())

    def save_conventions(self, conventions: Conventions) -> None:
        self.store.save_conventions(self.job_id, conventions)

    def set_pseudonyms(self, rows: list[dict]) -> dict[str, str]:
        """Rows from the table (real, pseudonym); blank rows dropped, names trimmed."""
        table: dict[str, str] = {}
        for row in rows:
            real = " ".join(str(row.get("real") or "").split())
            fake = " ".join(str(row.get("pseudonym") or "").split())
            if real and fake:
                table[real] = fake
        with self.store.lock:
            conventions = self.conventions()
            conventions.pseudonyms = table
            self.save_conventions(conventions)
        return table
