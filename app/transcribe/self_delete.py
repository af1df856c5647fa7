"""Delete a whisper-transcription service once its deadline has passed.

The Helm chart runs this program (console script ``transcribe-self-delete``)
from a CronJob scheduled at the service's deadline. It talks to the Kubernetes
API with plain HTTPS requests and the pod's service-account token; only the
standard library is used (no kubectl, no client library).

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
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

log = logging.getLogger("transcribe.self_delete")


class ApiError(Exception):
    """A request that failed for good (after retries, or not retryable)."""

    def __init__(self, method: str, path: str, status: int, reason: str) -> None:
        super().__init__(f"{method} {path}: {status or 'no answer'} {reason}".strip())
        self.status = status


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
            namespace = _read_text(f"{SERVICE_ACCOUNT_DIR}/namespace")

        token_file = env.get("SELF_DELETE_TOKEN_FILE", f"{SERVICE_ACCOUNT_DIR}/token")
        ca_file = (
            env.get("SELF_DELETE_CA_FILE", f"{SERVICE_ACCOUNT_DIR}/ca.crt") or None
        )

        return cls(
            api_url=env.get("SELF_DELETE_API_URL", "") or _in_cluster_url(env),
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


def _read_text(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read().strip()


def _in_cluster_url(env: dict[str, str] | os._Environ[str]) -> str:
    host = env.get("KUBERNETES_SERVICE_HOST", "")
    port = env.get("KUBERNETES_SERVICE_PORT", "443")
    if not host:
        return "https://kubernetes.default.svc"
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"https://{host}:{port}"


def object_path(namespace: str, ref: dict[str, Any]) -> str:
    """API path of a namespaced object, e.g. /apis/apps/v1/namespaces/ns/statefulsets/x."""
    api_version = ref["apiVersion"]
    prefix = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    return (
        f"{prefix}/namespaces/{urllib.parse.quote(namespace, safe='')}"
        f"/{ref['resource']}/{urllib.parse.quote(ref['name'], safe='')}"
    )


def describe(ref: dict[str, Any]) -> str:
    return f"{ref['resource']}/{ref['name']}"


class KubeClient:
    """Minimal Kubernetes REST client: one request, retried when transient."""

    def __init__(
        self, settings: Settings, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._settings = settings
        self._sleep = sleep
        handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
        if settings.api_url.startswith("https://"):
            context = ssl.create_default_context(cafile=settings.ca_file)
            handlers.append(urllib.request.HTTPSHandler(context=context))
        self._opener = urllib.request.build_opener(*handlers)

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        content_type: str = "application/json",
    ) -> int:
        """Send a request; return its HTTP status (2xx or 404), raise ApiError otherwise."""
        attempts = max(1, self._settings.retries)
        status, reason = 0, ""
        for attempt in range(1, attempts + 1):
            delay = self._settings.retry_base_seconds * 2 ** (attempt - 1)
            try:
                return self._send(method, path, body, content_type)
            except urllib.error.HTTPError as error:
                status, reason = error.code, _status_reason(error)
                if status not in TRANSIENT_STATUSES:
                    raise ApiError(method, path, status, reason) from None
                retry_after = (
                    error.headers.get("Retry-After", "") if error.headers else ""
                )
                if retry_after.isdigit():
                    delay = min(float(retry_after), 30.0)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                status, reason = 0, type(error).__name__
            if attempt < attempts:
                log.warning(
                    "%s %s failed (%s %s), retry %d/%d in %.1f s",
                    method,
                    path,
                    status or "no answer",
                    reason,
                    attempt,
                    attempts - 1,
                    delay,
                )
                self._sleep(delay)
        raise ApiError(method, path, status, reason)

    def _send(
        self, method: str, path: str, body: dict[str, Any] | None, content_type: str
    ) -> int:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self._settings.api_url.rstrip("/") + path, data=data, method=method
        )
        request.add_header(
            "Authorization", "Bearer " + _read_text(self._settings.token_file)
        )
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", content_type)
        try:
            with self._opener.open(
                request, timeout=self._settings.request_timeout_seconds
            ) as response:
                response.read()  # drained, never logged: it may hold a Secret's data
                return int(response.status)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                error.read()
                return 404
            raise


def _status_reason(error: urllib.error.HTTPError) -> str:
    """Short, safe description of an API error: the Status object's reason and message."""
    try:
        payload = json.loads(error.read() or b"{}")
    except (ValueError, OSError):
        return str(error.reason or "")
    if not isinstance(payload, dict) or payload.get("kind") != "Status":
        return str(error.reason or "")
    message = str(payload.get("message", ""))[:200]
    return f"{payload.get('reason', '')}: {message}".strip(": ")


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
