"""values.schema.json: what Helm rejects, and what Onyxia's launcher needs."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest

helm = pytest.importorskip("helm_python")

FETCH_MODELS = Path(__file__).resolve().parents[2] / "image" / "fetch_models.py"
PASSWORD = "s3cret-pass"  # the sample context's service.oneTimePassword (conftest.py)
GOOD = {"security": {"password": PASSWORD}}


def with_good(**overrides):
    values = copy.deepcopy(GOOD)
    for dotted, value in overrides.items():
        node = values
        *parents, leaf = dotted.split("__")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return values


def test_defaults_plus_password_are_valid(chart):
    chart.validate_schema(GOOD)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "/security/password"),  # missing: no anonymous access
        ({"security": {"password": "short"}}, "/security/password"),
        (with_good(resources={"limits": {"nvidia.com/gpu": "-1"}}), "nvidia.com~1gpu"),
        (with_good(resources={"limits": {"nvidia.com/gpu": "0"}}), "nvidia.com~1gpu"),
        (
            with_good(resources={"limits": {"nvidia.com/gpu": 1}}),
            "nvidia.com~1gpu",
        ),  # a string, as Onyxia sends
        (with_good(transcription__defaultModel="tiny"), "/transcription/defaultModel"),
        (
            with_good(transcription__defaultModel="large-v2"),
            "/transcription/defaultModel",
        ),
        (with_good(autoDelete__ttlHours=25), "/autoDelete/ttlHours"),
        (with_good(autoDelete__ttlHours=48), "/autoDelete/ttlHours"),
        (with_good(autoDelete__ttlHours=0), "/autoDelete/ttlHours"),
        (with_good(autoDelete__ttlHours=1.5), "/autoDelete/ttlHours"),
        (with_good(autoDelete__deleteAt="tomorrow"), "/autoDelete/deleteAt"),
        # The cache key the templates use cannot be smuggled in to extend the deadline.
        (with_good(autoDelete__resolvedDeleteAt="2099-01-01T00:00:00Z"), "/autoDelete"),
        (with_good(resources={"requests": {"cpu": "lots"}}), "/resources/requests/cpu"),
        (with_good(data__sizeLimit="50 gigs"), "/data/sizeLimit"),
        (with_good(networking={"basePath": "app"}), "/networking/basePath"),
        # An empty "to" would let DNS traffic reach any address; an ipBlock, any IP.
        (with_good(security__dns={"enabled": True, "to": []}), "/security/dns/to"),
        (
            with_good(
                security__dns={"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}
            ),
            "/security/dns/to/0",
        ),
        (
            with_good(
                security__dns={
                    "to": [
                        {
                            "namespaceSelector": {},
                            "ipBlock": {"cidr": "10.0.0.0/8"},
                        }
                    ]
                }
            ),
            "/security/dns/to/0",
        ),
        (with_good(security__dnsPorts=[53]), "/security"),  # the old setting is gone
        # GPU modes and workers.
        (with_good(gpu__mode="always"), "/gpu/mode"),
        (with_good(gpu__mode=True), "/gpu/mode"),
        (with_good(worker__maxParallel=0), "/worker/maxParallel"),
        (with_good(worker__maxParallel=1.5), "/worker/maxParallel"),
        (with_good(worker__maxParallel=100), "/worker/maxParallel"),
        (with_good(worker__idleSeconds=-1), "/worker/idleSeconds"),
        (with_good(worker__ttlSecondsAfterFinished=-5), "/worker/ttlSecondsAfterFinished"),
        (with_good(worker__port=0), "/worker/port"),
        (with_good(worker={"resources": {"limits": {"nvidia.com/gpu": "0"}}}),
         "/worker/resources/limits/nvidia.com~1gpu"),
        (with_good(worker={"resources": {"limits": {"nvidia.com/gpu": 1}}}),
         "/worker/resources/limits/nvidia.com~1gpu"),
        (with_good(worker={"resources": {"requests": {"memory": "lots"}}}),
         "/worker/resources/requests/memory"),
        (with_good(worker__replicas=2), "/worker"),  # not a value of this chart
    ],
)
def test_schema_rejects_bad_values(chart, values, message):
    with pytest.raises(helm.HelmValuesError) as caught:
        chart.validate_schema(values)
    assert message in str(caught.value)


def test_render_refuses_values_the_schema_rejects(render):
    with pytest.raises(helm.HelmValuesError, match="ttlHours"):
        render({"autoDelete": {"ttlHours": 30}})
    with pytest.raises(helm.HelmValuesError, match="password"):
        render(password=False)


@pytest.mark.parametrize("hours", [1, 6, 24])
def test_schema_accepts_lifetimes_up_to_a_day(chart, hours):
    chart.validate_schema(with_good(autoDelete__ttlHours=hours))


@pytest.mark.parametrize(
    "model", ["auto", "large-v3-turbo", "large-v3", "small", "base"]
)
def test_schema_accepts_every_model(chart, model):
    chart.validate_schema(with_good(transcription__defaultModel=model))


@pytest.mark.parametrize("model", ["large-v3", "large-v3-turbo"])
def test_cpu_only_mode_refuses_models_the_cpu_image_lacks(chart, model):
    """The cpu image bakes Whisper small and base only (image/fetch_models.py, CPU)."""
    values = with_good(gpu__enabled=False, transcription__defaultModel=model)
    with pytest.raises(helm.HelmValuesError) as caught:
        chart.validate_schema(values)
    message = str(caught.value)
    assert "/transcription/defaultModel" in message
    assert "'auto', 'small', 'base'" in message


@pytest.mark.parametrize("model", ["auto", "small", "base"])
def test_cpu_only_mode_accepts_the_cpu_images_models(chart, model):
    chart.validate_schema(with_good(gpu__enabled=False, transcription__defaultModel=model))


def test_cpu_only_models_match_the_cpu_image(schema):
    """The schema's rule and the cpu image's plan name the same Whisper models."""
    plan = subprocess.run(
        [sys.executable, str(FETCH_MODELS), "--preset", "cpu", "--dest", "/nonexistent",
         "--dry-run"],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout
    cpu = {
        line.split("\t")[0].removeprefix("whisper/")
        for line in plan.splitlines()
        if line.startswith("whisper/")
    }
    rule = schema["then"]["properties"]["transcription"]["properties"]["defaultModel"]
    assert set(rule["enum"]) == cpu | {"auto"}
    assert schema["if"]["properties"]["gpu"]["properties"]["enabled"] == {"const": False}


def test_onyxia_values_are_valid(chart, onyxia_values):
    chart.validate_schema(onyxia_values)


def test_schema_defaults_match_values_yaml(schema, values_yaml):
    """The form (schema defaults) and plain Helm (values.yaml) start from the same values."""
    # Deliberate differences: outside Onyxia, no Ingress without a hostname.
    expected_differences = {("ingress", "enabled")}

    def walk(node, values, path):
        if "properties" in node:
            for key, sub in node["properties"].items():
                assert isinstance(values, dict) and key in values, (
                    f"{'.'.join((*path, key))} missing in values.yaml"
                )
                walk(sub, values[key], (*path, key))
        elif "default" in node and path not in expected_differences:
            assert node["default"] == values, (
                f"{'.'.join(path)}: schema {node['default']!r} != values.yaml {values!r}"
            )

    walk(schema, values_yaml, ())


# --------------------------------------------------------------------------- Onyxia's form


ONYXIA_TYPES = {"object", "array", "string", "boolean", "integer", "number"}
ONYXIA_RENDERS = {"textArea", "password", "list", "slider"}
X_ONYXIA_KEYS = {
    "overwriteDefaultWith",
    "overwriteSchemaWith",
    "overwriteListEnumWith",
    "useRegionSliderConfig",
    "hidden",
    "readonly",
}


def iter_nodes(node, path=()):
    yield path, node
    for key, sub in (node.get("properties") or {}).items():
        yield from iter_nodes(sub, (*path, key))
    if isinstance(node.get("items"), dict):
        yield from iter_nodes(node["items"], (*path, "[]"))


def test_schema_is_accepted_by_onyxias_launcher(schema):
    """The checks Onyxia's web app makes on a chart schema before building the form."""
    sliders = []
    for path, node in iter_nodes(schema):
        where = ".".join(path) or "<root>"
        assert node.get("type") in ONYXIA_TYPES or "const" in node, (
            f"{where}: type required"
        )
        if "render" in node:
            assert node["render"] in ONYXIA_RENDERS, where
        hidden = node.get("hidden")
        if hidden is not None and not isinstance(hidden, bool):
            assert (
                set(hidden) <= {"value", "path", "isPathRelative"} and "path" in hidden
            ), where
            target = schema
            for part in hidden["path"].split("/"):
                target = target["properties"][part]  # the path must exist
        x_onyxia = node.get("x-onyxia", {})
        assert set(x_onyxia) <= X_ONYXIA_KEYS, where
        for flag in ("hidden", "readonly"):
            if flag in x_onyxia:
                assert isinstance(x_onyxia[flag], bool), where
        if x_onyxia.get("readonly"):
            # Read-only fields show what the platform filled in (Onyxia's XOnyxia type).
            assert "overwriteDefaultWith" in x_onyxia, where
        if "enum" in node and "default" in node:
            assert node["default"] in node["enum"], where
        if "sliderMin" in node:
            sliders.append(where)
            # Onyxia draws sliders for strings and numbers only.
            assert node["type"] in ("string", "number"), where
            assert "sliderMax" in node and node.get("render", "slider") == "slider", (
                where
            )
            if node["type"] == "number":
                assert "sliderUnit" not in node, where
            if "sliderExtremity" in node:
                assert (
                    node["sliderExtremity"] in ("down", "up")
                    and "sliderRangeId" in node
                ), where
            default = node["default"]
            unit = node.get("sliderUnit", "")
            number = float(
                default[: len(default) - len(unit)]
                if isinstance(default, str) and unit
                else default
            )
            assert node["sliderMin"] <= number <= node["sliderMax"], (
                f"{where}: default outside the slider"
            )
    assert {
        "autoDelete.ttlHours",
        "resources.requests.cpu",
        "resources.limits.nvidia.com/gpu",
        "worker.resources.requests.cpu",
        "worker.resources.limits.nvidia.com/gpu",
    } <= set(sliders)


def test_region_network_policy_is_shown_but_not_editable(schema):
    enabled = schema["properties"]["security"]["properties"]["networkPolicy"][
        "properties"
    ]["enabled"]
    assert enabled["x-onyxia"] == {
        "overwriteDefaultWith": "region.defaultNetworkPolicy",
        "readonly": True,
    }


def test_lifetime_slider_stays_a_number(schema):
    """Onyxia's launcher (computeRootFormFieldGroup) asserts that a slider's type is
    string or number: an integer slider would break the form. multipleOf keeps whole
    hours."""
    ttl = schema["properties"]["autoDelete"]["properties"]["ttlHours"]
    assert ttl["type"] == "number" and ttl["multipleOf"] == 1
    assert ttl["render"] == "slider"


def test_onyxia_fills_host_password_gpu_and_region_settings(onyxia_values):
    assert onyxia_values["ingress"]["enabled"] is True
    assert onyxia_values["ingress"]["hostname"] == "user-jdoe-123456-0.lab.example.org"
    assert onyxia_values["ingress"]["ingressClassName"] == "nginx"
    assert onyxia_values["route"]["enabled"] is False
    assert onyxia_values["security"]["password"] == PASSWORD
    assert onyxia_values["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert onyxia_values["userPreferences"]["language"] == "fr"
    assert onyxia_values["nodeSelector"] == {"topology.kubernetes.io/zone": "paris-1"}
    assert onyxia_values["tolerations"][0]["key"] == "dedicated"
    assert onyxia_values["security"]["networkPolicy"]["enabled"] is True
    assert onyxia_values["startupProbe"]["failureThreshold"] == 90
    # CPU and memory from the region (a launch that fits the quota), the memory limit
    # within the form's floor (tests/chart/test_chart_onyxia_fit.py).
    assert onyxia_values["resources"]["requests"] == {"cpu": "100m", "memory": "2Gi"}
    assert onyxia_values["resources"]["limits"]["memory"] == "200Gi"
    assert onyxia_values["resources"]["limits"]["cpu"] == "40000m"
    assert onyxia_values["autoDelete"]["ttlHours"] == 24


def test_onyxia_without_region_values_falls_back_to_chart_defaults(
    schema, values_yaml, onyxia, chart
):
    context = {
        "user": {"lang": "en"},
        "project": {"id": "user-x"},
        "service": {"oneTimePassword": PASSWORD},
        "k8s": {"domain": "lab.example.org", "randomSubdomain": "1"},
        "region": {},
    }
    values = onyxia.compute(onyxia.substitute(schema), context, values_yaml)
    chart.validate_schema(values)
    assert values["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert (
        values["security"]["networkPolicy"]["from"]
        == values_yaml["security"]["networkPolicy"]["from"]
    )
    assert values["ingress"]["hostname"] == "user-x-1-0.lab.example.org"


def test_region_gpu_value_that_does_not_fit_is_ignored(
    schema, values_yaml, onyxia, onyxia_context
):
    context = copy.deepcopy(onyxia_context)
    context["region"]["resources"]["gpu"] = "0"  # not a valid GPU count for this chart
    values = onyxia.compute(schema, context, values_yaml)
    assert values["resources"]["limits"]["nvidia.com/gpu"] == "1"
