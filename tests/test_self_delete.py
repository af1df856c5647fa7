"""transcribe-self-delete against a test double of the Kubernetes API.

The double is a local HTTP server that keeps a set of existing objects,
records every request and can answer with scripted errors. One test feeds
it the plan and the Role rendered by the Helm chart, so that the program and
the chart are checked together.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"  # the package that the console script runs
CHART = ROOT / "charts" / "whisper-transcription"

TOKEN = "tok-3b1e-DO-NOT-LOG"
SECRET_SENTINEL = "c2VjcmV0LWRhdGEtbXVzdC1ub3QtbGVhaw=="  # body of deleted Secrets
NS = "user-jdoe"
JOB = {
    "name": "whisper-self-delete-29441250",
    "uid": "6f0c3a52-1f7e-4c1e-9a43-0d8e5f0b1c2d",
}


# The package's modules (what mutation testing changes): the deadline and the plan, and the
# Kubernetes API client; that they run as the real program is shown by
# test_console_entry_point_output.
sd = importlib.import_module("transcribe.self_delete")
kube = importlib.import_module("transcribe.kube_api")


# --------------------------------------------------------------------------- the double


class FakeKubeApi:
    """Namespaced objects addressed by API path; answers like the API server."""

    def __init__(self) -> None:
        self.objects: set[str] = set()
        self.calls: list[dict[str, Any]] = []
        self.script: dict[tuple[str, str], list[int]] = {}  # (method, path) -> statuses
        self.forbidden: set[str] = set()
        self.raw: dict[tuple[str, str], tuple] = {}  # one answer, as given
        self.retry_after = "0"  # what a 429 asks to wait
        # pod path -> GETs that still answer 200 (the pod is terminating)
        self.terminating_polls: dict[str, int] = {}
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.02},
            daemon=True,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def add(self, *refs: dict[str, Any]) -> None:
        for ref in refs:
            self.objects.add(sd.object_path(NS, ref))

    def requests(self, method: str | None = None) -> list[tuple[str, str]]:
        return [
            (c["method"], c["path"])
            for c in self.calls
            if method in (None, c["method"])
        ]

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            # Headers and body leave in two writes: without this, the body can wait for
            # the client's delayed acknowledgement of the headers.
            disable_nagle_algorithm = True

            def log_message(self, *args):  # keep test output quiet
                pass

            def _answer(
                self, status: int, payload: dict[str, Any], headers=None
            ) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _status(
                self, code: int, reason: str, message: str, headers=None
            ) -> None:
                self._answer(
                    code,
                    {
                        "kind": "Status",
                        "apiVersion": "v1",
                        "status": "Failure",
                        "reason": reason,
                        "message": message,
                        "code": code,
                    },
                    headers,
                )

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                path = self.path
                with api.lock:
                    api.calls.append(
                        {
                            "method": self.command,
                            "path": path,
                            "body": body,
                            "auth": self.headers.get("Authorization"),
                            "content_type": self.headers.get("Content-Type"),
                            "accept": self.headers.get("Accept"),
                            # as sent: http.server folds a leading "//" into "/"
                            "target": self.requestline.split()[1],
                            "length": length,
                        }
                    )
                    scripted = api.script.get((self.command, path))
                    status = scripted.pop(0) if scripted else None
                    raw = api.raw.pop((self.command, path), None)
                if raw is not None:  # an error answer as given: (status, body[, reason])
                    self.send_response(raw[0], *raw[2:])
                    self.send_header("Content-Length", str(len(raw[1])))
                    self.end_headers()
                    return self.wfile.write(raw[1])
                if status == 429:
                    return self._status(
                        429, "TooManyRequests", "slow down", {"Retry-After": api.retry_after}
                    )
                if status is not None:
                    return self._status(status, "InternalError", "try again")
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self._status(401, "Unauthorized", "bad token")
                if path in api.forbidden:
                    return self._status(
                        403, "Forbidden", f"cannot {self.command} {path}"
                    )
                name = path.rsplit("/", 1)[-1]
                with api.lock:
                    exists = path in api.objects
                    if self.command == "GET":
                        polls = api.terminating_polls.get(path, 0)
                        if not exists and polls > 0:
                            api.terminating_polls[path] = polls - 1
                            return self._answer(
                                200, {"kind": "Pod", "metadata": {"name": name}}
                            )
                    if not exists:
                        return self._status(404, "NotFound", f"{name} not found")
                    if self.command == "DELETE":
                        api.objects.discard(path)
                # A deleted Secret comes back whole: the client must not log it.
                return self._answer(
                    200,
                    {"metadata": {"name": name}, "data": {"password": SECRET_SENTINEL}},
                )

            do_GET = do_DELETE = do_PATCH = _handle

        return Handler

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------- fixtures


def ref(api_version: str, resource: str, name: str, **extra) -> dict[str, Any]:
    return {"apiVersion": api_version, "resource": resource, "name": name, **extra}


def sample_plan(release: str = "whisper-transcription-42") -> dict[str, Any]:
    self_name = f"{release}-self-delete"
    return {
        "release": release,
        "delete": [
            ref("apps/v1", "statefulsets", release),
            ref("v1", "pods", f"{release}-0", wait=True),
            ref("networking.k8s.io/v1", "ingresses", release),
            ref("v1", "services", release),
            ref("networking.k8s.io/v1", "networkpolicies", f"{release}-ingress"),
            ref("networking.k8s.io/v1", "networkpolicies", f"{release}-egress"),
            ref("v1", "secrets", release),
            ref("v1", "configmaps", f"{release}-deadline"),
            *[
                ref("v1", "secrets", f"sh.helm.release.v1.{release}.v{n}")
                for n in range(1, 4)
            ],
        ],
        "ownByJob": [
            ref("networking.k8s.io/v1", "networkpolicies", self_name),
            ref("rbac.authorization.k8s.io/v1", "rolebindings", self_name),
            ref("rbac.authorization.k8s.io/v1", "roles", self_name),
            ref("v1", "serviceaccounts", self_name),
        ],
        "last": ref("batch/v1", "cronjobs", self_name),
    }


@pytest.fixture
def api():
    with FakeKubeApi() as fake:
        yield fake


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    return path


def make_env(
    api: FakeKubeApi, token_file: Path, plan: dict, delete_at: datetime, **extra
) -> dict:
    env = {
        "SELF_DELETE_API_URL": api.url,
        "SELF_DELETE_TOKEN_FILE": str(token_file),
        "SELF_DELETE_CA_FILE": "",
        "SELF_DELETE_NAMESPACE": NS,
        "SELF_DELETE_PLAN": json.dumps(plan),
        "TRANSCRIBE_DELETE_AT": delete_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "SELF_DELETE_JOB_NAME": JOB["name"],
        "SELF_DELETE_JOB_UID": JOB["uid"],
        "SELF_DELETE_RETRY_BASE_SECONDS": "0.01",
        "SELF_DELETE_POLL_SECONDS": "0.01",
        "SELF_DELETE_WAIT_SECONDS": "5",
    }
    env.update({key: str(value) for key, value in extra.items()})
    return env


def run_main(monkeypatch, env: dict, *argv: str) -> int:
    for key in list(os.environ):
        if key.startswith(("SELF_DELETE_", "TRANSCRIBE_", "KUBERNETES_")):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return sd.main(list(argv))


PAST = datetime.now(UTC) - timedelta(minutes=1)


def everything(plan: dict) -> list[dict]:
    return [*plan["delete"], *plan["ownByJob"], plan["last"]]


# --------------------------------------------------------------------------- tests


def test_deletes_everything_in_order(api, token_file, monkeypatch):
    plan = sample_plan()
    api.add(*everything(plan))
    pod = sd.object_path(NS, plan["delete"][1])
    api.terminating_polls[pod] = 2  # the pod takes a moment to terminate

    assert run_main(monkeypatch, make_env(api, token_file, plan, PAST)) == 0

    deletes = [path for method, path in api.requests("DELETE")]
    assert deletes == [sd.object_path(NS, r) for r in [*plan["delete"], plan["last"]]]
    # The workload goes first and its pod is awaited: the GPU is free before the rest.
    calls = api.requests()
    assert calls[0] == ("DELETE", sd.object_path(NS, plan["delete"][0]))
    assert calls[1] == ("DELETE", pod)
    assert calls[2:5] == [("GET", pod)] * 3
    # The job's own objects are handed over to its Job, then the CronJob goes, last.
    patches = [c for c in api.calls if c["method"] == "PATCH"]
    assert [c["path"] for c in patches] == [
        sd.object_path(NS, r) for r in plan["ownByJob"]
    ]
    for call in patches:
        assert call["content_type"] == "application/merge-patch+json"
        assert call["body"] == {
            "metadata": {
                "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", **JOB}]
            }
        }
    assert calls[-1] == ("DELETE", sd.object_path(NS, plan["last"]))
    # Left to the garbage collector:
    assert api.objects == {sd.object_path(NS, r) for r in plan["ownByJob"]}
    for call in api.calls:
        assert call["auth"] == f"Bearer {TOKEN}"
        if call["method"] == "DELETE":
            assert call["body"]["propagationPolicy"] == "Background"


def test_tolerates_objects_already_gone(api, token_file, monkeypatch, caplog):
    plan = sample_plan()
    api.add(*everything(plan))
    # The ingress and the Helm secrets of revisions 2 and 3 are already gone.
    gone = [plan["delete"][2], plan["delete"][9], plan["delete"][10]]
    for r in gone:
        api.objects.discard(sd.object_path(NS, r))

    with caplog.at_level(logging.INFO):
        assert run_main(monkeypatch, make_env(api, token_file, plan, PAST)) == 0
    assert "Already gone: ingresses/whisper-transcription-42" in caplog.text
    assert api.requests()[-1] == ("DELETE", sd.object_path(NS, plan["last"]))


def test_rerun_after_success_is_harmless(api, token_file, monkeypatch):
    plan = sample_plan()
    api.add(*everything(plan))
    env = make_env(api, token_file, plan, PAST)
    assert run_main(monkeypatch, env) == 0
    api.objects.clear()  # the garbage collector did its part
    api.calls.clear()
    assert run_main(monkeypatch, env) == 0  # every answer is now a 404: still fine
    assert api.requests()[-1] == ("DELETE", sd.object_path(NS, plan["last"]))


def test_retries_transient_errors(api, token_file, monkeypatch):
    plan = sample_plan()
    api.add(*everything(plan))
    service = sd.object_path(NS, plan["delete"][3])
    helm_secret = sd.object_path(NS, plan["delete"][8])
    api.script[("DELETE", service)] = [503, 500, 502]
    api.script[("DELETE", helm_secret)] = [429]

    assert run_main(monkeypatch, make_env(api, token_file, plan, PAST)) == 0
    assert api.requests().count(("DELETE", service)) == 4
    assert api.requests().count(("DELETE", helm_secret)) == 2
    assert service not in api.objects and helm_secret not in api.objects


def test_retries_when_the_api_server_is_unreachable(token_file, monkeypatch, caplog):
    plan = sample_plan()
    with FakeKubeApi() as api:
        url = api.url
    env = make_env(api, token_file, plan, PAST, SELF_DELETE_RETRIES=3)
    env["SELF_DELETE_API_URL"] = url  # nothing listens there any more
    with caplog.at_level(logging.WARNING):
        assert run_main(monkeypatch, env) == 1
    assert caplog.text.count("retry") >= 2


def test_permanent_error_keeps_the_job_for_a_retry(
    api, token_file, monkeypatch, caplog
):
    plan = sample_plan()
    api.add(*everything(plan))
    blocked = sd.object_path(NS, plan["delete"][6])  # the password secret
    api.forbidden.add(blocked)

    with caplog.at_level(logging.INFO):
        assert run_main(monkeypatch, make_env(api, token_file, plan, PAST)) == 1
    # Every other object was still deleted, but nothing of the job itself.
    assert api.objects == {blocked} | {
        sd.object_path(NS, r) for r in [*plan["ownByJob"], plan["last"]]
    }
    assert not api.requests("PATCH")
    assert (
        "secrets/whisper-transcription-42" in caplog.text and "Forbidden" in caplog.text
    )


def test_gives_up_after_too_many_transient_errors(api, token_file, monkeypatch):
    plan = sample_plan()
    api.add(*everything(plan))
    service = sd.object_path(NS, plan["delete"][3])
    api.script[("DELETE", service)] = [503] * 10
    env = make_env(api, token_file, plan, PAST, SELF_DELETE_RETRIES=4)
    assert run_main(monkeypatch, env) == 1
    assert api.requests().count(("DELETE", service)) == 4
    assert ("DELETE", sd.object_path(NS, plan["last"])) not in api.requests()


def test_does_nothing_before_the_deadline(api, token_file, monkeypatch, caplog):
    plan = sample_plan()
    api.add(*everything(plan))
    later = datetime.now(UTC) + timedelta(hours=2)
    with caplog.at_level(logging.INFO):
        assert run_main(monkeypatch, make_env(api, token_file, plan, later)) == 0
    assert api.calls == []
    assert "not reached" in caplog.text


def test_waits_for_a_deadline_a_few_seconds_away(api, token_file):
    plan = sample_plan()
    api.add(*everything(plan))
    clock = {"now": datetime(2026, 11, 26, 9, 59, 58, tzinfo=UTC)}
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock["now"] += timedelta(seconds=seconds)

    settings = sd.Settings.from_env(
        make_env(api, token_file, plan, datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    )
    client = kube.KubeClient(settings)
    deleter = sd.SelfDeleter(settings, client, now=lambda: clock["now"], sleep=sleep)
    assert deleter.run() == 0
    assert slept[0] == pytest.approx(2.0)
    assert api.requests()[0][0] == "DELETE"


def test_never_logs_secrets(api, token_file, monkeypatch, caplog):
    plan = sample_plan()
    api.add(*everything(plan))
    api.script[("DELETE", sd.object_path(NS, plan["delete"][6]))] = [503]
    with caplog.at_level(logging.DEBUG):
        assert run_main(monkeypatch, make_env(api, token_file, plan, PAST)) == 0
    assert caplog.text  # it did log its work...
    assert TOKEN not in caplog.text  # ...but not the token
    assert SECRET_SENTINEL not in caplog.text  # nor the deleted secrets' data


def test_console_entry_point_output(api, token_file):
    """The real process: exit status and stderr, with no secret in its output."""
    plan = sample_plan()
    api.add(*everything(plan))
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SELF_DELETE_")
    }
    env.update(make_env(api, token_file, plan, PAST), PYTHONPATH=str(APP))
    done = subprocess.run(
        [sys.executable, "-m", "transcribe.self_delete"],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Deleted statefulsets/whisper-transcription-42" in done.stderr
    assert TOKEN not in done.stderr + done.stdout
    assert SECRET_SENTINEL not in done.stderr + done.stdout


def test_dry_run_changes_nothing(api, token_file, monkeypatch, caplog):
    plan = sample_plan()
    api.add(*everything(plan))
    with caplog.at_level(logging.INFO):
        assert (
            run_main(monkeypatch, make_env(api, token_file, plan, PAST), "--dry-run")
            == 0
        )
    assert api.calls == []
    assert (
        "would touch /apis/apps/v1/namespaces/user-jdoe/statefulsets/whisper-transcription-42"
        in caplog.text
    )


def test_without_job_identity_deletes_its_own_objects_directly(
    api, token_file, monkeypatch
):
    plan = sample_plan()
    api.add(*everything(plan))
    env = make_env(
        api, token_file, plan, PAST, SELF_DELETE_JOB_NAME="", SELF_DELETE_JOB_UID=""
    )
    assert run_main(monkeypatch, env) == 0
    assert api.objects == set()
    deletes = api.calls[-5:]
    assert deletes[0]["path"] == sd.object_path(NS, plan["last"])
    assert deletes[0]["body"]["propagationPolicy"] == "Orphan"  # keep this pod alive
    assert [d["path"] for d in deletes[1:]] == [
        sd.object_path(NS, r) for r in plan["ownByJob"]
    ]


def test_invalid_configuration_is_reported(monkeypatch, caplog):
    assert run_main(monkeypatch, {"TRANSCRIBE_DELETE_AT": "2026-11-26T10:00:00Z"}) == 2
    assert "SELF_DELETE_PLAN" in caplog.text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-26T10:00:00Z", datetime(2026, 11, 26, 10, 0, tzinfo=UTC)),
        ("2026-11-26T11:00:00+01:00", datetime(2026, 11, 26, 10, 0, tzinfo=UTC)),
        ("2026-11-26T10:00:00", datetime(2026, 11, 26, 10, 0, tzinfo=UTC)),
    ],
)
def test_parse_deadline(value, expected):
    assert sd.parse_deadline(value) == expected


@pytest.mark.parametrize("value", ["07/12/2026 05:00", "2026-12-07", "2026-12-07 05:00",
                                   "2026-02-30T10:00:00Z", "2026-W49-1T05:00", "20261207T0500",
                                   "2026-12-07T05:00:00 UTC", ""])
def test_a_deadline_is_read_strictly(value):
    """One rule for the CronJob and the web app (which shares this function): a date, a
    time and an optional zone, nothing looser; the error says what is expected."""
    with pytest.raises(ValueError, match="2026-11-26T10:00:00Z"):
        sd.parse_deadline(value)


def test_api_paths_and_in_cluster_url():
    assert sd.object_path("ns", ref("v1", "secrets", "sh.helm.release.v1.r.v1")) == (
        "/api/v1/namespaces/ns/secrets/sh.helm.release.v1.r.v1"
    )
    assert (
        sd.object_path("ns", ref("batch/v1", "cronjobs", "c"))
        == "/apis/batch/v1/namespaces/ns/cronjobs/c"
    )
    env = {"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"}
    assert kube.in_cluster_url(env) == "https://[fd00::1]:443"
    assert kube.in_cluster_url({}) == "https://kubernetes.default.svc"


# --------------------------------------------------------------------------- with the chart


def _rendered_chart(extra: dict | None = None) -> list[dict]:
    helm = pytest.importorskip("helm_python")
    values = {
        "security": {"password": "s3cret-pass"},
        "ingress": {"enabled": True, "hostname": "user-jdoe-123456-0.lab.example.org"},
        **(extra or {}),
    }
    with helm.Chart.load(CHART) as chart:
        manifests = chart.render(values, name="whisper-transcription-42", namespace=NS)
    docs = []
    for name, text in manifests.items():
        if name.endswith(".yaml"):
            docs.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return docs


def _plural(kind: str) -> str:
    return {"NetworkPolicy": "networkpolicies", "Ingress": "ingresses"}.get(
        kind, kind.lower() + "s"
    )


def _allowed(role: dict, method: str, path: str) -> bool:
    verb = {"DELETE": "delete", "PATCH": "patch", "GET": "get"}[method]
    parts = path.strip("/").split("/")
    group = "" if parts[0] == "api" else parts[1]
    resource, name = parts[-2], parts[-1]
    return any(
        group in rule["apiGroups"]
        and resource in rule["resources"]
        and name in rule.get("resourceNames", [])
        and verb in rule["verbs"]
        for rule in role["rules"]
    )


# Each GPU mode, with and without the app's delete button and network policies: the
# objects each renders differ (GPU workers: a Role, a Service, policies, a ConfigMap).
CHART_VARIANTS = {
    "gpu-while-transcribing": {},
    "gpu-whole-service": {"gpu": {"mode": "whole-service"}},
    "cpu-only": {"gpu": {"enabled": False}},
    "delete-button": {"autoDelete": {"fromApp": True}},
    "open-network": {"security": {"password": "s3cret-pass",
                                  "networkPolicy": {"enabled": False}, "denyEgress": False}},
}


@pytest.mark.helm
@pytest.mark.parametrize("variant", sorted(CHART_VARIANTS))
def test_chart_plan_removes_every_object_the_chart_creates(
    api, token_file, monkeypatch, variant
):
    docs = _rendered_chart(CHART_VARIANTS[variant])
    cronjob = next(d for d in docs if d["kind"] == "CronJob")
    role = next(d for d in docs if d["kind"] == "Role"
                and d["metadata"]["name"].endswith("-self-delete"))
    container = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"][
        "containers"
    ][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    plan = json.loads(env["SELF_DELETE_PLAN"])

    def path_of(doc: dict) -> str:
        return sd.object_path(
            NS,
            {
                "apiVersion": doc["apiVersion"],
                "resource": _plural(doc["kind"]),
                "name": doc["metadata"]["name"],
            },
        )

    created = {path_of(doc) for doc in docs}
    pod = sd.object_path(NS, ref("v1", "pods", "whisper-transcription-42-0"))
    helm_secret = sd.object_path(
        NS, ref("v1", "secrets", "sh.helm.release.v1.whisper-transcription-42.v1")
    )
    api.objects |= created | {pod, helm_secret}

    assert run_main(monkeypatch, make_env(api, token_file, plan, PAST)) == 0

    patched = {path for method, path in api.requests("PATCH")}
    # Everything is deleted, except what the garbage collector removes with the Job:
    # the deletion job's own permissions and policy.
    assert api.objects == patched
    assert patched == {
        path_of(d)
        for d in docs
        if d["metadata"]["name"].endswith("-self-delete") and d["kind"] != "CronJob"
    }
    # The GPU first, the CronJob (hence this job) last.
    assert api.requests()[0] == (
        "DELETE",
        sd.object_path(NS, ref("apps/v1", "statefulsets", "whisper-transcription-42")),
    )
    assert api.requests()[-1] == ("DELETE", path_of(cronjob))
    # Every request the program made is allowed by the chart's Role, by name.
    for method, path in api.requests():
        assert _allowed(role, method, path), (method, path)


def test_the_in_cluster_url_takes_the_services_port():
    assert kube.in_cluster_url({"KUBERNETES_SERVICE_HOST": "10.0.0.1"}) == "https://10.0.0.1:443"
    assert kube.in_cluster_url({"KUBERNETES_SERVICE_HOST": "10.0.0.1",
                                "KUBERNETES_SERVICE_PORT": "6443"}) == "https://10.0.0.1:6443"


def test_without_job_identity_a_refused_object_is_reported_and_retried(
    api, token_file, monkeypatch, caplog
):
    plan = sample_plan()
    api.add(*everything(plan))
    role = sd.object_path(NS, plan["ownByJob"][2])
    api.forbidden.add(role)
    env = make_env(
        api, token_file, plan, PAST, SELF_DELETE_JOB_NAME="", SELF_DELETE_JOB_UID=""
    )
    with caplog.at_level(logging.INFO):
        assert run_main(monkeypatch, env) == 1  # the job runs again
    assert api.objects == {role}  # every other object went
    assert (
        "Job identity unknown: deleting the deletion job's own objects directly"
        in caplog.messages
    )


def client_for(api: FakeKubeApi, token_file: Path, **settings: Any):
    """A KubeClient whose waits are recorded, not slept."""
    env = make_env(api, token_file, sample_plan(), PAST, **settings)
    slept: list[float] = []
    return kube.KubeClient(sd.Settings.from_env(env), sleep=slept.append), slept


def test_retries_wait_longer_each_time_or_as_the_server_asks(api, token_file, caplog):
    path = "/api/v1/namespaces/user-jdoe/secrets/x"
    api.objects.add(path)
    client, slept = client_for(api, token_file, SELF_DELETE_RETRY_BASE_SECONDS="1",
                               SELF_DELETE_RETRIES="4")
    api.script[("DELETE", path)] = [503, 503, 503]
    with caplog.at_level(logging.WARNING):
        assert client.request("DELETE", path) == 200
    assert slept == [1.0, 2.0, 4.0]
    assert caplog.messages[0] == (
        f"DELETE {path} failed (503 InternalError: try again), retry 1/3 in 1.0 s")
    api.objects.add(path)
    api.script[("DELETE", path)] = [429]  # Retry-After: 0
    slept.clear()
    assert client.request("DELETE", path) == 200 and slept == [0.0]
    one, slept = client_for(api, token_file, SELF_DELETE_RETRIES="1")
    api.script[("DELETE", path)] = [503, 503]
    with pytest.raises(kube.ApiError) as failed:
        one.request("DELETE", path)
    assert str(failed.value) == f"DELETE {path}: 503 InternalError: try again"
    assert failed.value.status == 503 and slept == []  # one attempt, no wait


def test_an_unreachable_server_is_no_answer(token_file):
    with FakeKubeApi() as gone:
        pass  # nothing listens there any more
    client, slept = client_for(gone, token_file, SELF_DELETE_RETRIES="2")
    with pytest.raises(kube.ApiError) as failed:
        client.request("GET", "/api/v1/namespaces/ns/pods/p")
    assert str(failed.value) == "GET /api/v1/namespaces/ns/pods/p: no answer URLError"
    assert failed.value.status == 0 and len(slept) == 1


def test_a_permanent_refusal_is_logged_with_the_servers_reason(api, token_file, monkeypatch,
                                                                caplog):
    plan = sample_plan()
    api.add(*everything(plan))
    secret = plan["delete"][6]
    path = sd.object_path(NS, secret)
    api.forbidden.add(path)
    with caplog.at_level(logging.INFO):
        assert run_main(monkeypatch, make_env(api, token_file, plan, PAST)) == 1
    assert (f"Could not delete secrets/whisper-transcription-42: DELETE {path}: 403 "
            f"Forbidden: cannot DELETE {path}") in caplog.messages


def test_a_pod_still_terminating_is_waited_for_a_while_then_left(api, token_file, caplog):
    plan = sample_plan()
    plan["delete"] = [plan["delete"][1]]  # the pod, awaited
    api.add(*everything(plan))
    pod = sd.object_path(NS, plan["delete"][0])
    api.terminating_polls[pod] = 100  # it never goes, within this test
    clock = {"t": 0.0}

    def sleep(seconds: float) -> None:
        clock["t"] += seconds

    settings = sd.Settings.from_env(make_env(api, token_file, plan, PAST,
                                             SELF_DELETE_WAIT_SECONDS="5",
                                             SELF_DELETE_POLL_SECONDS="2.5"))
    deleter = sd.SelfDeleter(settings, kube.KubeClient(settings), sleep=sleep,
                             monotonic=lambda: clock["t"])
    with caplog.at_level(logging.INFO):
        assert deleter.run() == 0
    assert api.requests("GET") == [("GET", pod)] * 3  # at 0, 2.5 and 5 s: then it goes on
    assert "pods/whisper-transcription-42-0 still terminating after 5 s; going on" in \
        caplog.messages
    api.terminating_polls[pod] = 0
    api.add(plan["delete"][0])
    with caplog.at_level(logging.INFO):
        assert deleter.run() == 0
    assert "Gone: pods/whisper-transcription-42-0" in caplog.messages
    api.add(plan["delete"][0])
    api.forbidden.add(pod)
    api.script[("DELETE", pod)] = [200]
    caplog.clear()
    with caplog.at_level(logging.INFO):
        deleter.run()
    assert any(m.startswith("Cannot check pods/whisper-transcription-42-0: GET ")
               for m in caplog.messages)


def test_a_refused_hand_over_is_logged_and_the_job_retried(api, token_file, monkeypatch,
                                                            caplog):
    plan = sample_plan()
    api.add(*everything(plan))
    role = sd.object_path(NS, plan["ownByJob"][2])
    api.forbidden.add(role)
    with caplog.at_level(logging.INFO):
        assert run_main(monkeypatch, make_env(api, token_file, plan, PAST)) == 1
    assert sd.object_path(NS, plan["last"]) in api.objects  # the CronJob stays: it retries
    assert f"Handed over to job {JOB['name']}: serviceaccounts/whisper-transcription-42-" \
        "self-delete" in caplog.messages
    assert any(m.startswith("Could not hand over roles/whisper-transcription-42-self-delete: "
                            f"PATCH {role}: 403") for m in caplog.messages)


def test_each_deletion_says_what_it_is_and_a_half_known_job_is_no_job(
    api, token_file, monkeypatch
):
    plan = sample_plan()
    api.add(*everything(plan))
    env = make_env(api, token_file, plan, PAST, SELF_DELETE_JOB_UID="")
    assert run_main(monkeypatch, env) == 0
    for call in api.requests("DELETE"):
        body = next(c["body"] for c in api.calls if (c["method"], c["path"]) == call)
        assert (body["apiVersion"], body["kind"]) == ("v1", "DeleteOptions")
    # A job name without its uid cannot own anything: the objects are deleted directly.
    assert not api.requests("PATCH") and api.objects == set()


def test_a_cronjob_that_cannot_be_deleted_fails_the_run(api, token_file, monkeypatch):
    plan = sample_plan()
    api.add(*everything(plan))
    api.forbidden.add(sd.object_path(NS, plan["last"]))
    assert run_main(monkeypatch, make_env(api, token_file, plan, PAST)) == 1


# ------------------------------------------------------- each setting read from its variable


def test_each_setting_is_read_from_its_own_variable(tmp_path):
    """Every variable has a value of its own, so that one read under another name (or
    another case) or not read at all shows."""
    plan = sample_plan()
    env = {
        "SELF_DELETE_PLAN": json.dumps(plan),
        "TRANSCRIBE_DELETE_AT": "2026-11-26T10:00:00Z",
        "SELF_DELETE_NAMESPACE": "ns-from-env",
        "SELF_DELETE_TOKEN_FILE": str(tmp_path / "token"),
        "SELF_DELETE_CA_FILE": str(tmp_path / "ca.pem"),
        "SELF_DELETE_API_URL": "https://api.example:6443",
        "KUBERNETES_SERVICE_HOST": "10.9.9.9",  # the explicit URL wins
        "SELF_DELETE_JOB_NAME": "job-n",
        "SELF_DELETE_JOB_UID": "uid-u",
        "SELF_DELETE_OWNER_KIND": "Pod",
        "SELF_DELETE_RETRIES": "3",
        "SELF_DELETE_RETRY_BASE_SECONDS": "0.5",
        "SELF_DELETE_TIMEOUT_SECONDS": "7",
        "SELF_DELETE_WAIT_SECONDS": "11",
        "SELF_DELETE_POLL_SECONDS": "0.25",
        "SELF_DELETE_MAX_EARLY_SECONDS": "13",
    }
    assert sd.Settings.from_env(env) == sd.Settings(
        api_url="https://api.example:6443", namespace="ns-from-env",
        delete_at=datetime(2026, 11, 26, 10, 0, tzinfo=UTC), plan=plan,
        token_file=str(tmp_path / "token"), ca_file=str(tmp_path / "ca.pem"),
        job_name="job-n", job_uid="uid-u", owner_kind="Pod", retries=3,
        retry_base_seconds=0.5, request_timeout_seconds=7.0, wait_seconds=11.0,
        poll_seconds=0.25, max_early_seconds=13.0)


def test_unset_settings_take_the_in_cluster_defaults(tmp_path, monkeypatch):
    """Only the plan and the deadline set: the namespace, token and CA come from the pod's
    service account, the API from the cluster's service variables, and each number its
    documented default."""
    (tmp_path / "namespace").write_text("ns-of-the-pod\n")
    monkeypatch.setattr(sd, "SERVICE_ACCOUNT_DIR", str(tmp_path))
    plan = sample_plan()
    env = {"SELF_DELETE_PLAN": json.dumps(plan), "TRANSCRIBE_DELETE_AT": "2026-11-26T10:00",
           "KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "6443"}
    assert sd.Settings.from_env(env) == sd.Settings(
        api_url="https://10.0.0.1:6443", namespace="ns-of-the-pod",
        delete_at=datetime(2026, 11, 26, 10, 0, tzinfo=UTC), plan=plan,
        token_file=f"{tmp_path}/token", ca_file=f"{tmp_path}/ca.crt", job_name="",
        job_uid="", owner_kind="Job", retries=6, retry_base_seconds=1.0,
        request_timeout_seconds=30.0, wait_seconds=300.0, poll_seconds=2.0,
        max_early_seconds=300.0)
    # Set but empty: no CA file (plain HTTP, or the system's CAs), the owner a Job, the
    # namespace the pod's, the API the in-cluster one.
    env |= {"SELF_DELETE_CA_FILE": "", "SELF_DELETE_OWNER_KIND": "", "SELF_DELETE_API_URL": "",
            "SELF_DELETE_NAMESPACE": ""}
    settings = sd.Settings.from_env(env)
    assert (settings.ca_file, settings.owner_kind, settings.namespace, settings.api_url) == (
        None, "Job", "ns-of-the-pod", "https://10.0.0.1:6443")


@pytest.mark.parametrize(("missing", "message"), [
    ("SELF_DELETE_PLAN", "SELF_DELETE_PLAN is not set"),
    ("TRANSCRIBE_DELETE_AT", "TRANSCRIBE_DELETE_AT is not set"),
])
def test_a_missing_variable_is_named(missing, message):
    env = {"SELF_DELETE_PLAN": json.dumps(sample_plan()),
           "TRANSCRIBE_DELETE_AT": "2026-11-26T10:00:00Z", "SELF_DELETE_NAMESPACE": NS}
    for value in (None, ""):
        if value is None:
            env.pop(missing)
        else:
            env[missing] = value
        with pytest.raises(ValueError) as refused:
            sd.Settings.from_env(env)
        assert str(refused.value) == message


def test_a_deadline_in_lower_case_z_and_without_zone_is_utc(monkeypatch):
    """'z' as well as 'Z'; no zone means UTC whatever the machine's time zone."""
    assert sd.parse_deadline("2026-11-26T10:00:00z") == datetime(2026, 11, 26, 10, tzinfo=UTC)
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        parsed = sd.parse_deadline("2026-11-26T10:00:00")
        assert parsed == datetime(2026, 11, 26, 10, tzinfo=UTC) and parsed.tzinfo is UTC
        assert sd.parse_deadline("2026-11-26T11:00:00+01:00").tzinfo is UTC
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_name_with_a_slash_stays_one_path_segment():
    assert sd.object_path("a/b", ref("v1", "secrets", "x/y?z")) == (
        "/api/v1/namespaces/a%2Fb/secrets/x%2Fy%3Fz")


# ------------------------------------------------------------------- what goes over the wire


def test_requests_say_what_they_accept_and_send(api, token_file):
    """JSON accepted; a body only with a request that has one, with its media type; an API
    URL that ends with a slash gives no double slash."""
    path = "/api/v1/namespaces/user-jdoe/pods/p"
    api.objects.add(path)
    client, _ = client_for(api, token_file, SELF_DELETE_API_URL=api.url + "/")
    assert client.request("GET", path) == 200
    assert client.request("PATCH", path, {"a": 1}, content_type="application/x-test") == 200
    get, patch = api.calls
    assert (get["target"], get["accept"], get["length"], get["content_type"]) == (
        path, "application/json", 0, None)
    assert (patch["path"], patch["accept"], patch["body"], patch["content_type"]) == (
        path, "application/json", {"a": 1}, "application/x-test")
    client.request("DELETE", path, {"kind": "DeleteOptions"})
    assert api.calls[-1]["content_type"] == "application/json"


def test_no_proxy_of_the_environment_is_used(api, token_file, monkeypatch):
    """The API server is reached directly, whatever proxy the pod's environment names."""
    with FakeKubeApi() as gone:
        pass  # a proxy that does not answer
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.setenv(name, gone.url)
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    path = "/api/v1/namespaces/user-jdoe/pods/p"
    api.objects.add(path)
    client, _ = client_for(api, token_file, SELF_DELETE_RETRIES="1")
    assert client.request("GET", path) == 200


def test_a_server_that_never_answers_is_given_up_after_the_timeout(token_file):
    """A connection accepted but never answered: the request ends after its timeout."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)
    try:
        env = make_env(FakeKubeApi(), token_file, sample_plan(), PAST,
                       SELF_DELETE_API_URL=f"http://127.0.0.1:{silent.getsockname()[1]}",
                       SELF_DELETE_TIMEOUT_SECONDS="0.2", SELF_DELETE_RETRIES="1")
        client = kube.KubeClient(sd.Settings.from_env(env))
        started = time.monotonic()
        with pytest.raises(kube.ApiError) as failed:
            client.request("GET", "/api/v1/namespaces/ns/pods/p")
        assert failed.value.status == 0 and time.monotonic() - started < 5
    finally:
        silent.close()


def test_an_error_that_is_no_status_is_logged_by_its_http_reason(api, token_file, caplog):
    path = "/api/v1/namespaces/user-jdoe/secrets/s"
    client, _ = client_for(api, token_file, SELF_DELETE_RETRIES="1")
    api.raw[("DELETE", path)] = (403, b"<html>denied</html>")
    with pytest.raises(kube.ApiError) as failed:
        client.request("DELETE", path)
    assert str(failed.value) == f"DELETE {path}: 403 Forbidden"
    api.raw[("DELETE", path)] = (400, b'["a list"]')
    with pytest.raises(kube.ApiError) as failed:
        client.request("DELETE", path)
    assert str(failed.value) == f"DELETE {path}: 400 Bad Request"
    api.raw[("DELETE", path)] = (409, json.dumps({"kind": "Status", "message": "m" * 300})
                                 .encode())
    with pytest.raises(kube.ApiError) as failed:
        client.request("DELETE", path)
    assert str(failed.value) == f"DELETE {path}: 409 {'m' * 200}"
    api.raw[("DELETE", path)] = (409, b'{"kind": "Status", "reason": "Conflict"}')
    with pytest.raises(kube.ApiError) as failed:
        client.request("DELETE", path)
    assert str(failed.value) == f"DELETE {path}: 409 Conflict"
    api.raw[("DELETE", path)] = (409, b'{"kind": "Status", "message": "quota X"}')
    with pytest.raises(kube.ApiError) as failed:
        client.request("DELETE", path)
    assert str(failed.value) == f"DELETE {path}: 409 quota X"
    for body in (b"", b"not json", b"[1]"):  # no reason phrase, no Status: the code alone
        api.raw[("DELETE", path)] = (403, body, "")
        with pytest.raises(kube.ApiError) as failed:
            client.request("DELETE", path)
        assert str(failed.value) == f"DELETE {path}: 403"


def test_objects_handed_to_the_apps_pod_name_it_as_a_pod(api, token_file, monkeypatch):
    """The app's "delete the service now" hands the objects to its own Pod (core v1)."""
    plan = sample_plan()
    api.add(*everything(plan))
    env = make_env(api, token_file, plan, PAST, SELF_DELETE_OWNER_KIND="Pod")
    assert run_main(monkeypatch, env) == 0
    patches = [c["body"] for c in api.calls if c["method"] == "PATCH"]
    assert len(patches) == len(plan["ownByJob"])
    for body in patches:
        assert body == {"metadata": {"ownerReferences": [
            {"apiVersion": "v1", "kind": "Pod", **JOB}]}}


def test_the_run_says_what_it_does(api, token_file, monkeypatch, caplog):
    plan = sample_plan()
    api.add(*everything(plan))
    with caplog.at_level(logging.INFO):
        assert run_main(monkeypatch, make_env(api, token_file, plan, PAST)) == 0
    assert caplog.messages[0] == "Deleting release whisper-transcription-42 in namespace user-jdoe"
    assert "Deleted statefulsets/whisper-transcription-42" in caplog.messages
    assert caplog.messages[-1] == (
        "Done: the garbage collector now removes this job, its pod and its permissions")
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert run_main(monkeypatch, make_env(api, token_file, plan, PAST), "--dry-run") == 0
    assert caplog.messages == [f"would touch {sd.object_path(NS, r)}"
                               for r in everything(plan)]
    caplog.clear()
    api.forbidden.add(sd.object_path(NS, plan["delete"][6]))
    with caplog.at_level(logging.INFO):
        assert run_main(monkeypatch, make_env(api, token_file, plan, PAST)) == 1
    assert caplog.messages[-1] == ("1 object(s) not deleted (secrets/whisper-transcription-42);"
                                   " stopping so that the job retries")
    caplog.clear()
    assert run_main(monkeypatch, {}) == 2
    assert caplog.messages == ["Invalid configuration: SELF_DELETE_PLAN is not set"]


def test_the_deadline_is_named_in_the_log(api, token_file, caplog):
    deadline = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    settings = sd.Settings.from_env(make_env(api, token_file, sample_plan(), deadline))
    for seconds_before, message in [
            (400, "Deadline 2026-11-26T10:00:00Z not reached (400 s left): nothing to do"),
            (120, "Deadline 2026-11-26T10:00:00Z is 120 s away: waiting")]:
        slept: list[float] = []
        deleter = sd.SelfDeleter(settings, kube.KubeClient(settings), sleep=slept.append,
                                 now=lambda s=seconds_before: deadline - timedelta(seconds=s))
        caplog.clear()
        with caplog.at_level(logging.INFO):
            deleter.run()
        assert caplog.messages[0] == message


def _self_signed(folder: Path, name: str) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that is its own CA (openssl, made in a few ms)."""
    cert, key = folder / f"{name}.crt", folder / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def test_over_https_the_cluster_ca_is_trusted_and_no_other(api, token_file, tmp_path):
    """The API server's certificate is checked against the service account's CA file: it
    is accepted when signed by it, refused when not (never the system's CAs alone)."""
    cert, key = _self_signed(tmp_path, "cluster")
    other, _ = _self_signed(tmp_path, "other")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    api.server.socket = context.wrap_socket(api.server.socket, server_side=True)
    path = "/api/v1/namespaces/user-jdoe/pods/p"
    api.objects.add(path)
    https = api.url.replace("http://", "https://")
    client, _ = client_for(api, token_file, SELF_DELETE_API_URL=https,
                           SELF_DELETE_CA_FILE=str(cert))
    assert client.request("GET", path) == 200
    client, _ = client_for(api, token_file, SELF_DELETE_API_URL=https,
                           SELF_DELETE_CA_FILE=str(other), SELF_DELETE_RETRIES="1")
    with pytest.raises(kube.ApiError) as refused:
        client.request("GET", path)
    assert refused.value.status == 0 and api.requests() == [("GET", path)]


def test_the_console_script_says_what_it_does(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as ended:
        sd.main(["--help"])
    assert ended.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert text.startswith("usage: transcribe-self-delete [-h] [--dry-run] ")
    assert ("Delete this transcription service's Kubernetes objects once its deadline "
            "(TRANSCRIBE_DELETE_AT) has passed. Configured by the Helm chart's CronJob.") in text
    assert "--dry-run list what would be deleted, change nothing" in text


def test_a_plan_without_its_three_lists_is_refused_by_name():
    env = {"TRANSCRIBE_DELETE_AT": "2026-11-26T10:00:00Z", "SELF_DELETE_NAMESPACE": NS}
    for key in ("delete", "ownByJob", "last"):
        plan = sample_plan()
        del plan[key]
        with pytest.raises(ValueError) as refused:
            sd.Settings.from_env(env | {"SELF_DELETE_PLAN": json.dumps(plan)})
        assert str(refused.value) == f"SELF_DELETE_PLAN has no {key!r} entry"


def test_the_deadline_to_the_second(api, token_file):
    """Reached (0 s left): no wait. Half a second or exactly the most it waits: waited for,
    then deleted. A second more: left to the next run."""
    deadline = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    plan = sample_plan()
    settings = sd.Settings.from_env(make_env(api, token_file, plan, deadline,
                                             SELF_DELETE_MAX_EARLY_SECONDS="300"))
    for before, waits, deletes in [(0, [], True), (0.5, [0.5], True), (300, [300.0], True),
                                   (301, [], False)]:
        api.calls.clear()
        slept: list[float] = []
        deleter = sd.SelfDeleter(settings, kube.KubeClient(settings), sleep=slept.append,
                                 now=lambda b=before: deadline - timedelta(seconds=b))
        assert deleter.run() == 0
        assert (slept, bool(api.calls)) == (waits, deletes), before


def test_a_server_asking_to_wait_long_is_waited_for_at_most_30_s(api, token_file):
    path = "/api/v1/namespaces/user-jdoe/secrets/x"
    api.objects.add(path)
    api.retry_after = "100"
    api.script[("DELETE", path)] = [429]
    client, slept = client_for(api, token_file)
    assert client.request("DELETE", path) == 200 and slept == [30.0]


def test_a_retry_after_no_answer_says_so(token_file, caplog):
    with FakeKubeApi() as gone:
        pass
    client, _ = client_for(gone, token_file, SELF_DELETE_RETRIES="2",
                           SELF_DELETE_RETRY_BASE_SECONDS="0.5")
    path = "/api/v1/namespaces/ns/pods/p"
    with caplog.at_level(logging.WARNING), pytest.raises(kube.ApiError):
        client.request("GET", path)
    assert caplog.messages == [f"GET {path} failed (no answer URLError), retry 1/1 in 0.5 s"]


def test_the_run_names_every_object_it_could_not_delete_and_a_release_without_name(
        api, token_file, monkeypatch, caplog):
    plan = sample_plan()
    del plan["release"]
    api.add(*everything(plan))
    for index in (6, 7):
        api.forbidden.add(sd.object_path(NS, plan["delete"][index]))
    with caplog.at_level(logging.INFO):
        assert run_main(monkeypatch, make_env(api, token_file, plan, PAST)) == 1
    assert caplog.messages[0] == "Deleting release ? in namespace user-jdoe"
    assert caplog.messages[-1] == (
        "2 object(s) not deleted (secrets/whisper-transcription-42, configmaps/"
        "whisper-transcription-42-deadline); stopping so that the job retries")


def app_env(api: FakeKubeApi, plan: dict, folder: Path, pod: dict) -> dict[str, str]:
    """The app pod's deletion settings, as the chart sets them, against the stand-in API
    (web/release.py's tests and the chart's)."""
    token = folder / "token"
    token.write_text(TOKEN)
    return {"SELF_DELETE_API_URL": api.url, "SELF_DELETE_TOKEN_FILE": str(token),
            "SELF_DELETE_CA_FILE": "", "SELF_DELETE_NAMESPACE": NS,
            "SELF_DELETE_PLAN": json.dumps(plan), "SELF_DELETE_OWNER_KIND": "Pod",
            "SELF_DELETE_JOB_NAME": pod["name"], "SELF_DELETE_JOB_UID": pod["uid"],
            "SELF_DELETE_RETRY_BASE_SECONDS": "0.01"}
