"""What every launcher does, and what it reports about a launch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..i18n import Notice
from .launches import Launch


@dataclass(frozen=True)
class LaunchStatus:
    state: str  # launches.STARTING / WAITING / REFUSED / RUNNING / ENDED
    since: float | None = None  # when this state began, when the launcher knows
    started: float | None = None  # when the worker started (a pod: its start time)
    ended: float | None = None
    # Ended without a clean exit: why, for the user.
    reason: Notice | None = None

    @property
    def held_seconds(self) -> float | None:
        if self.started is None or self.ended is None:
            return None
        return round(max(self.ended - self.started, 0.0), 1)


class Launcher(Protocol):
    kind: str  # "process" or "kubernetes"
    gpu: bool  # its workers hold a GPU (the GPU-seconds shown to the user)

    def launch(self, launch: Launch, token: str, env: dict[str, str]) -> str:
        """Start a worker for `launch` with its token and extra environment; returns a
        handle (process id, Job name) kept in the ledger."""

    def poll(self, launch: Launch) -> LaunchStatus:
        """Where the launch stands now."""

    def stop(self, launch: Launch) -> None:
        """Stop the worker now (cancel, delete everything, a Pending worker not needed)."""

    def recover(self, launches: list[Launch]) -> set[str]:
        """After a restart: the ids of `launches` whose workers still run."""

    def close(self) -> None:
        """The web app is stopping: stop what must not outlive it."""
