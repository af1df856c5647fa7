"""A fake Kubernetes API server over real HTTP, for the `kubernetes` launcher's tests: it
answers the REST paths the launcher uses (Jobs, pods, events, the StatefulSet) and plays
the cluster's part for each Job created, as `plan` says:

- "run": the pod is scheduled and its container runs, as a real `transcribe-worker`
  process with the Job's own environment and the Service's link variables (no other
  address given), so a job really goes through the protocol; it ends Succeeded (exit 0),
  or Failed with OOMKilled when killed with SIGKILL (what the kernel's OOM killer does in
  a pod);
- "unschedulable": the pod stays Pending (PodScheduled False, Unschedulable: no GPU
  free) until `schedule(name)`;
- "quota": no pod; a FailedCreate event on the Job (the namespace's GPU quota).

Every request is recorded (method, path, query, body). Deleting a Job with Background
propagation deletes its pod (and stops its process); any other propagation leaves the
pod, as the API server does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeKubernetes:
    def __init__(self, namespace: str, statefulset: str, service_port: int, scratch: Path):
        self.namespace = namespace
        app = {"app.kubernetes.io/name": "whisper-transcription",
               "app.kubernetes.io/instance": statefulset}
        self.statefulset = {"apiVersion": "apps/v1", "kind": "StatefulSet",
                            "metadata": {"name": statefulset, "namespace": namespace,
                                         "uid": str(uuid.uuid4())},
                            "spec": {"serviceName": statefulset,
                                     "selector": {"matchLabels": app},
                                     "template": {"metadata": {"labels": app}, "spec": {
                                         "containers": [{"name": "app", "image": "img"}]}}}}
        self.service_port = service_port
        self.scratch = scratch
        self.plan = "run"
        self.jobs: dict[str, dict[str, Any]] = {}
        self.pods: dict[str, dict[str, Any]] = {}  # by Job name
        self.events: list[dict[str, Any]] = []
        self.processes: dict[str, subprocess.Popen] = {}
        self.requests: list[tuple[str, str, dict[str, list[str]], Any]] = []
        self.lock = threading.RLock()
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        # A short poll: shutdown() (each test's teardown) waits for at most this long.
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
        self.server.shutdown()
        self.server.server_close()

    def created(self) -> list[dict[str, Any]]:
        return [body for method, path, _, body in self.requests
                if method == "POST" and path.endswith("/jobs")]

    def deletions(self) -> list[tuple[str, dict[str, list[str]], Any]]:
        return [(path.rsplit("/", 1)[1], query, body) for method, path, query, body
                in self.requests if method == "DELETE"]

    # -- the cluster's part --------------------------------------------------------------

    def _create(self, body: dict[str, Any]) -> dict[str, Any]:
        name = body["metadata"]["name"]
        job = json.loads(json.dumps(body))
        job["metadata"].update(uid=str(uuid.uuid4()), creationTimestamp=now_iso(),
                               namespace=self.namespace)
        job["status"] = {}
        self.jobs[name] = job
        if self.plan == "quota":
            self.events.append(event("Job", name, "FailedCreate", (
                f'Error creating: pods "{name}-x" is forbidden: exceeded quota: gpu, '
                "requested: requests.nvidia.com/gpu=1, used: requests.nvidia.com/gpu=1, "
                "limited: requests.nvidia.com/gpu=1"), self.namespace))
        elif self.plan == "unschedulable":
            self.pods[name] = self._pod(job, {"phase": "Pending", "conditions": [{
                "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                "message": "0/3 nodes are available: 3 Insufficient nvidia.com/gpu.",
                "lastTransitionTime": now_iso()}]})
        else:
            self.schedule(name)
        return job

    def _pod(self, job: dict[str, Any], status: dict[str, Any]) -> dict[str, Any]:
        template = job["spec"]["template"]
        return {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": f"{job['metadata']['name']}-x1", "uid": str(uuid.uuid4()),
                             "namespace": self.namespace, "creationTimestamp": now_iso(),
                             "labels": dict(template["metadata"]["labels"])},
                "spec": template["spec"], "status": status}

    def schedule(self, name: str) -> None:
        """A GPU is free: the pod runs its container (a real worker process)."""
        with self.lock:
            job = self.jobs[name]
            container = job["spec"]["template"]["spec"]["containers"][0]
            env = {e["name"]: e["value"] for e in container.get("env", [])}
            service = env["TRANSCRIBE_WORKER_SERVICE"].upper().replace("-", "_")
            scratch = self.scratch / name
            scratch.mkdir(parents=True, exist_ok=True)
            env.update({f"{service}_SERVICE_HOST": "127.0.0.1",
                        f"{service}_SERVICE_PORT": str(self.service_port),
                        "TMPDIR": str(scratch), "PATH": os.environ["PATH"],
                        "TRANSCRIBE_DEVICE": "cpu",  # no GPU here
                        "TRANSCRIBE_MODELS_DIR": os.environ.get("TRANSCRIBE_MODELS_DIR", ""),
                        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
                        "HOME": str(scratch)})
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "transcribe.workers.worker"], env=env,
                stdin=subprocess.DEVNULL)
            self.pods[name] = self._pod(job, {"phase": "Running", "startTime": now_iso(),
                                              "conditions": [{"type": "PodScheduled",
                                                              "status": "True"}]})

    def worker_pid(self, name: str) -> int:
        return self.processes[name].pid

    def _refresh(self) -> None:
        """Pods whose process ended are Succeeded or Failed, as a kubelet reports."""
        for name, process in self.processes.items():
            pod = self.pods.get(name)
            code = process.poll()
            if pod is None or code is None or pod["status"]["phase"] != "Running":
                continue
            oom = code == -9
            terminated = {"exitCode": 137 if oom else code, "finishedAt": now_iso(),
                          "startedAt": pod["status"]["startTime"],
                          "reason": "OOMKilled" if oom else ("Completed" if code == 0
                                                              else "Error")}
            pod["status"].update(phase="Succeeded" if code == 0 else "Failed",
                                 containerStatuses=[{
                                     "name": "worker", "image": "img", "imageID": "img",
                                     "ready": False, "restartCount": 0,
                                     "state": {"terminated": terminated}}])
            self.jobs[name]["status"]["conditions"] = [{
                "type": "Complete" if code == 0 else "Failed", "status": "True"}]

    def _delete(self, name: str, propagation: str | None) -> bool:
        if name not in self.jobs:
            return False
        del self.jobs[name]
        if propagation in ("Background", "Foreground"):
            self.pods.pop(name, None)
            process = self.processes.get(name)
            if process is not None and process.poll() is None:
                process.terminate()
        return True


def event(kind: str, name: str, reason: str, message: str, namespace: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{name}.{uuid.uuid4().hex[:8]}", "namespace": namespace},
            "involvedObject": {"kind": kind, "name": name, "namespace": namespace},
            "reason": reason, "message": message, "type": "Warning",
            "firstTimestamp": now_iso(), "lastTimestamp": now_iso(), "count": 1}


def matches(labels: dict[str, str], selector: str) -> bool:
    wanted = dict(part.split("=", 1) for part in selector.split(",") if part)
    return all(labels.get(k) == v for k, v in wanted.items())


class _Handler(BaseHTTPRequestHandler):
    fake: FakeKubernetes
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes: without this, the body waits for the client's
    # delayed acknowledgement of the headers (about 40 ms a request).
    disable_nagle_algorithm = True

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _not_found(self, what: str) -> None:
        self._answer(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                           "reason": "NotFound", "code": 404, "message": f"{what} not found"})

    def _handle(self, method: str) -> None:
        fake = self.fake
        parsed = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(parsed.query)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        parts = parsed.path.strip("/").split("/")
        with fake.lock:
            fake.requests.append((method, parsed.path, query, body))
            fake._refresh()
            at = parts.index("namespaces") if "namespaces" in parts else len(parts)
            if parts[at + 1:at + 2] != [fake.namespace]:  # the Role is the namespace's
                return self._answer(403, {"kind": "Status", "apiVersion": "v1", "code": 403,
                                          "status": "Failure", "reason": "Forbidden",
                                          "message": "forbidden: another namespace"})
            resource = parts[at + 2:]
            if parts[:3] == ["apis", "apps", "v1"] and resource[0] == "statefulsets":
                if resource[1:] == [fake.statefulset["metadata"]["name"]] and method == "GET":
                    return self._answer(200, fake.statefulset)
                return self._not_found("statefulset")
            if parts[:3] == ["apis", "batch", "v1"] and resource[0] == "jobs":
                if len(resource) == 1 and method == "POST":
                    return self._answer(201, fake._create(body))
                if len(resource) == 1 and method == "GET":
                    selector = query.get("labelSelector", [""])[0]
                    items = [j for j in fake.jobs.values()
                             if matches(j["metadata"].get("labels", {}), selector)]
                    return self._answer(200, {"apiVersion": "batch/v1", "kind": "JobList",
                                              "metadata": {}, "items": items})
                name = resource[1]
                if method == "GET":
                    return (self._answer(200, fake.jobs[name]) if name in fake.jobs
                            else self._not_found("job"))
                if method == "DELETE":
                    propagation = (query.get("propagationPolicy", [None])[0]
                                   or (body or {}).get("propagationPolicy"))
                    if fake._delete(name, propagation):
                        return self._answer(200, {"kind": "Status", "status": "Success"})
                    return self._not_found("job")
            if parts[:2] == ["api", "v1"] and resource == ["pods"] and method == "GET":
                selector = query.get("labelSelector", [""])[0]
                items = [p for p in fake.pods.values()
                         if matches(p["metadata"]["labels"], selector)]
                return self._answer(200, {"apiVersion": "v1", "kind": "PodList",
                                          "metadata": {}, "items": items})
            if parts[:2] == ["api", "v1"] and resource == ["events"] and method == "GET":
                field = query.get("fieldSelector", [""])[0]
                wanted = field.split("=", 1)[1] if field.startswith("involvedObject.name=") \
                    else None
                items = [e for e in fake.events
                         if wanted is None or e["involvedObject"]["name"] == wanted]
                return self._answer(200, {"apiVersion": "v1", "kind": "EventList",
                                          "metadata": {}, "items": items})
        return self._not_found("path")

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")


def wait_until(predicate, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
    return value
