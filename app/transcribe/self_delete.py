"""Delete a whisper-transcription service once its deadline has passed.

The Helm chart runs this program (console script ``transcribe-self-delete``)
from a CronJob scheduled at the service's deadline. It talks to the Kubernetes
API through kube_api.py (plain HTTPS requests and the pod's service-account
token); only the standard library is used (no kubectl, no client library).
This module holds the deadline and the plan: when to act, what to delete, in
which order, and what to hand over to the Job.

What to delete comes from the chart, in ``SELF_DELETE_PLAN`` (JSON)::

    {"release": "...",
     "delete":   [{"apiVersion": "apps/v1", "resource": "statefulsets",
                   "name": "...", "wait": false}, ...],
     "ownByJob": [{"apiVersion": "v1", "resource": "serviceaccounts",
                   "name": "..."}, ...],
     "last":     {"apiVersion": "batch/v1", "resource": "cronjobs", "name": "..."}}

Order of work:

1. Before the deadline (``TRANSCRIBE_DELETE_AT``) nothing happens: the program
   waits if the deadline is a few minutes away, otherwise it exits.
2. ``delete`` entries are deleted in order: the workload first (its pod is
   awaited, so the GPU is free), then access, data and the Helm release
   record. An object already gone (404) counts as deleted; transient errors
   (429, 5xx, network) are retried.
3. ``ownByJob`` entries (the job's own ServiceAccount, Role, RoleBinding and
   NetworkPolicy) get an ownerReference to the running Job: the job cannot
   delete its RoleBinding and keep working, the garbage collector can.
4. ``last`` (the CronJob) is deleted; the garbage collector then removes the
   Job, this pod and the objects of step 3.

If a step fails, the program stops before step 3 and exits with status 1 so
that the Job retries; the release then stays visible to its owner.

Response bodies are never logged (a deleted Secret comes back with its data),
nor is the token.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .kube_api import (
    SERVICE_ACCOUNT_DIR,
    ApiError,
    KubeClient,
    in_cluster_url,
    object_path,
    read_text,
)

log = logging.getLogger("transcribe.self_delete")


@dataclass
class Settings:
    """Everything the program needs; read from the environment by ``from_env``."""

    api_url: str
    namespace: str
    delete_at: datetime
    plan: dict[str, Any]
    token_file: str = f"{SERVICE_ACCOUNT_DIR}/token"
    ca_file: str | None = f"{SERVICE_ACCOUNT_DIR}/ca.crt"
    job_name: str = ""
    job_uid: str = ""
    # What ownByJob objects are handed to: the running Job, or (the app's "delete the
    # service now", web/release.py) the app's own Pod, deleted with its StatefulSet.
    owner_kind: str = "Job"
    retries: int = 6
    retry_base_seconds: float = 1.0
    request_timeout_seconds: float = 30.0
    wait_seconds: float = 300.0
    poll_seconds: float = 2.0
    max_early_seconds: float = 300.0
    dry_run: bool = False

    @classmethod
    def from_env(cls, env: dict[str, str] | os._Environ[str]) -> Settings:
        raw_plan = env.get("SELF_DELETE_PLAN", "")
        if not raw_plan:
            raise ValueError("SELF_DELETE_PLAN is not set")
        plan = json.loads(raw_plan)
        for key in ("delete", "ownByJob", "last"):
            if key not in plan:
                raise ValueError(f"SELF_DELETE_PLAN has no {key!r} entry")
        raw_deadline = env.get("TRANSCRIBE_DELETE_AT", "")
        if not raw_deadline:
            raise ValueError("TRANSCRIBE_DELETE_AT is not set")

        namespace = env.get("SELF_DELETE_NAMESPACE", "")
        if not namespace:
            namespace = read_text(f"{SERVICE_ACCOUNT_DIR}/namespace")

        token_file = env.get("SELF_DELETE_TOKEN_FILE", f"{SERVICE_ACCOUNT_DIR}/token")
        ca_file = (
            env.get("SELF_DELETE_CA_FILE", f"{SERVICE_ACCOUNT_DIR}/ca.crt") or None
        )

        return cls(
            api_url=env.get("SELF_DELETE_API_URL", "") or in_cluster_url(env),
            namespace=namespace,
            delete_at=parse_deadline(raw_deadline),
            plan=plan,
            token_file=token_file,
            ca_file=ca_file,
            job_name=env.get("SELF_DELETE_JOB_NAME", ""),
            job_uid=env.get("SELF_DELETE_JOB_UID", ""),
            owner_kind=env.get("SELF_DELETE_OWNER_KIND", "") or "Job",
            retries=int(env.get("SELF_DELETE_RETRIES", "6")),
            retry_base_seconds=float(env.get("SELF_DELETE_RETRY_BASE_SECONDS", "1")),
            request_timeout_seconds=float(env.get("SELF_DELETE_TIMEOUT_SECONDS", "30")),
            wait_seconds=float(env.get("SELF_DELETE_WAIT_SECONDS", "300")),
            poll_seconds=float(env.get("SELF_DELETE_POLL_SECONDS", "2")),
            max_early_seconds=float(env.get("SELF_DELETE_MAX_EARLY_SECONDS", "300")),
        )


# The one reading of TRANSCRIBE_DELETE_AT, shared with the web app (web/settings.py): a date,
# a time and, optionally, seconds and a zone (Z or +hh:mm; none means UTC). Nothing looser:
# "07/12/2026 05:00" could be July or December, and a date alone no time at all.
DEADLINE_FORMAT = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:\d{2})?")
DEADLINE_EXAMPLE = "2026-11-26T10:00:00Z"


def parse_deadline(value: str) -> datetime:
    """An ISO-8601 instant such as 2026-11-26T10:00:00Z as an aware UTC datetime; a
    ValueError saying what is expected for anything else."""
    text = value.strip()
    if not DEADLINE_FORMAT.fullmatch(text):
        raise ValueError(f"TRANSCRIBE_DELETE_AT={value!r} is not a date and time such as "
                         f"{DEADLINE_EXAMPLE} (ISO 8601, UTC)")
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:  # the right shape, an impossible date (2026-02-30)
        raise ValueError(f"TRANSCRIBE_DELETE_AT={value!r} is not a valid date and time "
                         f"(expected e.g. {DEADLINE_EXAMPLE})") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def describe(ref: dict[str, Any]) -> str:
    return f"{ref['resource']}/{ref['name']}"


class SelfDeleter:
    def __init__(
        self,
        settings: Settings,
        client: KubeClient,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.client = client
        self._now = now
        self._sleep = sleep
        self._monotonic = monotonic

    def run(self) -> int:
        if not self._deadline_reached():
            return 0
        plan = self.settings.plan
        if self.settings.dry_run:
            for ref in [*plan["delete"], *plan["ownByJob"], plan["last"]]:
                log.info("would touch %s", object_path(self.settings.namespace, ref))
            return 0

        log.info(
            "Deleting release %s in namespace %s",
            plan.get("release", "?"),
            self.settings.namespace,
        )
        failed = [ref for ref in plan["delete"] if not self._delete(ref)]
        if failed:
            log.error(
                "%d object(s) not deleted (%s); stopping so that the job retries",
                len(failed),
                ", ".join(describe(ref) for ref in failed),
            )
            return 1

        if not (self.settings.job_name and self.settings.job_uid):
            return self._finish_without_job()
        if not self._hand_over_to_job():
            return 1
        if not self._delete(plan["last"]):
            return 1
        log.info(
            "Done: the garbage collector now removes this job, its pod and its permissions"
        )
        return 0

    def _deadline_reached(self) -> bool:
        remaining = (self.settings.delete_at - self._now()).total_seconds()
        if remaining <= 0:
            return True
        deadline = self.settings.delete_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        if remaining > self.settings.max_early_seconds:
            log.info(
                "Deadline %s not reached (%.0f s left): nothing to do",
                deadline,
                remaining,
            )
            return False
        log.info("Deadline %s is %.0f s away: waiting", deadline, remaining)
        self._sleep(remaining)
        return True

    def _delete(self, ref: dict[str, Any], propagation: str = "Background") -> bool:
        path = object_path(self.settings.namespace, ref)
        options = {
            "apiVersion": "v1",
            "kind": "DeleteOptions",
            "propagationPolicy": propagation,
        }
        try:
            status = self.client.request("DELETE", path, options)
        except ApiError as error:
            log.error("Could not delete %s: %s", describe(ref), error)
            return False
        log.info(
            "%s %s", "Already gone:" if status == 404 else "Deleted", describe(ref)
        )
        if ref.get("wait") and status != 404:
            self._wait_gone(ref, path)
        return True

    def _wait_gone(self, ref: dict[str, Any], path: str) -> None:
        give_up = self._monotonic() + self.settings.wait_seconds
        while True:
            try:
                if self.client.request("GET", path) == 404:
                    log.info("Gone: %s", describe(ref))
                    return
            except ApiError as error:
                log.warning("Cannot check %s: %s", describe(ref), error)
                return
            if self._monotonic() >= give_up:
                log.warning(
                    "%s still terminating after %.0f s; going on",
                    describe(ref),
                    self.settings.wait_seconds,
                )
                return
            self._sleep(self.settings.poll_seconds)

    def _hand_over_to_job(self) -> bool:
        """Make the job's own objects dependents of its Job (garbage-collected with it)."""
        owner = {
            "apiVersion": "v1" if self.settings.owner_kind == "Pod" else "batch/v1",
            "kind": self.settings.owner_kind,
            "name": self.settings.job_name,
            "uid": self.settings.job_uid,
        }
        patch = {"metadata": {"ownerReferences": [owner]}}
        ok = True
        for ref in self.settings.plan["ownByJob"]:
            try:
                self.client.request(
                    "PATCH",
                    object_path(self.settings.namespace, ref),
                    patch,
                    content_type="application/merge-patch+json",
                )
                log.info(
                    "Handed over to job %s: %s", self.settings.job_name, describe(ref)
                )
            except ApiError as error:
                log.error("Could not hand over %s: %s", describe(ref), error)
                ok = False
        return ok

    def _finish_without_job(self) -> int:
        """No Job identity (e.g. started by hand): delete the rest directly.

        The CronJob goes first with its Job orphaned, so that a pod of that Job
        survives. With the job's own token, the first of RoleBinding, Role and
        ServiceAccount to go ends its rights: the others stay, inert, and are
        reported. With an admin's token (SELF_DELETE_TOKEN_FILE) all go.
        """
        log.warning(
            "Job identity unknown: deleting the deletion job's own objects directly"
        )
        ok = self._delete(self.settings.plan["last"], propagation="Orphan")
        for ref in self.settings.plan["ownByJob"]:
            ok = self._delete(ref) and ok
        return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="transcribe-self-delete",
        description="Delete this transcription service's Kubernetes objects once its deadline "
        "(TRANSCRIBE_DELETE_AT) has passed. Configured by the Helm chart's CronJob.",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="list what would be deleted, change nothing",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    try:
        settings = Settings.from_env(os.environ)
    except (ValueError, OSError) as error:
        log.error("Invalid configuration: %s", error)
        return 2
    settings.dry_run = args.dry_run
    return SelfDeleter(settings, KubeClient(settings)).run()


if __name__ == "__main__":
    sys.exit(main())
