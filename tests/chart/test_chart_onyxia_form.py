"""The launch form's three modes as Onyxia draws them (mimic in conftest.py): which fields
show in each mode, the GPU worker's values filled by the instance's own GPU schemas
(overwriteSchemaWith) and the region (overwriteDefaultWith), and the range sliders."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest

helm = pytest.importorskip("helm_python")

GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
# What a user picks in the form: the checkbox "Use a GPU" and, when ticked, the mode.
CHOICES = {
    "while-transcribing": {"enabled": True, "mode": "while-transcribing"},
    "whole-service": {"enabled": True, "mode": "whole-service"},
    "cpu-only": {"enabled": False, "mode": "while-transcribing"},  # the mode stays as it was
}
WORKER_FIELDS = {
    "worker.maxParallel",
    "worker.resources.requests.cpu", "worker.resources.requests.memory",
    "worker.resources.limits.cpu", "worker.resources.limits.memory",
    "worker.resources.limits.nvidia.com/gpu",
    "worker.nodeSelector",
}
NEVER_SHOWN = {"worker.tolerations", "worker.idleSeconds", "worker.ttlSecondsAfterFinished",
               "worker.port", "gpu.tolerations"}


def launch(onyxia, schema, values_yaml, context, mode: str, instance=None) -> tuple[dict, dict]:
    """The form's values for a user who picked `mode`, and the fields then shown."""
    resolved = onyxia.substitute(schema, instance)
    values = onyxia.compute(resolved, context, values_yaml)
    values["gpu"].update(CHOICES[mode])
    return values, onyxia.form(resolved, values)


def test_three_modes_in_the_form(schema):
    gpu = schema["properties"]["gpu"]["properties"]
    assert gpu["enabled"]["type"] == "boolean" and gpu["enabled"]["default"] is True
    mode = gpu["mode"]
    assert mode["enum"] == ["while-transcribing", "whole-service"]
    assert mode["default"] == "while-transcribing"
    assert mode["hidden"] == {"value": False, "path": "gpu/enabled"}
    assert "(recommended)" in mode["description"]


@pytest.mark.parametrize("mode", sorted(CHOICES))
def test_fields_shown_in_each_mode(onyxia, schema, values_yaml, onyxia_context, mode):
    """The chart's own schema (an instance without GPU schemas of its own)."""
    _, form = launch(onyxia, schema, values_yaml, onyxia_context, mode, instance={})
    shown = set(form)
    assert {"gpu.enabled", "resources.requests.cpu", "resources.limits.memory"} <= shown
    assert not shown & NEVER_SHOWN
    # The mode is asked only with a GPU.
    assert ("gpu.mode" in shown) is (mode != "cpu-only")
    # The worker's settings only when there are workers.
    worker = {field for field in shown if field.startswith("worker.")}
    assert worker == (WORKER_FIELDS if mode == "while-transcribing" else set())
    # The app's GPU count and GPU node selector only when the app holds the GPU.
    app_gpu = {"resources.limits.nvidia.com/gpu", "gpu.nodeSelector"}
    assert (app_gpu <= shown) is (mode == "whole-service")
    assert not app_gpu & shown or mode == "whole-service"


@pytest.mark.parametrize("mode", sorted(CHOICES))
def test_fields_shown_on_an_instance_with_its_gpu_schemas(
        onyxia, schema, values_yaml, onyxia_context, mode):
    """onyxia-api replaces a field that names an instance schema whole, `hidden` included
    (JsonSchemaResolutionService): only the groups around it can hide it. The worker group
    hides in CPU-only mode; in whole-service mode (one condition per node in Onyxia's
    form) the worker's resources and node selector stay visible, unused: ADMIN.md."""
    _, form = launch(onyxia, schema, values_yaml, onyxia_context, mode)
    worker = {field for field in form if field.startswith("worker.")}
    if mode == "while-transcribing":
        assert worker == WORKER_FIELDS
        # The instance's sliders, not the chart's.
        assert form["worker.resources.limits.cpu"]["sliderMin"] == 50
    elif mode == "cpu-only":
        assert worker == set()
    else:
        assert worker == WORKER_FIELDS - {"worker.maxParallel"}
    assert not set(form) & NEVER_SHOWN


def test_worker_fields_name_the_instance_gpu_schemas(schema):
    """The names InseeFrLab's GPU charts use, so that the instance's GPU settings apply."""
    worker = schema["properties"]["worker"]["properties"]
    assert worker["resources"]["x-onyxia"] == {"overwriteSchemaWith": "ide/resources-gpu.json"}
    assert worker["nodeSelector"]["x-onyxia"] == {"overwriteSchemaWith": "nodeSelector-gpu.json"}
    assert worker["tolerations"]["x-onyxia"] == {"hidden": True,
                                                 "overwriteSchemaWith": "tolerations.json"}
    for group, suffix in (("requests", "Request"), ("limits", "Limit")):
        for name in ("cpu", "memory"):
            field = worker["resources"]["properties"][group]["properties"][name]
            assert field["x-onyxia"] == {
                "overwriteDefaultWith": f"region.resources.{name}{suffix}"}
    gpu = worker["resources"]["properties"]["limits"]["properties"]["nvidia.com/gpu"]
    assert gpu["x-onyxia"] == {"overwriteDefaultWith": "region.resources.gpu"}
    assert worker["resources"]["properties"]["limits"]["properties"]["memory"]["sliderMin"] == 12


# An Onyxia v9 instance: no region.nodeSelector or region.tolerations (refused at startup);
# the admin puts the GPU placement into the schemas' defaults instead.
ADMIN_GPU_NODES = {"nvidia.com/gpu.present": "true"}
ADMIN_GPU_TOLERATIONS = [GPU_TOLERATION, {"key": "gpu-pool", "operator": "Equal",
                                          "value": "shared", "effect": "NoSchedule"}]


def admin_schemas(onyxia_schemas: dict[str, Any]) -> dict[str, Any]:
    schemas = copy.deepcopy(onyxia_schemas)
    schemas["nodeSelector-gpu.json"] = {"type": "object", "default": ADMIN_GPU_NODES,
                                        "additionalProperties": {"type": "string"}}
    schemas["tolerations.json"] = {**schemas["tolerations.json"],
                                   "default": ADMIN_GPU_TOLERATIONS}
    return schemas


@pytest.fixture
def v9_context(onyxia_context) -> dict[str, Any]:
    context = copy.deepcopy(onyxia_context)
    del context["region"]["nodeSelector"], context["region"]["tolerations"]
    return context


def test_the_instances_gpu_placement_fills_the_worker(
        onyxia, schema, values_yaml, v9_context, render):
    values, _ = launch(onyxia, schema, values_yaml, v9_context, "while-transcribing",
                       admin_schemas(onyxia.schemas))
    assert values["worker"]["nodeSelector"] == ADMIN_GPU_NODES
    assert values["worker"]["tolerations"] == ADMIN_GPU_TOLERATIONS
    assert values["worker"]["resources"]["limits"]["memory"] == "200Gi"  # the region's
    out = render(values)
    assert out.worker_pod["nodeSelector"] == ADMIN_GPU_NODES
    assert out.worker_pod["tolerations"] == ADMIN_GPU_TOLERATIONS
    # The app itself stays off the GPU nodes.
    assert "nodeSelector" not in out.app_pod and "tolerations" not in out.app_pod

    # The app holds the GPU: the same placement, through gpu.nodeSelector.
    values, _ = launch(onyxia, schema, values_yaml, v9_context, "whole-service",
                       admin_schemas(onyxia.schemas))
    out = render(values)
    assert out.app_pod["nodeSelector"] == ADMIN_GPU_NODES
    assert GPU_TOLERATION in out.app_pod["tolerations"]
    assert out.worker_job is None


def test_builtin_instance_schemas_keep_the_charts_gpu_toleration(
        onyxia, schema, values_yaml, v9_context, render):
    """onyxia-api's own tolerations.json has no default: Onyxia then takes values.yaml's,
    after checking it against that schema (computeHelmValues asserts it fits)."""
    builtin = onyxia.schemas["tolerations.json"]
    jsonschema.Draft7Validator(builtin).validate(values_yaml["worker"]["tolerations"])
    values, _ = launch(onyxia, schema, values_yaml, v9_context, "while-transcribing")
    assert values["worker"]["tolerations"] == [GPU_TOLERATION]
    assert render(values).worker_pod["tolerations"] == [GPU_TOLERATION]
    # Its values fit the instance's resources schema too (strings, as the sliders send).
    resources = onyxia.schemas["ide/resources-gpu.json"]
    jsonschema.Draft7Validator(resources).validate(values_yaml["worker"]["resources"])


def range_sliders(form: dict[str, dict]) -> list[tuple[str, str]]:
    """Onyxia's mergeRangeSliders: each "down" slider, in form order, takes the first
    remaining "up" slider with its sliderRangeId (anywhere in the form)."""
    pending = [(path, field) for path, field in form.items() if "sliderExtremity" in field]
    pairs = []
    while any(field["sliderExtremity"] == "down" for _, field in pending):
        low = next(item for item in pending if item[1]["sliderExtremity"] == "down")
        pending.remove(low)
        high = next((item for item in pending if item[1]["sliderExtremity"] == "up"
                     and item[1]["sliderRangeId"] == low[1]["sliderRangeId"]), None)
        assert high, f"{low[0]}: no upper end left (Onyxia's form would crash)"
        pending.remove(high)
        pairs.append((low[0], high[0]))
    assert not pending, f"range slider ends without a partner: {pending}"
    return pairs


@pytest.mark.parametrize("mode", sorted(CHOICES))
@pytest.mark.parametrize("instance", [False, True], ids=["chart-schema", "instance-schemas"])
def test_range_sliders_pair_within_each_group(
        onyxia, schema, values_yaml, onyxia_context, mode, instance):
    """Two resource groups (the app's, the worker's) in one form: each request slider must
    join its own limit, never the other group's."""
    _, form = launch(onyxia, schema, values_yaml, onyxia_context, mode,
                     None if instance else {})
    pairs = range_sliders(form)
    for low, high in pairs:
        assert low.split(".requests.")[0] == high.split(".limits.")[0], (low, high)
    groups = {low.split(".requests.")[0] for low, _ in pairs}
    assert groups == ({"resources", "worker.resources"}
                      if mode == "while-transcribing" or (instance and mode == "whole-service")
                      else {"resources"})


@pytest.mark.parametrize("mode", sorted(CHOICES))
def test_every_mode_launches_from_the_onyxia_form(
        onyxia, schema, values_yaml, onyxia_context, chart, render, mode):
    values, _ = launch(onyxia, schema, values_yaml, onyxia_context, mode)
    chart.validate_schema(values)
    out = render(values)
    expected = {"while-transcribing": "kubernetes"}.get(mode, "process")
    assert out.app_env["TRANSCRIBE_WORKER_LAUNCHER"] == expected

