"""The `kubernetes` launcher: each worker is a Job made from the chart's template (a
complete batch/v1 manifest, TRANSCRIBE_WORKER_JOB_TEMPLATE) with this launch's parts: its
name, the label `transcribe/launch`, an ownerReference to the service's StatefulSet (so
uninstalling, or the 24-hour deletion, removes it) and the token. Through the official
`kubernetes` client, within the chart's Role: Jobs (create, get, list, delete), pods and
events (read), the one StatefulSet (get).

What a pod's status says, for the page: Pending and Unschedulable (no GPU free) is
"waiting"; no pod and a FailedCreate event (the namespace's quota) is "refused"; Running;
Succeeded; Failed, OOMKilled or killed, with a reason. GPU-seconds held: the pod's start
time to its container's end. Cancel deletes the Job with Background propagation (its pod
goes too). After a restart, Jobs are found again by the template's labels.
"""

from __future__ import annotations

import copy
import logging
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from ..i18n import Notice
from .config import WorkerConfig
from .launcher import LaunchStatus
from .launches import ENDED, REFUSED, RUNNING, STARTING, WAITING, Launch

log = logging.getLogger("transcribe.workers")

LAUNCH_LABEL = "transcribe/launch"
# What finds this release's workers again: the template's labels of these names.
RECOVERY_LABELS = ("app.kubernetes.io/instance", "app.kubernetes.io/component")
SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
BACKGROUND = "Background"
# Seconds between two looks at one launch (three API calls each): the page refreshes
# every 2 s, the API server is shared.
POLL_EVERY = 2.0


class KubernetesLauncher:
    kind = "kubernetes"

    def __init__(self, config: WorkerConfig):
        from kubernetes import client
        from kubernetes import config as kube_config

        if config.kubernetes_api:
            configuration = client.Configuration()
            configuration.host = config.kubernetes_api.rstrip("/")
        else:
            kube_config.load_incluster_config()
            configuration = client.Configuration.get_default_copy()
        self.api = client.ApiClient(configuration)
        self.batch = client.BatchV1Api(self.api)
        self.core = client.CoreV1Api(self.api)
        self.apps = client.AppsV1Api(self.api)
        self.errors = client.ApiException
        self.namespace = config.namespace or SERVICE_ACCOUNT_NAMESPACE.read_text().strip()
        self.owner = config.owner_statefulset
        self.template = yaml.safe_load(Path(config.job_template).read_text(encoding="utf-8"))
        self.gpu = holds_gpu(self.template)
        labels = (self.template.get("metadata") or {}).get("labels") or {}
        chosen = {k: v for k, v in labels.items() if k in RECOVERY_LABELS} or labels
        self.selector = ",".join(f"{k}={v}" for k, v in sorted(chosen.items()))
        self._owner_uid: str | None = None
        self._seen: dict[str, tuple[float, LaunchStatus]] = {}  # launch id -> last look

    # -- the Job -------------------------------------------------------------------------

    def job_name(self, launch: Launch) -> str:
        metadata = self.template.get("metadata") or {}
        prefix = metadata.get("generateName") or f"{metadata.get('name') or 'worker'}-"
        return f"{prefix[:63 - len(launch.id)]}{launch.id}"

    def owner_reference(self) -> dict[str, Any] | None:
        if not self.owner:
            return None
        if self._owner_uid is None:
            owner = self.apps.read_namespaced_stateful_set(self.owner, self.namespace)
            self._owner_uid = owner.metadata.uid
        # No blockOwnerDeletion: it needs rights on the owner's finalizers.
        return {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": self.owner,
                "uid": self._owner_uid, "controller": False}

    def job_body(self, launch: Launch, token: str, env: dict[str, str]) -> dict[str, Any]:
        body = copy.deepcopy(self.template)
        metadata = body.setdefault("metadata", {})
        metadata.pop("generateName", None)
        metadata["name"] = self.job_name(launch)
        metadata["namespace"] = self.namespace
        metadata.setdefault("labels", {})[LAUNCH_LABEL] = launch.id
        if (owner := self.owner_reference()) is not None:
            metadata["ownerReferences"] = [owner]
        spec = body.setdefault("spec", {})
        spec["parallelism"] = 1  # one pod per launch; launches run side by side
        pod = spec.setdefault("template", {})
        pod.setdefault("metadata", {}).setdefault("labels", {})[LAUNCH_LABEL] = launch.id
        for container in pod.get("spec", {}).get("containers", [])[:1]:
            extra = {**env, "TRANSCRIBE_WORKER_TOKEN": token}
            kept = [e for e in container.get("env") or [] if e.get("name") not in extra]
            container["env"] = kept + [{"name": k, "value": v} for k, v in extra.items()]
        return body

    # -- the launcher --------------------------------------------------------------------

    def launch(self, launch: Launch, token: str, env: dict[str, str]) -> str:
        body = self.job_body(launch, token, env)
        self.batch.create_namespaced_job(self.namespace, body)
        log.info("worker %s: Job created", launch.id)
        return body["metadata"]["name"]

    def poll(self, launch: Launch) -> LaunchStatus:
        seen = self._seen.get(launch.id)
        if seen is not None and time.monotonic() - seen[0] < POLL_EVERY:
            return seen[1]
        status = self._look(launch)
        self._seen[launch.id] = (time.monotonic(), status)
        return status

    def _look(self, launch: Launch) -> LaunchStatus:
        name = launch.handle or self.job_name(launch)
        try:
            job = self.batch.read_namespaced_job(name, self.namespace)
        except self.errors as error:
            if error.status != 404:
                raise
            # Deleted (a cancel, the TTL, someone): what it held ends now at the latest.
            return LaunchStatus(ENDED, started=launch.started, ended=time.time(),
                                reason=Notice("worker.lost"))
        pods = self.core.list_namespaced_pod(
            self.namespace, label_selector=f"{LAUNCH_LABEL}={launch.id}").items
        if not pods:
            if _job_finished(job):
                return LaunchStatus(ENDED, started=launch.started, ended=time.time(),
                                    reason=Notice("worker.lost"))
            events = self.core.list_namespaced_event(
                self.namespace, field_selector=f"involvedObject.name={name}").items
            if any(e.reason == "FailedCreate" for e in events):
                return LaunchStatus(REFUSED, since=launch.created)
            return LaunchStatus(STARTING, since=launch.created)
        pod = max(pods, key=lambda p: _seconds(p.metadata.creation_timestamp) or 0.0)
        return pod_status(pod, launch)

    def stop(self, launch: Launch) -> None:
        self._seen.pop(launch.id, None)  # look again at once
        name = launch.handle or self.job_name(launch)
        try:
            self.batch.delete_namespaced_job(name, self.namespace,
                                             propagation_policy=BACKGROUND)
        except self.errors as error:
            if error.status != 404:
                raise
        log.info("worker %s: Job deleted", launch.id)

    def recover(self, launches: list[Launch]) -> set[str]:
        known = {launch.id: launch for launch in launches}
        found = set()
        jobs = self.batch.list_namespaced_job(self.namespace, label_selector=self.selector)
        for job in jobs.items:
            launch_id = (job.metadata.labels or {}).get(LAUNCH_LABEL)
            if launch_id in known:
                found.add(launch_id)
            elif not _job_finished(job):
                # Its token is unknown (the data folder was emptied): it can do nothing.
                log.info("worker Job of an unknown launch: deleted")
                self.batch.delete_namespaced_job(job.metadata.name, self.namespace,
                                                 propagation_policy=BACKGROUND)
        return found

    def close(self) -> None:
        """Workers go on while the web app restarts; they are found again."""
        self.api.close()


def pod_status(pod: Any, launch: Launch) -> LaunchStatus:
    status = pod.status
    started = _seconds(status.start_time)
    phase = status.phase
    if phase == "Pending":
        for condition in status.conditions or []:
            if condition.type == "PodScheduled" and condition.status == "False" \
                    and condition.reason == "Unschedulable":
                return LaunchStatus(WAITING, since=_seconds(condition.last_transition_time)
                                    or launch.created)
        # Scheduled: the image is pulled, the container starts; the GPU is held already.
        return LaunchStatus(STARTING, since=started, started=started)
    if phase == "Running":
        return LaunchStatus(RUNNING, since=started, started=started)
    terminated = None
    for container in status.container_statuses or []:
        if container.state and container.state.terminated:
            terminated = container.state.terminated
    ended = _seconds(terminated.finished_at) if terminated else None
    ended = ended or time.time()
    if phase == "Succeeded":
        return LaunchStatus(ENDED, started=started, ended=ended)
    return LaunchStatus(ENDED, started=started, ended=ended, reason=failure_reason(
        terminated, status.reason))


def failure_reason(terminated: Any, pod_reason: str | None) -> Notice:
    if terminated is not None and terminated.reason == "OOMKilled":
        return Notice("worker.out_of_memory")
    if terminated is not None and terminated.exit_code == 137:
        return Notice("worker.killed")
    if terminated is not None:
        return Notice("worker.crashed", {"code": terminated.exit_code})
    return Notice("worker.lost") if pod_reason != "OOMKilled" \
        else Notice("worker.out_of_memory")


def holds_gpu(template: dict[str, Any]) -> bool:
    """The template's containers ask for a GPU (the GPU-seconds the page shows)."""
    spec = ((template.get("spec") or {}).get("template") or {}).get("spec") or {}
    for container in spec.get("containers") or []:
        resources = container.get("resources") or {}
        for kind in ("limits", "requests"):
            if any("gpu" in name for name in (resources.get(kind) or {})):
                return True
    return False


def _job_finished(job: Any) -> bool:
    return any(c.type in ("Complete", "Failed") and c.status == "True"
               for c in (job.status.conditions or [] if job.status else []))


def _seconds(value: datetime | str | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.timestamp()
