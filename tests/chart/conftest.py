"""Fixtures for the Helm chart tests: the real Helm engine, no cluster.

helm-python-sdk (import name helm_python) binds Helm's Go SDK: the chart is
rendered, schema-checked, linted and packaged exactly as `helm` would.
The `onyxia_values` fixture mimics what Onyxia's launcher sends for a sample
user and region (see compute_helm_values below).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

helm = pytest.importorskip("helm_python")

ROOT = Path(__file__).resolve().parents[2]
CHART_DIR = ROOT / "charts" / "whisper-transcription"
RELEASE = "whisper-transcription-123456"
NAMESPACE = "user-jdoe"
PASSWORD = "s3cret-pass"


# --------------------------------------------------------------------------- rendering


@dataclass
class Rendered:
    manifests: dict[str, str]
    docs: list[dict[str, Any]]
    notes: str

    def kind(self, kind: str) -> list[dict[str, Any]]:
        return [doc for doc in self.docs if doc["kind"] == kind]

    def one(self, kind: str, name: str | None = None) -> dict[str, Any]:
        found = [
            d for d in self.kind(kind) if name is None or d["metadata"]["name"] == name
        ]
        assert len(found) == 1, f"expected one {kind} {name or ''}, got {len(found)}"
        return found[0]

    @property
    def app_pod(self) -> dict[str, Any]:
        return self.one("StatefulSet")["spec"]["template"]["spec"]

    @property
    def app_container(self) -> dict[str, Any]:
        return self.app_pod["containers"][0]

    @property
    def app_env(self) -> dict[str, Any]:
        return {
            e["name"]: e.get("value", e.get("valueFrom"))
            for e in self.app_container["env"]
        }

    @property
    def job_pod(self) -> dict[str, Any]:
        return self.one("CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]

    @property
    def worker_job(self) -> dict[str, Any] | None:
        """The GPU worker's Job manifest the app reads (gpu.mode while-transcribing)."""
        maps = [d for d in self.kind("ConfigMap") if d["metadata"]["name"].endswith("-worker-job")]
        return yaml.safe_load(maps[0]["data"]["worker-job.yaml"]) if maps else None

    @property
    def worker_pod(self) -> dict[str, Any]:
        assert self.worker_job, "no GPU worker in this mode"
        return self.worker_job["spec"]["template"]["spec"]

    @property
    def worker_container(self) -> dict[str, Any]:
        return self.worker_pod["containers"][0]

    @property
    def worker_env(self) -> dict[str, Any]:
        return {
            e["name"]: e.get("value", e.get("valueFrom"))
            for e in self.worker_container["env"]
        }


@pytest.fixture(scope="session")
def chart():
    with helm.Chart.load(CHART_DIR) as loaded:
        yield loaded


@pytest.fixture(scope="session")
def render(chart):
    def _render(
        values: dict[str, Any] | None = None, *, password: bool = True, **options
    ) -> Rendered:
        values = copy.deepcopy(values or {})
        if password:
            values.setdefault("security", {}).setdefault("password", PASSWORD)
        options.setdefault("name", RELEASE)
        options.setdefault("namespace", NAMESPACE)
        manifests = chart.render(values, **options)
        docs: list[dict[str, Any]] = []
        notes = ""
        for path, text in sorted(manifests.items()):
            if path.endswith("NOTES.txt"):
                notes = text
            elif path.endswith(".yaml"):
                docs.extend(doc for doc in yaml.safe_load_all(text) if doc)
        return Rendered(manifests, docs, notes)

    return _render


def future_deadline(hours: float = 2) -> str:
    """A deadline the chart accepts for autoDelete.deleteAt (whole minute, UTC)."""
    at = (datetime.now(UTC) + timedelta(hours=hours)).replace(second=0, microsecond=0)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def deadline() -> str:
    return future_deadline()


# --------------------------------------------------------------------------- Onyxia


ONYXIA_CONTEXT: dict[str, Any] = {
    "user": {
        "idep": "jdoe",
        "name": "Jane Doe",
        "email": "jane.doe@example.org",
        "lang": "fr",
        "darkMode": False,
    },
    "project": {"id": "user-jdoe", "password": "p", "basic": "b"},
    "service": {"oneTimePassword": PASSWORD},
    "k8s": {
        "domain": "lab.example.org",
        "randomSubdomain": "123456",
        "ingressClassName": "nginx",
        "ingress": True,
        "route": False,
        "useCertManager": False,
        "initScriptUrl": "https://example.org/init.sh",
    },
    "region": {
        "defaultNetworkPolicy": True,
        "from": [
            {
                "namespaceSelector": {
                    "matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}
                }
            }
        ],
        "nodeSelector": {"topology.kubernetes.io/zone": "paris-1"},
        "tolerations": [
            {
                "key": "dedicated",
                "operator": "Equal",
                "value": "datalab",
                "effect": "NoSchedule",
            }
        ],
        "startupProbe": {
            "failureThreshold": 90,
            "initialDelaySeconds": 10,
            "periodSeconds": 10,
            "successThreshold": 1,
            "timeoutSeconds": 2,
        },
        "sliders": {},
        "resources": {
            "cpuRequest": "100m",
            "cpuLimit": "40000m",
            "memoryRequest": "2Gi",
            "memoryLimit": "200Gi",
            "disk": "10Gi",
            "gpu": "1",
        },
    },
}


def _region_slider(default: str, low: int, high: int, unit: str, key: str) -> dict[str, Any]:
    """A resource slider whose default the region's `resources.<key>` overwrites: one end
    of a range (requests down, limits up), as in onyxia-api's schema."""
    name, end = ("cpu", key[3:]) if key.startswith("cpu") else ("memory", key[6:])
    return {"type": "string", "default": default, "render": "slider", "sliderMin": low,
            "sliderMax": high, "sliderUnit": unit,
            "sliderExtremity": "down" if end == "Request" else "up",
            "sliderRangeId": name,
            "x-onyxia": {"overwriteDefaultWith": f"region.resources.{key}"}}


# Stand-ins for the schemas onyxia-api substitutes when a property carries
# x-onyxia.overwriteSchemaWith (the API ships a default for each name we use).
INSTANCE_SCHEMAS: dict[str, dict[str, Any]] = {
    "ide/ingress.json": {
        "type": "object",
        "properties": {
            "enabled": {
                "type": "boolean",
                "default": True,
                "x-onyxia": {"hidden": True, "overwriteDefaultWith": "k8s.ingress"},
            },
            "hostname": {
                "type": "string",
                "x-onyxia": {
                    "hidden": True,
                    "overwriteDefaultWith": "{{project.id}}-{{k8s.randomSubdomain}}-0.{{k8s.domain}}",  # noqa: E501
                },
            },
            "userHostname": {
                "type": "string",
                "x-onyxia": {
                    "hidden": True,
                    "overwriteDefaultWith": "{{project.id}}-{{k8s.randomSubdomain}}-user.{{k8s.domain}}",  # noqa: E501
                },
            },
            "ingressClassName": {
                "type": "string",
                "default": "",
                "x-onyxia": {
                    "hidden": True,
                    "overwriteDefaultWith": "{{k8s.ingressClassName}}",
                },
            },
            "useCertManager": {
                "type": "boolean",
                "default": False,
                "x-onyxia": {
                    "hidden": True,
                    "overwriteDefaultWith": "k8s.useCertManager",
                },
            },
            "certManagerClusterIssuer": {
                "type": "string",
                "default": "",
                "x-onyxia": {
                    "hidden": True,
                    "overwriteDefaultWith": "k8s.certManagerClusterIssuer",
                },
            },
        },
    },
    "ide/route.json": {
        "type": "object",
        "properties": {
            "enabled": {
                "type": "boolean",
                "default": False,
                "x-onyxia": {"hidden": True, "overwriteDefaultWith": "k8s.route"},
            },
            "hostname": {
                "type": "string",
                "x-onyxia": {
                    "hidden": True,
                    "overwriteDefaultWith": "{{project.id}}-{{k8s.randomSubdomain}}-0.{{k8s.domain}}",  # noqa: E501
                },
            },
        },
    },
    # onyxia-api's built-in ide/resources-gpu.json (Nov 2026): the IDE defaults, each
    # overwritten by the region's; no floor of ours survives the substitution.
    "ide/resources-gpu.json": {
        "type": "object",
        "title": "Resources (CPU/RAM)",
        "properties": {
            "requests": {
                "type": "object",
                "properties": {
                    "cpu": _region_slider("100m", 50, 40000, "m", "cpuRequest"),
                    "memory": _region_slider("2Gi", 1, 200, "Gi", "memoryRequest"),
                },
            },
            "limits": {
                "type": "object",
                "properties": {
                    "cpu": _region_slider("30000m", 50, 40000, "m", "cpuLimit"),
                    "memory": _region_slider("50Gi", 1, 200, "Gi", "memoryLimit"),
                    "nvidia.com/gpu": {"type": "string", "default": "1", "render": "slider",
                                       "sliderMin": 1, "sliderMax": 3, "sliderUnit": ""},
                },
            },
        },
    },
    # onyxia-api's built-in nodeSelector-gpu.json: shown in the form, the region's default.
    "nodeSelector-gpu.json": {
        "type": "object",
        "title": "Node Selector",
        "additionalProperties": {"type": "string"},
        "x-onyxia": {"hidden": False, "overwriteDefaultWith": "region.nodeSelector"},
    },
    # onyxia-api's built-in tolerations.json: hidden, no default (Onyxia then takes the
    # chart's values.yaml, which must fit this schema: the launcher asserts it).
    "tolerations.json": {
        "type": "array",
        "title": "Kubernetes Tolerations",
        "x-onyxia": {"hidden": True},
        "items": {
            "type": "object",
            "properties": {
                "key": {"type": "string", "default": ""},
                "operator": {"type": "string", "enum": ["Exists", "Equal"]},
                "value": {"type": "string", "default": "true"},
                "effect": {"type": "string",
                           "enum": ["NoSchedule", "PreferNoSchedule", "NoExecute"]},
                "tolerationSeconds": {"type": "integer", "default": 0},
            },
            "required": ["key", "operator", "effect"],
            "additionalProperties": False,
        },
    },
}


def _get_path(context: Any, path: str) -> Any:
    value = context
    for part in path.strip().split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def resolve_reference(
    expression: Any, context: dict[str, Any], top: bool = True
) -> Any:
    """x-onyxia.overwriteDefaultWith: "a.b", "{{a.b}}", "x-{{a}}.{{b}}", lists, maps."""
    if isinstance(expression, list):
        items = [
            resolve_reference(item, context, False)
            if isinstance(item, (str, list, dict))
            else item
            for item in expression
        ]
        return None if any(item is None for item in items) else items
    if isinstance(expression, dict):
        out = {
            key: resolve_reference(value, context, False)
            if isinstance(value, (str, list, dict))
            else value
            for key, value in expression.items()
        }
        return None if any(value is None for value in out.values()) else out
    whole = re.fullmatch(r"\{\{([^}]+)\}\}", expression)
    if whole:
        return _get_path(context, whole.group(1))
    if "{{" in expression:
        failed = False

        def substitute(match: re.Match) -> str:
            nonlocal failed
            value = _get_path(context, match.group(1))
            if isinstance(value, bool):
                return "true" if value else "false"
            if isinstance(value, (str, int, float)):
                return str(value)
            failed = True
            return ""

        resolved = re.sub(r"\{\{([^}]+)\}\}", substitute, expression)
        return None if failed else resolved
    return (
        resolve_reference("{{" + expression + "}}", context, False)
        if top
        else expression
    )


def _valid(schema: dict[str, Any], value: Any) -> tuple[bool, Any]:
    """Onyxia's light check of a candidate value: (is valid, approximation)."""
    kind = schema.get("type")
    if kind == "string":
        if not isinstance(value, str):
            if isinstance(value, bool):
                return False, "true" if value else "false"
            return (
                (False, str(value))
                if isinstance(value, (int, float))
                else (False, None)
            )
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return False, None
        unit = schema.get("sliderUnit")
        if unit is not None:
            if not value.endswith(unit):
                return False, None
            try:
                number = float(value[: len(value) - len(unit)] if unit else value)
            except ValueError:
                return False, None
            if (
                not schema.get("sliderMin", number)
                <= number
                <= schema.get("sliderMax", number)
            ):
                return False, None
    elif kind in ("number", "integer"):
        if isinstance(value, str):
            try:
                return False, float(value)
            except ValueError:
                return False, None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False, None
        if value < schema.get("minimum", value):
            return False, None
    elif kind == "boolean":
        if not isinstance(value, bool):
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return False, value.lower() == "true"
            return False, None
    elif kind in ("array", "object") and not isinstance(
        value, list if kind == "array" else dict
    ):
        return False, None
    options = schema.get("listEnum") or schema.get("enum")
    if options is not None and value not in options:
        return False, None
    return True, None


def compute_helm_values(
    schema: dict[str, Any], context: dict[str, Any], values_yaml: Any = None
) -> Any:
    """Mimic of Onyxia's launcher (computeHelmValues, "user provided" values).

    For each property: an object with properties recurses; otherwise the
    resolved x-onyxia.overwriteDefaultWith if it resolves and fits, else the
    schema default, else the value from values.yaml.
    """
    if "const" in schema:
        return schema["const"]
    if schema.get("type") == "object" and "properties" in schema:
        return {
            key: compute_helm_values(
                sub,
                context,
                (values_yaml or {}).get(key) if isinstance(values_yaml, dict) else None,
            )
            for key, sub in schema["properties"].items()
        }
    reference = (schema.get("x-onyxia") or {}).get("overwriteDefaultWith")
    if reference is not None:
        resolved = resolve_reference(reference, context)
        if resolved is not None:
            ok, approximation = _valid(schema, resolved)
            if ok:
                return resolved
            if approximation is not None:
                return approximation
    if "default" in schema and _valid(schema, schema["default"])[0]:
        return schema["default"]
    if values_yaml is not None:
        return values_yaml
    if schema.get("type") == "array":
        return []
    raise AssertionError(f"Onyxia cannot compute a value for {schema}")


def substitute_instance_schemas(
    schema: Any, instance_schemas: dict[str, dict[str, Any]] | None = None
) -> Any:
    """What onyxia-api does with x-onyxia.overwriteSchemaWith before the launcher sees it:
    a schema the instance has under that name replaces the chart's; without one, the
    chart's own stays (e.g. ide/resources-gpu.json on an instance that sets none)."""
    instance_schemas = INSTANCE_SCHEMAS if instance_schemas is None else instance_schemas
    if isinstance(schema, list):
        return [substitute_instance_schemas(item, instance_schemas) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        name = (
            (value.get("x-onyxia") or {}).get("overwriteSchemaWith")
            if isinstance(value, dict)
            else None
        )
        if name and name in instance_schemas:
            out[key] = copy.deepcopy(instance_schemas[name])
        else:
            out[key] = substitute_instance_schemas(value, instance_schemas)
    return out


def visible_fields(schema: dict[str, Any], values: Any, path: tuple = ()) -> dict[str, dict]:
    """Mimic of the form Onyxia draws (computeRootFormFieldGroup): the fields shown for
    these values, by dotted path. A node is left out when `hidden` is true, or names
    another value ({value, path, isPathRelative}) that equals `value`, or when
    x-onyxia.hidden is true; a group's children go with it. Objects without properties
    and arrays count as one field (a YAML block)."""
    if "const" in schema:
        return {}
    hidden = schema.get("hidden")
    if hidden is True:
        return {}
    if isinstance(hidden, dict):
        target = hidden["path"].split("/")
        if hidden.get("isPathRelative"):
            target = [*path[:-1], *target]
        value: Any = values
        for part in target:
            value = value.get(part) if isinstance(value, dict) else None
        if value == hidden["value"]:
            return {}
    if (schema.get("x-onyxia") or {}).get("hidden") is True:
        return {}
    if schema.get("type") == "object" and "properties" in schema:
        fields: dict[str, dict] = {}
        for key, sub in schema["properties"].items():
            fields |= visible_fields(sub, values, (*path, key))
        return fields
    return {".".join(path): schema}


@pytest.fixture(scope="session")
def schema() -> dict[str, Any]:
    return json.loads((CHART_DIR / "values.schema.json").read_text())


@pytest.fixture(scope="session")
def values_yaml() -> dict[str, Any]:
    return yaml.safe_load((CHART_DIR / "values.yaml").read_text())


@pytest.fixture(scope="session")
def onyxia_context() -> dict[str, Any]:
    return copy.deepcopy(ONYXIA_CONTEXT)


@pytest.fixture(scope="session")
def onyxia():
    """Helpers mimicking Onyxia, for tests that build their own context."""

    class Onyxia:
        compute = staticmethod(compute_helm_values)
        resolve = staticmethod(resolve_reference)
        substitute = staticmethod(substitute_instance_schemas)
        form = staticmethod(visible_fields)
        schemas = INSTANCE_SCHEMAS

    return Onyxia


@pytest.fixture(scope="session")
def onyxia_values(schema, values_yaml, onyxia_context) -> dict[str, Any]:
    """The values Onyxia sends for the sample user and region (instance schemas applied)."""
    values = compute_helm_values(
        substitute_instance_schemas(schema), onyxia_context, values_yaml
    )
    # onyxia-api adds its own bookkeeping values at install time.
    values["onyxia"] = {
        "friendlyName": "Transcription Whisper",
        "owner": "jdoe",
        "share": False,
    }
    return values
