"""The `kubernetes` launcher driven directly (no queue, no worker process) through the
official client against the fake API server over real HTTP (fake_kube.py, whose pods stay
Pending or are set by the test): what a cancel, a recovery and a shutdown delete (which
Job, with Background propagation so its pod goes too, chosen by which labels, and nothing
else), the Job made from the template, and what each pod state reads as. Seconds in all:
fast enough for `make mutate`."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fake_kube import FakeKubernetes, now_iso

from transcribe.i18n import Notice
from transcribe.workers import kubernetes as kube
from transcribe.workers.config import WorkerConfig
from transcribe.workers.kubernetes import KubernetesLauncher, failure_reason, holds_gpu
from transcribe.workers.launches import ENDED, REFUSED, RUNNING, STARTING, WAITING, Launch

TEMPLATE = Path(__file__).with_name("worker-job.yaml")
NAMESPACE, STATEFULSET = "user-camille", "transcription"
SELECTOR = "app.kubernetes.io/component=worker,app.kubernetes.io/instance=transcription"


@pytest.fixture
def fake(tmp_path):
    fake = FakeKubernetes(NAMESPACE, STATEFULSET, service_port=1, scratch=tmp_path)
    fake.plan = "unschedulable"  # pods stay Pending: no worker process
    yield fake
    fake.close()


def launcher_for(fake: FakeKubernetes, template: Path = TEMPLATE,
                 owner: str | None = STATEFULSET) -> KubernetesLauncher:
    return KubernetesLauncher(WorkerConfig(
        launcher="kubernetes", job_template=template, namespace=NAMESPACE,
        owner_statefulset=owner, kubernetes_api=fake.url + "/"))


@pytest.fixture
def launcher(fake):
    launcher = launcher_for(fake)
    yield launcher
    launcher.close()


def new_launch(launch_id: str, **fields) -> Launch:
    return Launch(id=launch_id, pool="main", launcher="kubernetes", token_hash="h",
                  created=time.time() - 100, **fields)


def started(launcher: KubernetesLauncher, launch_id: str) -> Launch:
    launch = new_launch(launch_id)
    launch.handle = launcher.launch(launch, "secret-token", {"EXTRA": "1"})
    return launch


def finished(job: dict, kind: str = "Complete", status: str = "True") -> None:
    job.setdefault("status", {})["conditions"] = [{"type": kind, "status": status}]


# -- deletion ------------------------------------------------------------------------------

def test_stop_deletes_that_job_only_with_background_propagation(fake, launcher, caplog):
    with caplog.at_level("INFO", logger="transcribe.workers"):
        one, two = started(launcher, "aaa111"), started(launcher, "bbb222")
        assert one.handle == "transcription-worker-aaa111" and one.handle in fake.jobs
        launcher.stop(one)
    # The log names launches by id, nothing else.
    assert caplog.messages == ["worker aaa111: Job created", "worker bbb222: Job created",
                               "worker aaa111: Job deleted"]
    assert fake.deletions() == [(one.handle, {"propagationPolicy": ["Background"]}, None)]
    # Background: the pod goes with the Job; the other launch keeps both.
    assert one.handle not in fake.jobs and one.handle not in fake.pods
    assert two.handle in fake.jobs and two.handle in fake.pods


def test_stop_names_the_job_by_its_handle_else_by_its_launch(fake, launcher):
    one = started(launcher, "aaa111")
    launcher.template["metadata"]["generateName"] = "renamed-"  # a new chart's template
    assert launcher.poll(one).state == WAITING  # found by its handle
    launcher.stop(one)
    assert [name for name, _, _ in fake.deletions()] == ["transcription-worker-aaa111"]
    two = new_launch("bbb222")
    launcher.launch(two, "t", {})  # the handle never recorded (a crash in between)
    assert launcher.poll(two).state == WAITING  # found by its launch's id
    launcher.stop(two)
    assert [name for name, _, _ in fake.deletions()][1:] == ["renamed-bbb222"]
    assert fake.jobs == {}


def test_stop_of_a_job_already_gone_is_harmless_but_other_errors_are_raised(fake, launcher):
    launch = started(launcher, "aaa111")
    launcher.stop(launch)
    launcher.stop(launch)  # deleted already (404): nothing to do
    assert len(fake.deletions()) == 2
    launcher.namespace = "someone-else"  # 403: the Role does not reach there
    with pytest.raises(launcher.errors) as raised:
        launcher.stop(started_elsewhere := new_launch("ccc333"))
    assert raised.value.status == 403 and started_elsewhere.id == "ccc333"


def test_stop_looks_again_at_once(fake, launcher):
    launch = started(launcher, "aaa111")
    assert launcher.poll(launch).state == WAITING
    launcher.stop(launch)
    status = launcher.poll(launch)  # not the look from before the stop
    assert status.state == ENDED and status.reason == Notice("worker.lost")


def test_recover_finds_known_jobs_and_deletes_only_unknown_live_ones_of_this_release(
        fake, launcher, caplog):
    known, unknown = started(launcher, "aaa111"), started(launcher, "bbb222")
    done, failed, ending = (started(launcher, i) for i in ("ccc333", "ddd444", "eee555"))
    finished(fake.jobs[done.handle])
    finished(fake.jobs[failed.handle], "Failed")
    finished(fake.jobs[ending.handle], "Failed", "False")  # not finished yet
    other = started(launcher, "fff666")  # another release's worker in the namespace
    fake.jobs[other.handle]["metadata"]["labels"]["app.kubernetes.io/instance"] = "other"
    gone = new_launch("ggg777")  # known, its Job gone
    caplog.clear()
    with caplog.at_level("INFO", logger="transcribe.workers"):
        found = launcher.recover([known, gone, new_launch("zzz000")])
    assert caplog.messages == ["worker Job of an unknown launch: deleted"] * 2
    assert found == {known.id}
    listed = [query for method, path, query, _ in fake.requests
              if method == "GET" and path.endswith("/jobs")]
    assert listed == [{"labelSelector": [SELECTOR]}]
    assert sorted(fake.deletions()) == [
        (name, {"propagationPolicy": ["Background"]}, None)
        for name in sorted((unknown.handle, ending.handle))]
    assert set(fake.jobs) == {known.handle, done.handle, failed.handle, other.handle}
    assert unknown.handle not in fake.pods and known.handle in fake.pods


def test_recover_selects_by_every_label_when_the_template_names_none_of_the_release(
        fake, tmp_path):
    text = TEMPLATE.read_text(encoding="utf-8")
    for label in kube.RECOVERY_LABELS:
        text = text.replace(f"    {label}:", f"    x-{label}:", 1)
    template = tmp_path / "job.yaml"
    template.write_text(text, encoding="utf-8")
    launcher = launcher_for(fake, template)
    assert launcher.selector == (
        "app.kubernetes.io/name=whisper-transcription,"
        "app.kubernetes.io/part-of=whisper-transcription,"
        "x-app.kubernetes.io/component=worker,x-app.kubernetes.io/instance=transcription")
    launch = started(launcher, "aaa111")
    assert launcher.recover([launch]) == {launch.id}
    launcher.close()


def test_a_job_without_labels_is_of_an_unknown_launch(fake, launcher):
    launch = started(launcher, "aaa111")
    fake.jobs[launch.handle]["metadata"]["labels"] = None
    del fake.jobs[launch.handle]["status"]  # none yet: not finished
    launcher.selector = ""
    assert launcher.recover([]) == set()
    assert fake.deletions() == [(launch.handle, {"propagationPolicy": ["Background"]}, None)]


def test_close_deletes_nothing(fake, launcher):
    started(launcher, "aaa111")
    launcher.close()
    assert fake.deletions() == [] and len(fake.jobs) == 1


# -- the Job -------------------------------------------------------------------------------

def test_the_job_is_the_template_with_this_launchs_parts(fake, launcher):
    one = started(launcher, "aaa111")
    started(launcher, "bbb222")
    body = fake.created()[0]
    metadata = body["metadata"]
    assert "generateName" not in metadata
    assert metadata["name"] == one.handle and metadata["namespace"] == NAMESPACE
    assert metadata["labels"]["transcribe/launch"] == "aaa111"
    assert metadata["labels"]["app.kubernetes.io/component"] == "worker"
    uid = fake.statefulset["metadata"]["uid"]
    assert metadata["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "StatefulSet",
                                           "name": STATEFULSET, "uid": uid,
                                           "controller": False}]
    assert body["spec"]["parallelism"] == 1 and body["spec"]["backoffLimit"] == 0
    pod = body["spec"]["template"]
    assert pod["metadata"]["labels"]["transcribe/launch"] == "aaa111"
    env = {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}
    assert env["TRANSCRIBE_WORKER_TOKEN"] == "secret-token" and env["EXTRA"] == "1"
    assert env["TRANSCRIBE_DEVICE"] == "cuda"  # the template's own kept
    owner_reads = [path for method, path, _, _ in fake.requests if "statefulsets" in path]
    assert owner_reads == [f"/apis/apps/v1/namespaces/{NAMESPACE}/statefulsets/{STATEFULSET}"]
    assert launcher.gpu is True


def test_the_launchs_environment_replaces_the_templates(fake, launcher):
    started(launcher, "aaa111").handle  # noqa: B018
    launch = new_launch("bbb222")
    launcher.launch(launch, "t2", {"TRANSCRIBE_DEVICE": "cpu", "TRANSCRIBE_WORKER_TOKEN": "x"})
    env = fake.created()[1]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [e for e in env if e["name"] == "TRANSCRIBE_DEVICE"] == [
        {"name": "TRANSCRIBE_DEVICE", "value": "cpu"}]
    assert [e["value"] for e in env if e["name"] == "TRANSCRIBE_WORKER_TOKEN"] == ["t2"]


def test_a_job_without_owner_or_name_in_the_template(fake, tmp_path):
    template = tmp_path / "job.yaml"
    template.write_text("apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n"
                        "      containers: [{name: w, image: i}, {name: s, image: i}]\n",
                        encoding="utf-8")
    launcher = launcher_for(fake, template, owner=None)
    launch = new_launch("aaa111")
    assert launcher.launch(launch, "t", {}) == "worker-aaa111"
    body = fake.created()[0]
    assert "ownerReferences" not in body["metadata"]
    assert body["metadata"]["labels"] == {"transcribe/launch": "aaa111"}
    assert body["spec"]["parallelism"] == 1
    assert body["spec"]["template"]["metadata"] == {"labels": {"transcribe/launch": "aaa111"}}
    worker, sidecar = body["spec"]["template"]["spec"]["containers"]
    assert worker["env"] == [{"name": "TRANSCRIBE_WORKER_TOKEN", "value": "t"}]
    assert "env" not in sidecar  # the token goes to the worker's container only
    assert launcher.selector == "" and launcher.gpu is False
    long_id = "x" * 60
    assert launcher.job_name(new_launch(long_id)) == "wor" + long_id
    launcher.template["metadata"] = {"name": "custom"}
    assert launcher.job_name(launch) == "custom-aaa111"
    launcher.close()


def test_in_a_pod_the_service_account_says_where_and_who(tmp_path, monkeypatch):
    from kubernetes import client
    from kubernetes.config import incluster_config

    account = tmp_path / "serviceaccount"
    account.mkdir()
    (account / "namespace").write_text(f"{NAMESPACE}\n", encoding="utf-8")
    (account / "token").write_text("the-pods-token", encoding="utf-8")
    (account / "ca.crt").write_text("a certificate", encoding="utf-8")
    monkeypatch.setattr(kube, "SERVICE_ACCOUNT_NAMESPACE", account / "namespace")
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(account / "token"))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(account / "ca.crt"))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    monkeypatch.setattr(client.Configuration, "_default", None)  # it sets the default
    launcher = KubernetesLauncher(WorkerConfig(launcher="kubernetes", job_template=TEMPLATE))
    configuration = launcher.api.configuration
    assert launcher.namespace == NAMESPACE and configuration.host == "https://10.0.0.1:443"
    assert configuration.api_key["BearerToken"] == "bearer the-pods-token"
    launcher.close()


def test_an_api_address_given_is_used_as_it_is(fake, launcher):
    assert launcher.api.configuration.host == fake.url  # no trailing slash
    assert launcher.namespace == NAMESPACE


def test_gpu_in_limits_or_requests():
    def template(resources):
        return {"spec": {"template": {"spec": {"containers": [{"resources": resources}]}}}}
    assert holds_gpu(template({"limits": {"nvidia.com/gpu": 1}}))
    assert holds_gpu(template({"requests": {"cpu": 1, "amd.com/gpu": 1}}))
    assert not holds_gpu(template({"limits": {"cpu": 1}, "requests": None}))
    assert not holds_gpu({"spec": None})


# -- what the pods say ---------------------------------------------------------------------

def looked(launcher: KubernetesLauncher, launch: Launch):
    launcher._seen.clear()
    return launcher.poll(launch)


def stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_poll_reads_each_state(fake, launcher):
    launch = started(launcher, "aaa111")
    pod = fake.pods[launch.handle]
    since = pod["status"]["conditions"][0]["lastTransitionTime"]
    status = looked(launcher, launch)
    assert status.state == WAITING and status.since == kube._seconds(since)
    pod["status"]["conditions"][0]["lastTransitionTime"] = None
    assert looked(launcher, launch).since == launch.created
    t0 = time.time() - 50
    pod["status"].update(startTime=stamp(t0), conditions=[
        {"type": "PodScheduled", "status": "True"}])
    status = looked(launcher, launch)
    assert (status.state, status.since, status.started) == (STARTING, int(t0), int(t0))
    for condition in ({"type": "PodScheduled", "status": "False", "reason": "Other"},
                      {"type": "Ready", "status": "False", "reason": "Unschedulable"}):
        pod["status"]["conditions"] = [condition]
        assert looked(launcher, launch).state == STARTING
    pod["status"]["phase"] = "Running"
    status = looked(launcher, launch)
    assert (status.state, status.since, status.started) == (RUNNING, int(t0), int(t0))


def ended_with(fake, launcher, launch, phase, terminated=None, reason=None):
    status = fake.pods[launch.handle]["status"]
    status.update(phase=phase, startTime=stamp(1000), reason=reason, containerStatuses=[
        {"name": "worker", "image": "i", "imageID": "i", "ready": False, "restartCount": 0,
         "state": {"terminated": terminated} if terminated else {"waiting": {}}}])
    return looked(launcher, launch)


def test_poll_reads_how_a_pod_ended(fake, launcher):
    launch = started(launcher, "aaa111")

    def ended(code, reason="Error"):
        return {"exitCode": code, "reason": reason, "finishedAt": stamp(1600)}
    status = ended_with(fake, launcher, launch, "Succeeded", ended(0, "Completed"))
    assert (status.state, status.started, status.ended, status.reason) == (
        ENDED, 1000, 1600, None)
    assert status.held_seconds == 600
    assert ended_with(fake, launcher, launch, "Failed", ended(137, "OOMKilled")).reason \
        == Notice("worker.out_of_memory")
    status = ended_with(fake, launcher, launch, "Failed", ended(137))
    assert (status.state, status.started, status.reason) == (
        ENDED, 1000, Notice("worker.killed"))
    # The worker's container ended; a sidecar's status after it says nothing of that.
    pod = fake.pods[launch.handle]["status"]
    pod["containerStatuses"].append({**pod["containerStatuses"][0], "name": "sidecar",
                                     "state": {"running": {}}})
    assert looked(launcher, launch).reason == Notice("worker.killed")
    assert ended_with(fake, launcher, launch, "Failed", ended(2)).reason \
        == Notice("worker.crashed", {"code": 2})
    before = time.time()
    status = ended_with(fake, launcher, launch, "Failed", reason="Evicted")
    assert status.reason == Notice("worker.lost") and status.ended >= before
    assert ended_with(fake, launcher, launch, "Failed", reason="OOMKilled").reason \
        == Notice("worker.out_of_memory")


def test_the_newest_pod_speaks(fake, launcher):
    launch = started(launcher, "aaa111")
    pod = fake.pods[launch.handle]
    old = {**pod, "metadata": {**pod["metadata"], "name": "old",
                               "creationTimestamp": stamp(time.time() - 3600)},
           "status": {"phase": "Running", "startTime": stamp(1000)}}
    fake.pods["old"] = old
    other = started(launcher, "bbb222")  # another launch's pod, newer and running
    fake.pods[other.handle]["status"] = {"phase": "Running", "startTime": stamp(1000)}
    fake.pods[other.handle]["metadata"]["creationTimestamp"] = stamp(time.time() + 7200)
    assert looked(launcher, launch).state == WAITING
    fake.pods["old"]["metadata"]["creationTimestamp"] = stamp(time.time() + 3600)
    assert looked(launcher, launch).state == RUNNING


def test_poll_without_a_pod(fake, launcher):
    launch = started(launcher, "aaa111")
    del fake.pods[launch.handle]
    status = looked(launcher, launch)
    assert (status.state, status.since) == (STARTING, launch.created)
    fake.events.append({"involvedObject": {"name": "another-job"}, "reason": "FailedCreate",
                        "metadata": {"name": "e1"}})
    fake.events.append({"involvedObject": {"name": launch.handle}, "reason": "Scheduled",
                        "metadata": {"name": "e2"}})
    assert looked(launcher, launch).state == STARTING
    fake.events.append({"involvedObject": {"name": launch.handle}, "reason": "FailedCreate",
                        "metadata": {"name": "e3"}})
    status = looked(launcher, launch)
    assert (status.state, status.since) == (REFUSED, launch.created)
    finished(fake.jobs[launch.handle])
    launch.started = 123.0
    status = looked(launcher, launch)
    assert (status.state, status.started, status.reason) == (
        ENDED, 123.0, Notice("worker.lost"))
    assert status.ended >= time.time() - 5


def test_poll_of_a_deleted_job_and_of_an_unreachable_one(fake, launcher):
    launch = started(launcher, "aaa111")
    launch.started = 5.0
    del fake.jobs[launch.handle]
    status = looked(launcher, launch)
    assert (status.state, status.started, status.reason) == (
        ENDED, 5.0, Notice("worker.lost"))
    assert status.ended >= time.time() - 5
    launcher.namespace = "someone-else"
    with pytest.raises(launcher.errors):
        looked(launcher, launch)


def test_poll_asks_the_api_server_at_most_every_two_seconds(fake, launcher, monkeypatch):
    launch = started(launcher, "aaa111")
    first = launcher.poll(launch)
    fake.pods[launch.handle]["status"]["phase"] = "Running"
    assert launcher.poll(launch) is first
    monkeypatch.setattr(kube, "POLL_EVERY", 0.0)
    assert launcher.poll(launch).state == RUNNING


def test_failure_reason_and_times():
    assert failure_reason(None, None) == Notice("worker.lost")
    assert kube._seconds(None) is None
    assert kube._seconds("1970-01-01T00:01:00Z") == 60.0
    assert kube._seconds(datetime(1970, 1, 1, 0, 2, tzinfo=UTC)) == 120.0
    assert now_iso()  # the fake's clock


# -- the dispatcher's calls: delete everything, a restart ----------------------------------

@pytest.fixture
def dispatcher_of(fake, tmp_path):
    from transcribe.jobs import JobQueue, JobStore

    made = []

    def make():
        config = WorkerConfig(launcher="kubernetes", job_template=TEMPLATE,
                              service="transcription-worker", namespace=NAMESPACE,
                              owner_statefulset=STATEFULSET, kubernetes_api=fake.url)
        queue = JobQueue(JobStore(tmp_path / "data"), listening_copies=False, workers=config)
        made.append(queue.dispatcher)
        return queue.dispatcher  # no loop: the test calls what the loop would

    yield make
    for dispatcher in made:
        dispatcher.close()


def test_delete_everything_deletes_every_live_workers_job_and_only_those(fake, dispatcher_of):
    from transcribe.workers.launches import MAIN

    dispatcher = dispatcher_of()
    dispatcher.start()
    assert dispatcher._launch(MAIN) and dispatcher._launch(MAIN) and dispatcher._launch(MAIN)
    first, second, ended = dispatcher.launches.live(MAIN)
    dispatcher.launches.update(ended.id, state=ENDED)  # its Job left to its TTL
    dispatcher.stop_all()
    assert sorted(fake.deletions()) == sorted(
        (launch.handle, {"propagationPolicy": ["Background"]}, None)
        for launch in (first, second))
    assert list(fake.jobs) == [ended.handle]


def test_after_a_restart_the_live_workers_are_found_and_a_stray_one_deleted(
        fake, dispatcher_of):
    from transcribe.workers.launches import MAIN

    dispatcher = dispatcher_of()
    dispatcher.start()
    assert dispatcher._launch(MAIN) and dispatcher._launch(MAIN)
    kept, lost = dispatcher.launches.live(MAIN)
    dispatcher.close()  # Kubernetes workers go on while the web app restarts
    assert fake.deletions() == []
    del fake.jobs[lost.handle]  # meanwhile: its TTL, someone
    stray = started(launcher_for(fake), "fff666")  # a Job the ledger does not know
    again = dispatcher_of()
    assert again.start() == {kept.id}
    assert fake.deletions() == [(stray.handle, {"propagationPolicy": ["Background"]}, None)]
    assert again.launches.get(lost.id).state == ENDED and again.launches.get(kept.id).live
