"""GPU while transcribing (gpu.mode while-transcribing, the default): the app starts each
batch as a Kubernetes Job on a GPU. The chart's side of the worker protocol: the Job manifest
the app reads, the Role it acts with, the worker Service, the NetworkPolicies (checked by
evaluating them for sample connections) and the values that reach all of them."""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

import kubernetes_validate
import pytest

from transcribe.workers.config import WorkerConfig

helm = pytest.importorskip("helm_python")

RELEASE = "whisper-transcription-123456"  # conftest.py
FULLNAME = RELEASE
NAMESPACE = "user-jdoe"
KUBE_VERSIONS = ["1.30", "1.33", kubernetes_validate.utils.latest_version()]
HOST = "user-jdoe-123456-0.lab.example.org"
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
MODES = {
    "while-transcribing": {},
    "whole-service": {"gpu": {"mode": "whole-service"}},
    "cpu-only": {"gpu": {"enabled": False}},
    # gpu.enabled false wins over gpu.mode: old launch links keep meaning CPU only.
    "cpu-only-with-a-mode": {"gpu": {"enabled": False, "mode": "while-transcribing"}},
}
# What the launcher calls (the kubernetes launcher), and nothing else.
LAUNCHER_RULES = [
    {"apiGroups": ["batch"], "resources": ["jobs"],
     "verbs": ["create", "get", "list", "delete"]},
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]},
    {"apiGroups": [""], "resources": ["events"], "verbs": ["get", "list"]},
    {"apiGroups": ["apps"], "resources": ["statefulsets"], "resourceNames": [FULLNAME],
     "verbs": ["get"]},
]


def validate(doc: dict[str, Any]) -> None:
    for version in KUBE_VERSIONS:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{doc['kind']} invalid for {version}: "
                        f"{'.'.join(map(str, error.path))}: {error.message}")


def labels_match(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


# --------------------------------------------------------------------------- the Job


@pytest.mark.parametrize("values", [
    {},
    {"data": {"inMemory": True, "sizeLimit": "4Gi"}, "resources": {"limits": {"memory": "48Gi"}}},
    {"security": {"dns": {"enabled": True}}, "imagePullSecrets": [{"name": "registry"}],
     "nodeSelector": {"zone": "a"}, "tolerations": [{"key": "dedicated", "operator": "Exists"}]},
    {"worker": {"maxParallel": 4, "idleSeconds": 0, "ttlSecondsAfterFinished": 0,
                "nodeSelector": {"nvidia.com/gpu.product": "NVIDIA-A100"}, "tolerations": [],
                "resources": {"requests": {"cpu": "4", "memory": "16Gi"},
                              "limits": {"cpu": "16", "memory": "64Gi", "nvidia.com/gpu": "2"}}}},
], ids=["defaults", "in-memory", "placement", "worker-values"])
def test_worker_job_and_role_are_valid_kubernetes_objects(render, values):
    out = render(values)
    validate(out.worker_job)
    validate(out.one("Role", f"{FULLNAME}-launcher"))
    validate(out.one("RoleBinding", f"{FULLNAME}-launcher"))


def test_worker_job_follows_the_contract(render):
    out = render({})
    job = out.worker_job
    assert (job["apiVersion"], job["kind"]) == ("batch/v1", "Job")
    # The app names each launch itself; the template is usable as it is.
    assert job["metadata"]["generateName"] == f"{FULLNAME}-worker-"
    assert "name" not in job["metadata"] and "ownerReferences" not in job["metadata"]
    spec = job["spec"]
    assert spec["backoffLimit"] == 0
    assert spec["ttlSecondsAfterFinished"] == 600
    # It would count the time spent Pending for a GPU: the app enforces its own limit.
    assert "activeDeadlineSeconds" not in spec
    assert job["metadata"]["labels"] == spec["template"]["metadata"]["labels"]
    pod = out.worker_pod
    assert pod["restartPolicy"] == "Never"
    assert pod["automountServiceAccountToken"] is False
    assert pod["enableServiceLinks"] is True  # finds the worker Service without DNS
    assert pod["securityContext"] == out.app_pod["securityContext"]
    container = out.worker_container
    assert container["command"] == ["transcribe-worker"]
    assert container["securityContext"] == out.app_container["securityContext"]
    assert container["image"] == out.app_container["image"]
    env = out.worker_env
    assert env["TRANSCRIBE_DEVICE"] == "cuda"
    assert env["TRANSCRIBE_WORKER_IDLE_SECONDS"] == "60"
    assert "TRANSCRIBE_WORKER_TOKEN" not in env  # per launch, from the app
    assert "TRANSCRIBE_JOB_TIME_LIMIT" not in out.app_env  # no limit unless an admin sets one
    # Offline and silent like the app.
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "PYANNOTE_METRICS_ENABLED",
                 "DO_NOT_TRACK", "XDG_CACHE_HOME"):
        assert env[name] == out.app_env[name], name
    # The Service it is told about exists and serves the app's worker port.
    service = out.one("Service", env["TRANSCRIBE_WORKER_SERVICE"])
    assert service["spec"]["ports"] == [
        {"name": "worker", "port": 8502, "targetPort": "worker", "protocol": "TCP"}]
    assert out.app_env["TRANSCRIBE_WORKER_SERVICE"] == env["TRANSCRIBE_WORKER_SERVICE"]


def test_app_environment_for_the_kubernetes_launcher(render):
    out = render({})
    env = out.app_env
    assert env["TRANSCRIBE_WORKER_LAUNCHER"] == "kubernetes"
    assert env["TRANSCRIBE_WORKER_PORT"] == "8502"
    assert env["TRANSCRIBE_WORKER_MAX_PARALLEL"] == "1"
    assert env["TRANSCRIBE_WORKER_JOB_TEMPLATE"] == "/etc/transcribe/worker-job.yaml"
    assert env["TRANSCRIBE_NAMESPACE"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}
    # The owner of every Job: the StatefulSet the deletion removes first (below).
    assert env["TRANSCRIBE_OWNER_STATEFULSET"] == out.one("StatefulSet")["metadata"]["name"]
    mount = next(m for m in out.app_container["volumeMounts"] if m["name"] == "worker-job")
    path = f"{mount['mountPath']}/worker-job.yaml"
    assert path == env["TRANSCRIBE_WORKER_JOB_TEMPLATE"] and mount["readOnly"] is True


@pytest.mark.parametrize("mode", ["whole-service", "cpu-only", "cpu-only-with-a-mode"])
def test_process_modes_start_no_job(render, mode):
    out = render(MODES[mode])
    env = out.app_env
    assert env["TRANSCRIBE_WORKER_LAUNCHER"] == "process"
    assert env["TRANSCRIBE_DEVICE"] == ("cuda" if mode == "whole-service" else "cpu")
    for name in ("TRANSCRIBE_WORKER_MAX_PARALLEL", "TRANSCRIBE_WORKER_JOB_TEMPLATE",
                 "TRANSCRIBE_WORKER_SERVICE", "TRANSCRIBE_OWNER_STATEFULSET"):
        assert name not in env
    assert env["TRANSCRIBE_WORKER_IDLE_SECONDS"] == "60"  # the app's own workers too
    assert out.worker_job is None
    names = {(d["kind"], d["metadata"]["name"]) for d in out.docs}
    for kind, suffix in (("Service", "worker"), ("NetworkPolicy", "worker"),
                         ("Role", "launcher"), ("RoleBinding", "launcher"),
                         ("ServiceAccount", "app"), ("NetworkPolicy", "app-api")):
        assert (kind, f"{FULLNAME}-{suffix}") not in names
    assert [p["name"] for p in out.app_container["ports"]] == ["http"]


def test_worker_values_reach_the_job(render):
    out = render({
        "nodeSelector": {"zone": "a"},
        "tolerations": [{"key": "dedicated", "operator": "Exists"}],
        "worker": {
            "maxParallel": 3, "idleSeconds": 300, "ttlSecondsAfterFinished": 120, "port": 9000,
            "jobTimeLimitMinutes": 90,
            "nodeSelector": {"nvidia.com/gpu.product": "NVIDIA-A100"},
            "tolerations": [{"key": "gpu", "operator": "Equal", "value": "yes",
                             "effect": "NoSchedule"}],
            "resources": {"requests": {"cpu": "4", "memory": "16Gi"},
                          "limits": {"cpu": "16", "memory": "64Gi", "nvidia.com/gpu": "2"}},
        },
    })
    assert out.app_env["TRANSCRIBE_WORKER_MAX_PARALLEL"] == "3"
    assert out.worker_job["spec"]["ttlSecondsAfterFinished"] == 120
    # The app passes its own value to each worker it starts: both must say the same.
    assert out.worker_env["TRANSCRIBE_WORKER_IDLE_SECONDS"] == "300"
    assert out.app_env["TRANSCRIBE_WORKER_IDLE_SECONDS"] == "300"
    # The dispatcher (in the app) enforces it, in seconds, as WorkerConfig reads it.
    assert out.app_env["TRANSCRIBE_JOB_TIME_LIMIT"] == "5400"
    assert WorkerConfig.from_env(out.app_env).job_time_limit == 5400
    pod = out.worker_pod
    # On top of the region's placement, never instead of it.
    assert pod["nodeSelector"] == {"zone": "a", "nvidia.com/gpu.product": "NVIDIA-A100"}
    assert [t["key"] for t in pod["tolerations"]] == ["dedicated", "gpu"]
    assert out.worker_container["resources"] == {
        "requests": {"cpu": "4", "memory": "16Gi", "ephemeral-storage": "20Gi"},
        "limits": {"cpu": "16", "memory": "64Gi", "nvidia.com/gpu": "2"},
    }
    # The app's own placement and resources stay the app's.
    assert out.app_pod["nodeSelector"] == {"zone": "a"}
    assert [t["key"] for t in out.app_pod["tolerations"]] == ["dedicated"]
    assert "nvidia.com/gpu" not in out.app_container["resources"]["limits"]
    # One port number everywhere.
    assert out.app_env["TRANSCRIBE_WORKER_PORT"] == "9000"
    assert {"name": "worker", "containerPort": 9000, "protocol": "TCP"} in (
        out.app_container["ports"])
    assert out.one("Service", f"{FULLNAME}-worker")["spec"]["ports"][0]["port"] == 9000
    assert out.worker_env["TRANSCRIBE_WORKER_PORT"] == "9000"
    egress = out.one("NetworkPolicy", f"{FULLNAME}-worker")["spec"]["egress"]
    assert egress[-1]["ports"] == [{"protocol": "TCP", "port": 9000}]


@pytest.mark.parametrize(("worker", "message"), [
    ({"resources": {"limits": {"memory": "8Gi"}}},
     "raise GPU worker > Resources > limits > Memory to 12Gi"),
    ({"resources": {"requests": {"memory": "32Gi"}}}, "worker.resources.requests.memory"),
    ({"resources": {"requests": {"cpu": "9"}}}, "worker.resources.requests.cpu"),
])
def test_worker_resources_are_checked_like_the_apps(render, worker, message):
    with pytest.raises(helm.HelmRenderError, match=re.escape(message)):
        render({"worker": worker})
    # Not used in the other modes: no reason to refuse them there.
    render({"worker": worker, "gpu": {"mode": "whole-service"}})


def test_in_memory_scratch_must_fit_in_the_workers_memory(render):
    values = {"data": {"inMemory": True, "sizeLimit": "4Gi", "tmpSizeLimit": "24Gi"},
              "resources": {"limits": {"memory": "64Gi"}}}
    with pytest.raises(helm.HelmRenderError, match=re.escape("worker.resources.limits.memory")):
        render(values)
    values["worker"] = {"resources": {"limits": {"memory": "32Gi"}}}
    assert render(values).worker_pod["volumes"][0]["emptyDir"]["medium"] == "Memory"


# --------------------------------------------------------------------------- never the app


@pytest.mark.parametrize("values", [{}, {"ingress": {"enabled": True, "hostname": HOST}},
                                    {"route": {"enabled": True, "hostname": HOST}}],
                         ids=["no-ingress", "ingress", "route"])
def test_worker_pods_and_port_stay_apart_from_the_user_facing_service(render, values):
    out = render(values)
    worker_labels = out.worker_job["spec"]["template"]["metadata"]["labels"]
    app_labels = out.one("StatefulSet")["spec"]["template"]["metadata"]["labels"]
    assert worker_labels["app.kubernetes.io/component"] == "worker"
    assert worker_labels["app.kubernetes.io/instance"] == RELEASE
    # Nothing that selects the app selects a worker: its Services, its StatefulSet, its
    # NetworkPolicies (workers have their own).
    selectors = [out.one("StatefulSet")["spec"]["selector"]["matchLabels"]]
    selectors += [s["spec"]["selector"] for s in out.kind("Service")]
    selectors += [p["spec"]["podSelector"]["matchLabels"] for p in out.kind("NetworkPolicy")
                  if p["metadata"]["name"] != f"{FULLNAME}-worker"
                  and not p["metadata"]["name"].endswith("-self-delete")]
    for selector in selectors:
        assert labels_match(selector, app_labels), selector
        assert not labels_match(selector, worker_labels), selector
    worker_policy = out.one("NetworkPolicy", f"{FULLNAME}-worker")["spec"]["podSelector"]
    assert labels_match(worker_policy["matchLabels"], worker_labels)
    assert not labels_match(worker_policy["matchLabels"], app_labels)
    # The user-facing Service has the user port only; Ingress and Route lead there.
    assert [p["name"] for p in out.one("Service", FULLNAME)["spec"]["ports"]] == ["http"]
    for ingress in out.kind("Ingress"):
        backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
        assert backend == {"name": FULLNAME, "port": {"name": "http"}}
    for route in out.kind("Route"):
        assert route["spec"]["to"]["name"] == FULLNAME
        assert route["spec"]["port"] == {"targetPort": "http"}


# --------------------------------------------------------------------------- RBAC


def test_launcher_role_grants_exactly_what_the_launcher_calls(render):
    out = render({})
    name = f"{FULLNAME}-launcher"
    role = out.one("Role", name)
    assert role["metadata"].get("namespace") in (None, NAMESPACE)
    assert role["rules"] == LAUNCHER_RULES
    binding = out.one("RoleBinding", name)
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                  "name": name}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": f"{FULLNAME}-app",
                                    "namespace": NAMESPACE}]
    out.one("ServiceAccount", f"{FULLNAME}-app")
    assert out.app_pod["serviceAccountName"] == f"{FULLNAME}-app"
    assert out.app_pod["automountServiceAccountToken"] is True


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("from_app", [False, True])
def test_nothing_cluster_wide_in_any_mode(render, mode, from_app):
    out = render({**MODES[mode], "autoDelete": {"fromApp": from_app}})
    kinds = {doc["kind"] for doc in out.docs}
    assert not kinds & {"ClusterRole", "ClusterRoleBinding", "Namespace"}
    for binding in out.kind("RoleBinding"):
        assert binding["roleRef"]["kind"] == "Role"  # never a ClusterRole (admin, edit...)
        for subject in binding["subjects"]:
            assert subject["namespace"] == NAMESPACE
    # The app's two Roles share one identity; neither grants what the other needs.
    if from_app and mode == "while-transcribing":
        bindings = {b["metadata"]["name"]: b["subjects"] for b in out.kind("RoleBinding")}
        assert bindings[f"{FULLNAME}-app"] == bindings[f"{FULLNAME}-launcher"]
        assert out.one("Role", f"{FULLNAME}-launcher")["rules"] == LAUNCHER_RULES


# --------------------------------------------------------------------------- network


class Endpoint:
    """A pod (labels, namespace, named ports) or an outside address, for the evaluator."""

    def __init__(self, ip: str, labels: dict[str, str] | None = None,
                 namespace: str | None = None, ports: dict[str, int] | None = None):
        self.ip, self.labels, self.namespace = ip, labels, namespace
        self.ports = ports or {}


NAMESPACE_LABELS = {NAMESPACE: {"kubernetes.io/metadata.name": NAMESPACE},
                    "ingress-nginx": {"kubernetes.io/metadata.name": "ingress-nginx"},
                    "kube-system": {"kubernetes.io/metadata.name": "kube-system"}}


def _peer_matches(peer: dict[str, Any], other: Endpoint) -> bool:
    if "ipBlock" in peer:
        network = ipaddress.ip_network(peer["ipBlock"]["cidr"])
        address = ipaddress.ip_address(other.ip)
        return address.version == network.version and address in network and not any(
            address in ipaddress.ip_network(cidr) for cidr in peer["ipBlock"].get("except", []))
    if other.labels is None:
        return False  # selectors match pods only
    if "namespaceSelector" in peer:
        labels = NAMESPACE_LABELS[other.namespace]
        if not labels_match(peer["namespaceSelector"].get("matchLabels", {}), labels):
            return False
    elif other.namespace != NAMESPACE:
        return False
    return labels_match((peer.get("podSelector") or {}).get("matchLabels", {}), other.labels)


def _port_matches(rule: dict[str, Any], port: int, destination: Endpoint) -> bool:
    if "ports" not in rule:
        return True
    return any(destination.ports.get(p["port"], p["port"]) == port for p in rule["ports"])


def _direction_allows(policies, pod: Endpoint, other: Endpoint, port: int,
                      direction: str, destination: Endpoint) -> bool:
    if pod.labels is None or pod.namespace != NAMESPACE:
        return True  # not governed by this release's policies
    selecting = [p["spec"] for p in policies
                 if direction in p["spec"]["policyTypes"]
                 and labels_match(p["spec"]["podSelector"].get("matchLabels", {}), pod.labels)]
    if not selecting:
        return True
    peers_key = "from" if direction == "Ingress" else "to"
    # A rule without peers admits every peer; a policy without rules, none.
    return any(
        _port_matches(rule, port, destination)
        and (not rule.get(peers_key) or any(_peer_matches(p, other) for p in rule[peers_key]))
        for spec in selecting for rule in spec.get(direction.lower(), []))


def allowed(policies, source: Endpoint, destination: Endpoint, port: int) -> bool:
    """NetworkPolicy semantics: a connection needs the source's egress and the
    destination's ingress, each allowed when no policy of that type selects the pod."""
    return (_direction_allows(policies, source, destination, port, "Egress", destination)
            and _direction_allows(policies, destination, source, port, "Ingress", destination))


def endpoints(out) -> dict[str, Endpoint]:
    app_labels = out.one("StatefulSet")["spec"]["template"]["metadata"]["labels"]
    worker = out.worker_job["spec"]["template"]["metadata"]["labels"] if out.worker_job else {}
    return {
        "app": Endpoint("10.1.0.10", app_labels, NAMESPACE, {"http": 8501, "worker": 8502}),
        "worker": Endpoint("10.1.0.20", worker, NAMESPACE),
        "router": Endpoint("10.1.0.30", {"app": "ingress-nginx"}, "ingress-nginx"),
        "neighbour": Endpoint("10.1.0.40", {"app": "jupyter"}, NAMESPACE),
        "dns": Endpoint("10.1.0.53", {"k8s-app": "kube-dns"}, "kube-system"),
        "api-server": Endpoint("10.0.0.1"),
        "internet": Endpoint("203.0.113.7"),
    }


def test_network_policies_for_gpu_workers(render):
    out = render({})
    policies = out.kind("NetworkPolicy")
    at = endpoints(out)

    def can(source: str, destination: str, port: int) -> bool:
        return allowed(policies, at[source], at[destination], port)

    # Workers reach the app's worker port, and nothing else.
    assert can("worker", "app", 8502)
    for destination, port in (("app", 8501), ("api-server", 443), ("internet", 443),
                              ("neighbour", 8888), ("dns", 53), ("worker", 8502)):
        assert not can("worker", destination, port), (destination, port)
    # Nothing reaches a worker.
    for source in ("app", "router", "neighbour", "worker"):
        assert not can(source, "worker", 8502) and not can(source, "worker", 80), source
    # The app's worker port: workers only; its user port: the ingress controller only.
    assert can("router", "app", 8501)
    for source in ("router", "neighbour"):
        assert not can(source, "app", 8502), source
    assert not can("neighbour", "app", 8501)
    # The app reaches the API server (by IP: no DNS), and neither workers nor DNS.
    assert can("app", "api-server", 443) and can("app", "api-server", 6443)
    for destination, port in (("worker", 8502), ("dns", 53), ("internet", 80),
                              ("neighbour", 8888)):
        assert not can("app", destination, port), (destination, port)


def test_network_policies_with_dns_and_a_narrowed_api_server(render):
    out = render({"security": {"dns": {"enabled": True}},
                  "autoDelete": {"apiServer": {"cidrs": ["10.0.0.1/32"], "ports": [443]}}})
    policies = out.kind("NetworkPolicy")
    at = endpoints(out)
    assert allowed(policies, at["worker"], at["dns"], 53)
    assert allowed(policies, at["app"], at["dns"], 53)
    assert allowed(policies, at["app"], at["api-server"], 443)
    assert not allowed(policies, at["app"], at["internet"], 443)
    assert not allowed(policies, at["worker"], at["api-server"], 443)
    assert not allowed(policies, at["worker"], at["internet"], 53)


def test_worker_port_stays_closed_when_the_platform_opens_the_app(render):
    """security.networkPolicy.enabled false (a region without network policies): the user
    port is open as it would be without a policy, the worker port still only to workers."""
    out = render({"security": {"networkPolicy": {"enabled": False}, "denyEgress": False}})
    policies = out.kind("NetworkPolicy")
    at = endpoints(out)
    assert allowed(policies, at["neighbour"], at["app"], 8501)
    assert not allowed(policies, at["neighbour"], at["app"], 8502)
    assert allowed(policies, at["worker"], at["app"], 8502)
    assert not allowed(policies, at["worker"], at["internet"], 443)


@pytest.mark.parametrize("mode", ["whole-service", "cpu-only"])
def test_without_workers_the_app_reaches_nothing(render, mode):
    out = render(MODES[mode])
    policies = out.kind("NetworkPolicy")
    at = endpoints(out)
    for destination, port in (("api-server", 443), ("internet", 443), ("dns", 53)):
        assert not allowed(policies, at["app"], at[destination], port)
    assert not allowed(policies, at["router"], at["app"], 8502)


# --------------------------------------------------------------------------- deletion


def test_running_workers_go_with_the_statefulset(render):
    """Job names are generated: no plan can name them. The app gives every Job an
    ownerReference to the StatefulSet (TRANSCRIBE_OWNER_STATEFULSET, whose uid the
    launcher Role may read); the deletion at the deadline deletes that StatefulSet first,
    the app's delete button last, and helm uninstall deletes it too: the garbage collector
    then removes the Jobs and their pods (background propagation, tests/test_self_delete.py)."""
    out = render({"autoDelete": {"fromApp": True}})
    owner = out.app_env["TRANSCRIBE_OWNER_STATEFULSET"]
    statefulset = {"apiVersion": "apps/v1", "resource": "statefulsets", "name": owner}
    job_env = {e["name"]: e.get("value") for e in out.job_pod["containers"][0]["env"]}
    assert json.loads(job_env["SELF_DELETE_PLAN"])["delete"][0] == statefulset
    assert json.loads(out.app_env["SELF_DELETE_PLAN"])["last"] == statefulset
    assert LAUNCHER_RULES[-1]["resourceNames"] == [owner]
    assert out.one("StatefulSet")["metadata"]["name"] == owner


def test_long_release_names_give_valid_worker_names(render):
    release = "transcription-for-the-sociology-lab-interviews-2026"  # 51 characters
    out = render({}, name=release)
    job = out.worker_job
    # The Job controller names pods "<job>-<5 characters>"; a Job name is a label value.
    assert len(job["metadata"]["generateName"]) + 5 + 6 <= 63
    for value in job["metadata"]["labels"].values():
        assert len(value) <= 63
    assert len(out.app_env["TRANSCRIBE_WORKER_SERVICE"]) <= 63
