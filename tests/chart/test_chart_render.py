"""Rendered manifests under several value sets, checked against Kubernetes' schemas."""

from __future__ import annotations

import base64
import functools
import json
from datetime import UTC, datetime, timedelta

import kubernetes_validate
import pytest

helm = pytest.importorskip("helm_python")

RELEASE = "whisper-transcription-123456"  # conftest.py
FULLNAME = RELEASE  # the release name contains the chart name
HOST = "user-jdoe-123456-0.lab.example.org"
KUBE_VERSIONS = ["1.30", "1.33", kubernetes_validate.utils.latest_version()]

VALUE_SETS = {
    "defaults": {},  # GPU while transcribing: the app on CPU, GPU workers as Jobs
    "whole-service": {"gpu": {"mode": "whole-service"}},
    "cpu-only": {"gpu": {"enabled": False}},
    "delete-button": {"autoDelete": {"fromApp": True}},
    "ingress": {
        "ingress": {
            "enabled": True,
            "hostname": HOST,
            "ingressClassName": "nginx",
            "useCertManager": True,
            "certManagerClusterIssuer": "letsencrypt",
        }
    },
    "route": {"route": {"enabled": True, "hostname": HOST}},
    "memory": {
        "data": {"inMemory": True, "sizeLimit": "8Gi"},
        "resources": {"limits": {"memory": "48Gi"}},
    },
    "base-path": {
        "networking": {"basePath": "/transcribe/"},
        "ingress": {"enabled": True, "hostname": HOST},
    },
    "no-network-policy": {
        "security": {"networkPolicy": {"enabled": False}, "denyEgress": False}
    },
    "dns": {"security": {"dns": {"enabled": True}}},
}
DNS_PODS = [
    {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
    }
]
DNS_PORTS = [
    {"protocol": protocol, "port": port} for port in (53, 5353) for protocol in ("UDP", "TCP")
]


@functools.cache
def _schema_file(filename: str, version: str):
    return _original_schema_contents(filename, version)


_original_schema_contents = kubernetes_validate.utils.schema_contents


@pytest.fixture(autouse=True, scope="module")
def _cache_kubernetes_schemas():
    """kubernetes-validate re-reads its JSON schemas on every call; read each once."""
    kubernetes_validate.utils.schema_contents = _schema_file
    yield
    kubernetes_validate.utils.schema_contents = _original_schema_contents


def env_of(container):
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def minute(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


# --------------------------------------------------------------------------- every value set


@pytest.fixture(scope="module", params=[*sorted(VALUE_SETS), "onyxia"])
def rendered(request, render, onyxia_values):
    values = onyxia_values if request.param == "onyxia" else VALUE_SETS[request.param]
    return render(values)


def test_manifests_are_valid_kubernetes_objects(rendered):
    for doc in rendered.docs:
        if doc["apiVersion"] == "route.openshift.io/v1":
            continue  # not a built-in kind: checked in test_route_option
        for version in KUBE_VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                pytest.fail(
                    f"{doc['kind']}/{doc['metadata']['name']} invalid for {version}: "
                    f"{'.'.join(map(str, error.path))}: {error.message}"
                )


def test_pods_are_locked_down(rendered):
    pods = [rendered.app_pod, rendered.job_pod]
    if rendered.worker_job:
        pods.append(rendered.worker_pod)
    for pod in pods:
        context = pod["securityContext"]
        assert context["runAsNonRoot"] is True
        assert context["runAsUser"] == 1000 and context["runAsGroup"] == 100
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False
            assert security["readOnlyRootFilesystem"] is True
            assert security["capabilities"] == {"drop": ["ALL"]}
            assert security["runAsNonRoot"] is True
    assert (
        rendered.job_pod["automountServiceAccountToken"] is True
    )  # the deletion job
    # The app gets a token only to start GPU workers and/or delete its release.
    uses_api = (rendered.app_env["TRANSCRIBE_WORKER_LAUNCHER"] == "kubernetes"
                or "SELF_DELETE_PLAN" in rendered.app_env)
    assert rendered.app_pod["automountServiceAccountToken"] is uses_api
    assert rendered.app_pod.get("serviceAccountName") == (f"{FULLNAME}-app" if uses_api else None)
    if rendered.worker_job:
        assert rendered.worker_pod["automountServiceAccountToken"] is False
        assert "serviceAccountName" not in rendered.worker_pod


def test_data_is_ephemeral(rendered):
    volumes = {v["name"]: v for v in rendered.app_pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in rendered.app_container["volumeMounts"]}
    if rendered.worker_job:
        # The worker's Job manifest, read-only; never data.
        assert volumes.pop("worker-job") == {
            "name": "worker-job", "configMap": {"name": f"{FULLNAME}-worker-job"}}
        assert mounts.pop("/etc/transcribe") == "worker-job"
        assert {"name": "worker-job", "mountPath": "/etc/transcribe", "readOnly": True} in (
            rendered.app_container["volumeMounts"])
        (scratch,) = rendered.worker_pod["volumes"]
        assert scratch["name"] == "tmp" and "emptyDir" in scratch
        assert rendered.worker_container["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert set(volumes) == {"data", "tmp"}
    assert all("emptyDir" in v for v in volumes.values())
    assert not rendered.kind("PersistentVolumeClaim")
    assert "volumeClaimTemplates" not in rendered.one("StatefulSet")["spec"]
    assert mounts == {"/data": "data", "/tmp": "tmp"}
    assert rendered.app_env["TRANSCRIBE_DATA_DIR"] == "/data"


def test_app_environment_contract(rendered):
    env = rendered.app_env
    assert env["TRANSCRIBE_PASSWORD"] == {
        "secretKeyRef": {"name": FULLNAME, "key": "password"}
    }
    assert env["TRANSCRIBE_PORT"] == "8501"
    assert env["TRANSCRIBE_MAX_UPLOAD_MB"] == "2048"
    assert env["TRANSCRIBE_UI_LANGUAGE"] in ("fr", "en")
    assert env["TRANSCRIBE_DEFAULT_MODEL"] in (
        "large-v3-turbo",
        "large-v3",
        "small",
        "base",
    )
    assert env["HF_HUB_OFFLINE"] == "1" and env["TRANSFORMERS_OFFLINE"] == "1"
    assert env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] == "false"
    assert env["PYANNOTE_METRICS_ENABLED"] == "false" and env["DO_NOT_TRACK"] == "1"
    assert "TRANSCRIBE_MODELS_DIR" not in env  # baked in the image
    minute(env["TRANSCRIBE_DELETE_AT"])  # ISO-8601 UTC
    ports = [{"name": "http", "containerPort": 8501, "protocol": "TCP"}]
    if env["TRANSCRIBE_WORKER_LAUNCHER"] == "kubernetes":
        ports.append({"name": "worker", "containerPort": 8502, "protocol": "TCP"})
        assert env["TRANSCRIBE_WORKER_PORT"] == "8502"
    else:
        assert "TRANSCRIBE_WORKER_PORT" not in env  # child processes: any free local port
    assert rendered.app_container["ports"] == ports


def test_the_app_is_told_when_a_proxy_is_in_front(rendered):
    """Behind the chart's ingress or route the app believes X-Forwarded-For (the login
    limit's client address) and X-Forwarded-Host; reached directly, no one's headers."""
    fronted = rendered.kind("Ingress") or rendered.kind("Route")
    assert rendered.app_env.get("TRANSCRIBE_BEHIND_PROXY") == ("true" if fronted else None)


def test_deadline_is_the_same_everywhere(rendered):
    at = rendered.app_env["TRANSCRIBE_DELETE_AT"]
    deadline = minute(at)
    cronjob = rendered.one("CronJob")
    # Daily at the deadline's minute (tests/chart/test_chart_trust.py).
    assert cronjob["spec"]["schedule"] == f"{deadline.minute} {deadline.hour} * * *"
    assert cronjob["spec"]["timeZone"] == "Etc/UTC"
    assert env_of(rendered.job_pod["containers"][0])["TRANSCRIBE_DELETE_AT"] == at
    assert rendered.one("ConfigMap", f"{FULLNAME}-deadline")["data"]["deleteAt"] == at
    assert (
        rendered.one("StatefulSet")["spec"]["template"]["metadata"]["annotations"][
            "transcribe/delete-at"
        ]
        == at
    )
    assert deadline.strftime("%Y-%m-%d %H:%M UTC") in rendered.notes


def test_default_deadline_is_now_plus_ttl(render):
    before = datetime.now(UTC)
    at = minute(render({}).app_env["TRANSCRIBE_DELETE_AT"])
    after = datetime.now(UTC)
    # Rounded down to the minute: never later than the ttl.
    assert (
        before + timedelta(hours=24) - timedelta(minutes=1)
        <= at
        <= after + timedelta(hours=24)
    )
    at = minute(render({"autoDelete": {"ttlHours": 3}}).app_env["TRANSCRIBE_DELETE_AT"])
    assert at <= datetime.now(UTC) + timedelta(hours=3)
    assert at >= before + timedelta(hours=3) - timedelta(minutes=1)


def test_network_policies_deny_all_egress_of_the_app(rendered):
    policies = {
        p["metadata"]["name"]: p["spec"] for p in rendered.kind("NetworkPolicy")
    }
    for name, spec in policies.items():
        # A rule without "to" (or with an empty one) reaches every address.
        for rule in spec.get("egress", []):
            assert rule.get("to"), (name, rule)
    self_delete = policies.pop(f"{FULLNAME}-self-delete")  # always present
    assert self_delete["policyTypes"] == ["Ingress", "Egress"]
    assert self_delete["ingress"] == []
    *dns, api = self_delete["egress"]
    # DNS only with security.dns.enabled (the "dns" value set), to the DNS pods only.
    assert dns in ([], [{"to": DNS_PODS, "ports": DNS_PORTS}])
    assert {p["port"] for p in api["ports"]} == {443, 6443} and all(
        p["protocol"] == "TCP" for p in api["ports"]
    )
    assert (
        self_delete["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
        == "self-delete"
    )

    egress = policies.get(f"{FULLNAME}-egress")
    if egress is None:  # the no-network-policy value set
        return
    assert egress["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": "whisper-transcription",
        "app.kubernetes.io/instance": RELEASE,
        "app.kubernetes.io/component": "app",
    }
    assert egress["policyTypes"] == ["Egress"]
    assert egress["egress"] == dns  # nothing else goes out


def test_by_default_nothing_goes_out_not_even_dns(render, onyxia_values):
    """The app resolves no name (tests/image/test_offline.py audits every lookup) and
    the deletion job reaches the API server by the IP in KUBERNETES_SERVICE_HOST."""
    for out in (render({}), render(onyxia_values)):
        app = out.one("NetworkPolicy", f"{FULLNAME}-egress")["spec"]
        assert app["policyTypes"] == ["Egress"] and app["egress"] == []
        job = out.one("NetworkPolicy", f"{FULLNAME}-self-delete")["spec"]
        assert [rule["to"][0] for rule in job["egress"]] == [
            {"ipBlock": {"cidr": "0.0.0.0/0"}}
        ]


def test_dns_option_reaches_the_cluster_dns_pods_only(render):
    out = render(VALUE_SETS["dns"])
    dns_rule = {"to": DNS_PODS, "ports": DNS_PORTS}
    app = out.one("NetworkPolicy", f"{FULLNAME}-egress")["spec"]
    assert app["egress"] == [dns_rule]
    job = out.one("NetworkPolicy", f"{FULLNAME}-self-delete")["spec"]
    assert job["egress"][0] == dns_rule and len(job["egress"]) == 2
    for rule in (*app["egress"], *job["egress"][:1]):
        assert all("ipBlock" not in peer for peer in rule["to"])

    # OpenShift's DNS pods, as an admin would give them.
    openshift = [
        {
            "namespaceSelector": {
                "matchLabels": {"kubernetes.io/metadata.name": "openshift-dns"}
            },
            "podSelector": {
                "matchLabels": {"dns.operator.openshift.io/daemonset-dns": "default"}
            },
        }
    ]
    out = render(
        {"security": {"dns": {"enabled": True, "to": openshift, "ports": [5353]}}}
    )
    (rule,) = out.one("NetworkPolicy", f"{FULLNAME}-egress")["spec"]["egress"]
    assert rule["to"] == openshift
    assert {(p["protocol"], p["port"]) for p in rule["ports"]} == {
        ("UDP", 5353),
        ("TCP", 5353),
    }


def test_ingress_network_policy_admits_only_the_allowed_sources(rendered):
    policy = next(
        (
            p
            for p in rendered.kind("NetworkPolicy")
            if p["metadata"]["name"] == f"{FULLNAME}-ingress"
        ),
        None,
    )
    workers = rendered.app_env["TRANSCRIBE_WORKER_LAUNCHER"] == "kubernetes"
    if policy is None:
        assert not workers  # GPU workers always get the worker port's rule
        return
    spec = policy["spec"]
    assert spec["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "app"
    assert spec["policyTypes"] == ["Ingress"]
    rules = spec["ingress"]
    if workers:
        # The worker port: this release's worker pods only, nothing else.
        *rules, worker_rule = rules
        assert worker_rule == {
            "from": [{"podSelector": {"matchLabels": {
                "app.kubernetes.io/name": "whisper-transcription",
                "app.kubernetes.io/instance": RELEASE,
                "app.kubernetes.io/component": "worker"}}}],
            "ports": [{"protocol": "TCP", "port": "worker"}],
        }
    (rule,) = rules
    assert rule["ports"] == [{"protocol": "TCP", "port": "http"}]
    if "from" not in rule:
        # Source restriction turned off by the platform: the user port stays open to all
        # (as without a policy), the worker port does not.
        assert workers and rule == {"ports": [{"protocol": "TCP", "port": "http"}]}
        return
    assert rule["from"], "an empty 'from' would admit everyone"
    assert {
        "namespaceSelector": {
            "matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}
        }
    } in rule["from"]


def test_self_deletion_objects(rendered):
    name = f"{FULLNAME}-self-delete"
    cronjob = rendered.one("CronJob", name)
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    pod = rendered.job_pod
    assert pod["serviceAccountName"] == name and pod["restartPolicy"] == "OnFailure"
    container = pod["containers"][0]
    assert container["command"] == ["transcribe-self-delete"]
    env = env_of(container)
    assert env["SELF_DELETE_JOB_UID"] == {
        "fieldRef": {
            "fieldPath": "metadata.labels['batch.kubernetes.io/controller-uid']"
        }
    }
    rendered.one("ServiceAccount", name)
    binding = rendered.one("RoleBinding", name)
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": name,
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": name, "namespace": "user-jdoe"}
    ]

    role = rendered.one("Role", name)
    names = set()
    for rule in role["rules"]:
        # resourceNames on every rule; no verb that ignores them.
        assert rule["resourceNames"], rule
        assert set(rule["verbs"]) <= {"get", "delete", "patch"}, rule
        names |= set(rule["resourceNames"])
    for resource_name in names:
        assert RELEASE in resource_name, resource_name
    assert f"sh.helm.release.v1.{RELEASE}.v1" in names
    assert f"sh.onyxia.release.v1.{RELEASE}" in names
    assert f"{FULLNAME}-0" in names  # the app pod

    # The plan and the Role agree; the workload comes first, the CronJob last.
    plan = json.loads(env["SELF_DELETE_PLAN"])
    assert plan["delete"][0] == {
        "apiVersion": "apps/v1",
        "resource": "statefulsets",
        "name": FULLNAME,
    }
    assert plan["delete"][1]["resource"] == "pods" and plan["delete"][1]["wait"] is True
    assert plan["last"] == {
        "apiVersion": "batch/v1",
        "resource": "cronjobs",
        "name": name,
    }
    for entry in [*plan["delete"], *plan["ownByJob"], plan["last"]]:
        assert entry["name"] in names, entry


def test_every_object_is_labelled_for_the_release(rendered):
    for doc in rendered.docs:
        labels = doc["metadata"]["labels"]
        assert labels["app.kubernetes.io/instance"] == RELEASE
        assert labels["app.kubernetes.io/managed-by"] == "Helm"


# --------------------------------------------------------------------------- specific value sets


GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


def test_gpu_while_transcribing_by_default(render):
    """The app pod asks for CPU and memory only and starts GPU workers as Jobs."""
    out = render({})
    container = out.app_container
    # The same image as the workers: the app can run their models on its CPU.
    assert (
        container["image"]
        == "ghcr.io/whisper-transcription/whisper-transcription:0.1.0-gpu"
    )
    assert container["resources"] == {
        "requests": {"cpu": "2000m", "memory": "8Gi", "ephemeral-storage": "71680Mi"},
        "limits": {"cpu": "8000m", "memory": "24Gi"},
    }
    env = out.app_env
    assert env["TRANSCRIBE_DEVICE"] == "cpu" and env["CUDA_VISIBLE_DEVICES"] == ""
    assert env["TRANSCRIBE_WORKER_LAUNCHER"] == "kubernetes"
    assert env["TRANSCRIBE_DEFAULT_MODEL"] == "large-v3-turbo"  # what the workers run
    assert "tolerations" not in out.app_pod and "nodeSelector" not in out.app_pod
    # The GPU is the worker's.
    worker = out.worker_container
    assert worker["image"] == container["image"]
    assert worker["command"] == ["transcribe-worker"]
    assert worker["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert out.worker_env["TRANSCRIBE_DEVICE"] == "cuda"
    assert out.worker_pod["tolerations"] == [GPU_TOLERATION]
    assert "livenessProbe" not in container
    assert container["startupProbe"]["httpGet"] == {
        "path": "/_stcore/health",
        "port": "http",
    }


def test_gpu_for_the_whole_service(render):
    """Before GPU workers, and still on request: the app pod holds the GPU."""
    out = render({"gpu": {"mode": "whole-service", "nodeSelector": {"gpu": "a100"}}})
    container = out.app_container
    assert container["image"].endswith(":0.1.0-gpu")
    assert container["resources"] == {
        "requests": {"cpu": "2000m", "memory": "8Gi", "ephemeral-storage": "71680Mi"},
        "limits": {"cpu": "8000m", "memory": "24Gi", "nvidia.com/gpu": "1"},
    }
    env = out.app_env
    assert env["TRANSCRIBE_DEVICE"] == "cuda" and "CUDA_VISIBLE_DEVICES" not in env
    assert env["TRANSCRIBE_WORKER_LAUNCHER"] == "process"
    assert env["TRANSCRIBE_DEFAULT_MODEL"] == "large-v3-turbo"
    assert GPU_TOLERATION in out.app_pod["tolerations"]
    assert out.app_pod["nodeSelector"] == {"gpu": "a100"}
    assert out.worker_job is None


def test_cpu_only_mode(render):
    out = render({"gpu": {"enabled": False, "nodeSelector": {"gpu": "a100"}}})
    container = out.app_container
    assert container["image"].endswith(":0.1.0-cpu")
    assert "nvidia.com/gpu" not in container["resources"]["limits"]
    assert "nvidia.com/gpu" not in container["resources"].get("requests", {})
    env = out.app_env
    assert env["TRANSCRIBE_DEVICE"] == "cpu"
    assert env["TRANSCRIBE_DEFAULT_MODEL"] == "small"
    assert env["CUDA_VISIBLE_DEVICES"] == ""
    assert "tolerations" not in out.app_pod and "nodeSelector" not in out.app_pod
    assert out.job_pod["containers"][0]["image"].endswith(":0.1.0-cpu")
    assert "CPU" in out.notes and "GPU" not in out.notes


def test_explicit_model_and_image(render):
    out = render(
        {
            "gpu": {"enabled": False},
            "transcription": {"defaultModel": "base"},  # one the cpu image has
            "service": {"image": {"tag": "0.1.1-cpu"}},
            "autoDelete": {
                "image": {"repository": "registry.example.org/tools", "tag": "1"}
            },
        }
    )
    assert out.app_env["TRANSCRIBE_DEFAULT_MODEL"] == "base"
    assert out.app_container["image"].endswith(":0.1.1-cpu")
    assert out.job_pod["containers"][0]["image"] == "registry.example.org/tools:1"


def test_ingress_host_tls_and_cert_manager(render):
    out = render(VALUE_SETS["ingress"])
    ingress = out.one("Ingress", FULLNAME)
    spec = ingress["spec"]
    assert spec["ingressClassName"] == "nginx"
    assert spec["rules"][0]["host"] == HOST
    path = spec["rules"][0]["http"]["paths"][0]
    assert path["path"] == "/" and path["pathType"] == "Prefix"
    assert path["backend"]["service"] == {"name": FULLNAME, "port": {"name": "http"}}
    assert spec["tls"] == [{"hosts": [HOST], "secretName": f"tls-cert-{FULLNAME}"}]
    annotations = ingress["metadata"]["annotations"]
    assert annotations["cert-manager.io/cluster-issuer"] == "letsencrypt"
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "2048m"
    assert not out.kind("Route")
    assert f"https://{HOST}/" in out.notes


def test_ingress_tls_with_the_clusters_default_or_named_certificate(render):
    spec = render({"ingress": {"enabled": True, "hostname": HOST}}).one("Ingress")[
        "spec"
    ]
    assert spec["tls"] == [
        {"hosts": [HOST]}
    ]  # the ingress controller's default certificate
    assert "ingressClassName" not in spec
    spec = render(
        {
            "ingress": {
                "enabled": True,
                "hostname": HOST,
                "useTlsSecret": True,
                "tlsSecretName": "wildcard-lab",
            }
        }
    ).one("Ingress")["spec"]
    assert spec["tls"][0]["secretName"] == "wildcard-lab"
    out = render({"ingress": {"enabled": True, "hostname": HOST, "tls": False}})
    assert "tls" not in out.one("Ingress")["spec"]
    assert f"http://{HOST}/" in out.notes


def test_ingress_requires_a_hostname(render):
    with pytest.raises(helm.HelmRenderError, match=r"ingress\.hostname is required"):
        render({"ingress": {"enabled": True}})


def test_route_option(render):
    out = render(VALUE_SETS["route"])
    route = out.one("Route", FULLNAME)
    assert route["apiVersion"] == "route.openshift.io/v1"
    spec = route["spec"]
    assert spec["host"] == HOST and spec["path"] == "/"
    assert spec["to"] == {"kind": "Service", "name": FULLNAME, "weight": 100}
    assert spec["port"] == {"targetPort": "http"}
    assert spec["tls"] == {
        "termination": "edge",
        "insecureEdgeTerminationPolicy": "Redirect",
    }
    assert not out.kind("Ingress")
    policy = out.one("NetworkPolicy", f"{FULLNAME}-ingress")
    assert {
        "namespaceSelector": {
            "matchLabels": {"policy-group.network.openshift.io/ingress": ""}
        }
    } in (policy["spec"]["ingress"][0]["from"])
    rules = out.one("Role", f"{FULLNAME}-self-delete")["rules"]
    assert any(
        r["apiGroups"] == ["route.openshift.io"] and r["resourceNames"] == [FULLNAME]
        for r in rules
    )
    assert not any(
        "networking.k8s.io" in r["apiGroups"] and "ingresses" in r["resources"]
        for r in rules
    )
    assert f"https://{HOST}/" in out.notes


def test_memory_backed_data_volume(render):
    out = render(VALUE_SETS["memory"])
    volumes = {v["name"]: v["emptyDir"] for v in out.app_pod["volumes"] if "emptyDir" in v}
    assert volumes["data"] == {"medium": "Memory", "sizeLimit": "8Gi"}
    assert volumes["tmp"] == {"medium": "Memory", "sizeLimit": "20Gi"}
    # The GPU worker's scratch space too: audio never lands on a node's disk.
    assert out.worker_pod["volumes"][0]["emptyDir"] == {"medium": "Memory", "sizeLimit": "20Gi"}
    assert "ephemeral-storage" not in out.worker_container["resources"]["requests"]
    default = render({})
    volumes = {v["name"]: v["emptyDir"] for v in default.app_pod["volumes"] if "emptyDir" in v}
    assert volumes == {"data": {"sizeLimit": "50Gi"}, "tmp": {"sizeLimit": "20Gi"}}
    assert default.worker_pod["volumes"][0]["emptyDir"] == {"sizeLimit": "20Gi"}
    assert default.worker_container["resources"]["requests"]["ephemeral-storage"] == "20Gi"


@pytest.mark.parametrize(
    ("data", "memory"),
    [
        ({}, "32Gi"),  # the defaults: 50Gi + 20Gi of files for 32Gi
        ({"sizeLimit": "12Gi"}, "32Gi"),  # exactly the limit: no room for the app
        ({"sizeLimit": "30G", "tmpSizeLimit": "2Gi"}, "32G"),  # decimal units
        ({"sizeLimit": "1Ti", "tmpSizeLimit": "1Mi"}, "200Gi"),
    ],
)
def test_memory_backed_volumes_must_fit_in_the_memory_limit(render, data, memory):
    """tmpfs pages count against the container's memory: volumes that may reach the
    limit get the pod OOM-killed mid-transcription."""
    values = {
        "data": {"inMemory": True, **data},
        "resources": {"limits": {"memory": memory}},
    }
    with pytest.raises(helm.HelmRenderError, match="OOM-killed") as caught:
        render(values)
    assert "resources.limits.memory" in str(caught.value)


@pytest.mark.parametrize(
    ("data", "memory"),
    [
        ({"sizeLimit": "8Gi"}, "32Gi"),
        ({"sizeLimit": "1.5Gi", "tmpSizeLimit": "10240Mi"}, "12Gi"),
        ({"sizeLimit": "20G", "tmpSizeLimit": "10G"}, "32Gi"),  # 30e9 < 32 * 2**30
    ],
)
def test_memory_backed_volumes_below_the_limit_render(render, data, memory):
    out = render({"data": {"inMemory": True, **data},
                  "resources": {"requests": {"memory": "2Gi"}, "limits": {"memory": memory}}})
    volumes = {v["name"]: v["emptyDir"] for v in out.app_pod["volumes"] if "emptyDir" in v}
    assert volumes["data"]["medium"] == volumes["tmp"]["medium"] == "Memory"


def test_disk_backed_volumes_may_exceed_the_memory_limit(render):
    render({"data": {"sizeLimit": "200Gi"}, "resources": {"limits": {"memory": "12Gi"}}})


def test_base_path(render):
    out = render(VALUE_SETS["base-path"])
    assert out.app_env["TRANSCRIBE_BASE_PATH"] == "/transcribe"
    assert (
        out.one("Ingress")["spec"]["rules"][0]["http"]["paths"][0]["path"]
        == "/transcribe"
    )
    assert (
        out.app_container["startupProbe"]["httpGet"]["path"]
        == "/transcribe/_stcore/health"
    )
    assert (
        out.app_container["readinessProbe"]["httpGet"]["path"]
        == "/transcribe/_stcore/health"
    )
    assert f"https://{HOST}/transcribe/" in out.notes


def test_no_allowed_source_means_no_one_rather_than_everyone(render):
    out = render({"security": {"networkPolicy": {"from": []}}, "gpu": {"mode": "whole-service"}})
    policy = out.one("NetworkPolicy", f"{FULLNAME}-ingress")
    assert policy["spec"]["ingress"] == []
    # With GPU workers: their port only, from them only.
    out = render({"security": {"networkPolicy": {"from": []}}})
    (rule,) = out.one("NetworkPolicy", f"{FULLNAME}-ingress")["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": "worker"}]


def test_disabled_policies_are_not_in_the_role(render):
    whole_service = {**VALUE_SETS["no-network-policy"], "gpu": {"mode": "whole-service"}}
    out = render(whole_service)
    assert [p["metadata"]["name"] for p in out.kind("NetworkPolicy")] == [
        f"{FULLNAME}-self-delete"
    ]
    for rule in out.one("Role", f"{FULLNAME}-self-delete")["rules"]:
        assert f"{FULLNAME}-egress" not in rule["resourceNames"]
        assert f"{FULLNAME}-ingress" not in rule["resourceNames"]
    # GPU workers keep their own policies whatever the platform's settings.
    out = render(VALUE_SETS["no-network-policy"])
    assert sorted(p["metadata"]["name"] for p in out.kind("NetworkPolicy")) == [
        f"{FULLNAME}-{suffix}" for suffix in ("app-api", "ingress", "self-delete", "worker")
    ]


def test_onyxia_launch(render, onyxia_values):
    out = render(onyxia_values)
    ingress = out.one("Ingress")
    assert ingress["spec"]["rules"][0]["host"] == HOST
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert (
        base64.b64decode(out.one("Secret")["data"]["password"]).decode()
        == "s3cret-pass"
    )
    assert out.app_env["TRANSCRIBE_UI_LANGUAGE"] == "fr"
    # The region's placement everywhere; the GPU's for the GPU workers only.
    for pod, keys in ((out.app_pod, ["dedicated"]), (out.job_pod, ["dedicated"]),
                      (out.worker_pod, ["dedicated", "nvidia.com/gpu"])):
        assert pod["nodeSelector"] == {"topology.kubernetes.io/zone": "paris-1"}
        assert [t["key"] for t in pod["tolerations"]] == keys
    assert "nvidia.com/gpu" not in out.app_container["resources"]["limits"]
    assert out.worker_container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert out.app_container["startupProbe"]["failureThreshold"] == 90
    assert "\npassword: s3cret-pass\n" in out.notes and "Votre mot de passe" in out.notes


def test_pinned_deadline(render, deadline):
    out = render({"autoDelete": {"deleteAt": deadline}})
    assert out.app_env["TRANSCRIBE_DELETE_AT"] == deadline
    at = minute(deadline)
    assert out.one("CronJob")["spec"]["schedule"] == f"{at.minute} {at.hour} * * *"


@pytest.mark.parametrize("hour", [0, 8, 9, 10, 23])
def test_deadline_schedule_at_every_hour(render, hour):
    """08 and 09 are where a zero-padded hour read as octal would go wrong."""
    now = datetime.now(UTC)
    at = next(candidate for day in (0, 1) for minute in range(60)
              if now + timedelta(minutes=5) < (candidate := (now + timedelta(days=day)).replace(
                  hour=hour, minute=minute, second=0, microsecond=0))
              < now + timedelta(hours=23, minutes=55))
    out = render({"autoDelete": {"deleteAt": at.strftime("%Y-%m-%dT%H:%M:%SZ")}})
    assert out.one("CronJob")["spec"]["schedule"] == f"{at.minute} {hour} * * *"


@pytest.mark.parametrize("offset", [timedelta(hours=-1), timedelta(hours=25)])
def test_pinned_deadline_must_be_within_a_day(render, offset):
    at = (datetime.now(UTC) + offset).strftime("%Y-%m-%dT%H:%M:%SZ")
    with pytest.raises(helm.HelmRenderError, match="at most 24 h ahead"):
        render({"autoDelete": {"deleteAt": at}})


def test_upgrade_role_covers_every_revision(render):
    out = render({}, revision=7, is_upgrade=True, is_install=False)
    names = next(
        r["resourceNames"]
        for r in out.one("Role", f"{FULLNAME}-self-delete")["rules"]
        if r["resources"] == ["secrets"]
    )
    helm_secrets = [n for n in names if n.startswith("sh.helm.release.v1.")]
    assert helm_secrets == [f"sh.helm.release.v1.{RELEASE}.v{n}" for n in range(1, 18)]


def test_long_release_names_give_valid_object_names(render):
    release = "transcription-for-the-sociology-lab-interviews-2026"  # 51 characters
    out = render({"ingress": {"enabled": True, "hostname": HOST}}, name=release)
    for doc in out.docs:
        name = doc["metadata"]["name"]
        limit = {"CronJob": 52, "Service": 63, "StatefulSet": 52}.get(doc["kind"], 63)
        assert len(name) <= limit, (doc["kind"], name)
        for value in doc["metadata"]["labels"].values():
            assert len(value) <= 63
    assert len(out.one("StatefulSet")["metadata"]["name"] + "-0") <= 63
