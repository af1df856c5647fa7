"""The `kubernetes` launcher through the official client, against a fake API server that
answers over real HTTP (fake_kube.py) and runs each scheduled pod's container as a real
worker process: the Job created from the chart's template (validated with
kubernetes-validate), its ownerReference and labels, the waiting message while no GPU is
free or the quota refuses, the CPU fallback, cancel with Background propagation, a pod
OOMKilled, the GPU-seconds held, and recovery after a restart."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import kubernetes_validate
import pytest
from fake_kube import FakeKubernetes, wait_until

from transcribe.asr import AsrOptions, ModelSettings
from transcribe.i18n import Notice
from transcribe.jobs import CANCELLED, DONE, FAILED, QUEUED, RUNNING, JobQueue, JobStore
from transcribe.pipeline import PipelineOptions
from transcribe.web import display
from transcribe.workers.config import WorkerConfig
from transcribe.workers.launches import HERE, REFUSED, WAITING, Launches, hash_token

TEMPLATE = Path(__file__).with_name("worker-job.yaml")
NAMESPACE, STATEFULSET = "user-camille", "transcription"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tiny() -> PipelineOptions:
    return PipelineOptions(engine="faster-whisper", align=False,
                           model=ModelSettings("tiny.en"), asr=AsrOptions(language="en"))


class Cluster:
    """A fake API server and the web app's queue using it (restartable)."""

    def __init__(self, folder: Path, idle: float = 2.0, limit: float | None = None):
        self.data = folder / "data"
        self.port = free_port()
        self.fake = FakeKubernetes(NAMESPACE, STATEFULSET, self.port, folder / "pods")
        self.config = WorkerConfig(
            launcher="kubernetes", port=self.port, address="127.0.0.1", idle_seconds=idle,
            job_template=TEMPLATE, service="transcription-worker", namespace=NAMESPACE,
            owner_statefulset=STATEFULSET, kubernetes_api=self.fake.url,
            job_time_limit=limit)
        self.queue = self.start()

    def start(self) -> JobQueue:
        return JobQueue(JobStore(self.data), listening_copies=False, poll_interval=0.2,
                        workers=self.config).start()

    @property
    def store(self) -> JobStore:
        return self.queue.store

    def close(self) -> None:
        self.queue.stop()
        self.fake.close()


@pytest.fixture
def cluster(tmp_path):
    made = []

    def make(**kwargs) -> Cluster:
        made.append(Cluster(tmp_path, **kwargs))
        return made[-1]

    yield make
    for cluster in made:
        cluster.close()


def test_the_job_waiting_for_a_gpu_its_body_and_the_cpu_fallback(cluster, clips):
    run = cluster(limit=1.0)  # a 1 s time limit: Pending time must not count
    run.fake.plan = "unschedulable"
    # Minutes of speech: no CPU transcribes them within the limit (the short clip once did,
    # in 0.84 s on a fast machine).
    job = run.queue.submit("entretien.wav", clips["long"], tiny(), duration=180.0)
    [body] = wait_until(lambda: run.fake.created())

    # The Job: valid, from the template, with this launch's parts.
    kubernetes_validate.validate(body, "1.30", strict=True)
    [launch] = Launches(run.data).all()
    metadata, pod = body["metadata"], body["spec"]["template"]
    assert metadata["name"] == f"transcription-worker-{launch.id}"
    assert "generateName" not in metadata and metadata["namespace"] == NAMESPACE
    for labels in (metadata["labels"], pod["metadata"]["labels"]):
        assert labels["transcribe/launch"] == launch.id
        assert labels["app.kubernetes.io/component"] == "worker"
    assert metadata["ownerReferences"] == [{
        "apiVersion": "apps/v1", "kind": "StatefulSet", "name": STATEFULSET,
        "uid": run.fake.statefulset["metadata"]["uid"], "controller": False}]
    spec = body["spec"]
    assert spec["backoffLimit"] == 0 and spec["parallelism"] == 1
    assert "activeDeadlineSeconds" not in spec
    container = pod["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert hash_token(env["TRANSCRIBE_WORKER_TOKEN"]) == launch.token_hash
    assert env["TRANSCRIBE_DEVICE"] == "cuda" and "TRANSCRIBE_WORKER_URL" not in env
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert "TRANSCRIBE_PASSWORD" not in env

    # No GPU free: the page says so in the user's words, never Kubernetes'.
    waiting = wait_until(lambda: run.queue.dispatcher.waiting())
    assert waiting.reason == WAITING and abs(waiting.since - launch.created) < 5
    at = time.strftime("%H:%M", time.localtime(waiting.since))
    for language, words in (("fr", "attente d'un gpu"), ("en", "waiting for a gpu")):
        text = display.waiting_text(waiting, language, time.localtime().tm_zone)
        assert words in text.lower() and at in text and "nodes" not in text
    time.sleep(1.5)  # past the job's time limit, all of it Pending
    assert run.store.get(job.id).status == QUEUED

    # Transcribe here instead: the Pending Job goes (Background propagation), a local
    # worker on the CPU does the job.
    seconds = run.queue.dispatcher.cpu_seconds([run.store.get(job.id)])
    assert seconds and seconds > 0
    assert run.queue.dispatcher.run_here() == [job.id]
    [(name, query, _)] = wait_until(lambda: run.fake.deletions())
    assert name == metadata["name"] and query["propagationPolicy"] == ["Background"]
    done = wait_until(lambda: not run.store.get(job.id).active and run.store.get(job.id), 120)
    assert done.placement == HERE and done.pipeline_options.model.device == "cpu"
    [here] = [w for w in Launches(run.data).all() if w.pool == HERE]
    assert here.jobs == [job.id] and not here.gpu and here.launcher == "process"
    # Its time limit counted from the moment a worker ran it, not from the upload.
    assert done.status == FAILED and done.error.key == "worker.time_limit"
    assert 0.9 <= done.finished - done.started < 30


def test_a_quota_refusal_is_shown_and_a_cancel_deletes_the_job(cluster, clips):
    run = cluster()
    run.fake.plan = "quota"
    # Minutes of speech: no CPU transcribes them within the limit (the short clip once did,
    # in 0.84 s on a fast machine).
    job = run.queue.submit("entretien.wav", clips["long"], tiny(), duration=180.0)
    waiting = wait_until(lambda: run.queue.dispatcher.waiting())
    assert waiting.reason == REFUSED
    for language, words in (("fr", "quota"), ("en", "quota")):
        text = display.waiting_text(waiting, language, None)
        assert words in text and "forbidden" not in text and "exceeded" not in text
    run.queue.cancel(job.id)
    assert run.store.get(job.id).status == CANCELLED
    [(_, query, _)] = wait_until(lambda: run.fake.deletions())
    assert query["propagationPolicy"] == ["Background"]
    assert not run.fake.jobs


def test_a_worker_pod_transcribes_and_its_gpu_seconds_are_recorded(cluster, clips):
    run = cluster()
    first = run.queue.submit("un.wav", clips["short"], tiny(), duration=3.0)
    second = run.queue.submit("deux.wav", clips["short"], tiny(), duration=3.0)
    wait_until(lambda: not run.store.get(second.id).active, 180)
    for job in (first, second):
        done = run.store.get(job.id)
        assert done.status == DONE, done.error
        assert "recording" in run.store.load_transcript(done).text.lower()
    launches = Launches(run.data)
    wait_until(lambda: not launches.all()[0].live, 60)  # Succeeded after its idle grace
    [launch] = launches.all()
    assert launch.gpu and launch.end_reason is None and launch.jobs == [first.id, second.id]
    assert launch.held_seconds is not None and launch.held_seconds >= 0
    usage = launches.usage(launch.batch)
    assert usage.audio_seconds == 6.0 and usage.held_seconds == launch.held_seconds
    assert len(run.fake.created()) == 1  # one pod pulled both jobs from the queue


def test_a_pod_oomkilled_fails_its_job_with_a_reason(cluster, clips):
    run = cluster()
    job = run.queue.submit("long.wav", clips["long"], tiny())
    wait_until(lambda: run.store.get(job.id).stage == "asr", 120)
    [name] = run.fake.processes
    os.kill(run.fake.worker_pid(name), signal.SIGKILL)
    failed = wait_until(lambda: run.store.get(job.id).status == FAILED and
                        run.store.get(job.id), 30)
    assert failed.error == Notice("worker.out_of_memory")
    assert "memory" in display.error_text(failed.error, "en")
    assert "mémoire" in display.error_text(failed.error, "fr")


def test_a_web_app_restarted_while_a_pod_runs_finds_it_again(cluster, clips):
    run = cluster()
    job = run.queue.submit("medium.wav", clips["medium"], tiny())
    wait_until(lambda: run.store.get(job.id).stage == "asr", 120)
    run.queue.stop()  # the web app restarts; the pod goes on (and waits for it)
    assert run.store.get(job.id).status == RUNNING and run.fake.jobs
    # A Job of this release that the ledger does not know (its token is lost): deleted.
    stray = dict(next(iter(run.fake.jobs.values())))
    stray["metadata"] = {**stray["metadata"], "name": "transcription-worker-stray",
                         "labels": {**stray["metadata"]["labels"],
                                    "transcribe/launch": "stray"}}
    run.fake.jobs["transcription-worker-stray"] = stray
    run.queue = run.start()
    done = wait_until(lambda: not run.store.get(job.id).active and run.store.get(job.id), 180)
    assert done.status == DONE and done.attempts == 1  # the same run, not a new one
    assert len(run.fake.created()) == 1
    assert [name for name, _, _ in run.fake.deletions()] == ["transcription-worker-stray"]


def test_the_charts_own_template_and_environment_drive_the_launcher(tmp_path):
    """The contract with the chart, end to end: the Job template exactly as the chart
    renders it into its ConfigMap and the app's environment from its StatefulSet make a
    launcher whose Job is valid, owned by that StatefulSet, never selected by the app's
    Service, and whose worker finds the worker Service through the link variables."""
    helm = pytest.importorskip("helm_python")
    import kubernetes_validate.utils
    import yaml

    from transcribe.workers.kubernetes import KubernetesLauncher
    from transcribe.workers.launches import Launches
    from transcribe.workers.worker import web_app_url

    release, namespace = "whisper-transcription-123456", "user-jdoe"
    chart_dir = Path(__file__).resolve().parents[2] / "charts" / "whisper-transcription"
    with helm.Chart.load(chart_dir) as chart:
        manifests = chart.render({"security": {"password": "pw-123456789"}},
                                 name=release, namespace=namespace)
    docs = [d for path, text in manifests.items() if path.endswith(".yaml")
            for d in yaml.safe_load_all(text) if d]
    config_map = next(d for d in docs if d["kind"] == "ConfigMap"
                      and "worker-job.yaml" in d.get("data", {}))
    statefulset = next(d for d in docs if d["kind"] == "StatefulSet")
    services = [d for d in docs if d["kind"] == "Service"]
    template = tmp_path / "worker-job.yaml"
    template.write_text(config_map["data"]["worker-job.yaml"])
    app = statefulset["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in app["env"]}
    env["TRANSCRIBE_NAMESPACE"] = namespace  # the downward API's value
    env["TRANSCRIBE_WORKER_JOB_TEMPLATE"] = str(template)

    fake = FakeKubernetes(namespace, statefulset["metadata"]["name"], 8502, tmp_path / "pods")
    try:
        config = WorkerConfig.from_env({**env, "TRANSCRIBE_KUBERNETES_API": fake.url})
        assert (config.launcher, config.port, config.address) == ("kubernetes", 8502,
                                                                   "0.0.0.0")
        launcher = KubernetesLauncher(config)
        assert launcher.gpu
        launch, token = Launches(tmp_path / "data").new("main", "kubernetes", True)
        body = launcher.job_body(launch, token, {"TRANSCRIBE_WORKER_IDLE_SECONDS": "60"})
    finally:
        fake.close()
    for version in ("1.30", kubernetes_validate.utils.latest_version()):
        kubernetes_validate.validate(body, version, strict=True)
    assert body["metadata"]["name"] == f"{release}-worker-{launch.id}"
    assert body["metadata"]["ownerReferences"][0]["name"] == statefulset["metadata"]["name"]
    # No Service (the user's, the workers') routes to a worker pod.
    pod_labels = body["spec"]["template"]["metadata"]["labels"]
    for service in services:
        selector = service["spec"]["selector"]
        assert not all(pod_labels.get(k) == v for k, v in selector.items()), service
    assert not all(pod_labels.get(k) == v for k, v in
                   statefulset["spec"]["selector"]["matchLabels"].items())
    assert launcher.selector == (f"app.kubernetes.io/component=worker,"
                                 f"app.kubernetes.io/instance={release}")
    worker_env = {e["name"]: e.get("value") for e in
                  body["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert worker_env["TRANSCRIBE_WORKER_TOKEN"] == token
    link = worker_env["TRANSCRIBE_WORKER_SERVICE"].upper().replace("-", "_")
    assert web_app_url({**worker_env, f"{link}_SERVICE_HOST": "10.0.0.7",
                        f"{link}_SERVICE_PORT": "8502"}) == "http://10.0.0.7:8502"
