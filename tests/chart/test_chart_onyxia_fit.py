"""What a user and an admin meet on a real Onyxia: the NOTES' copy-password line, the
data-rules notice, the project-namespace warning, resources from the region (form mimic),
and the launch link."""

from __future__ import annotations

import copy
import json
import re
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from transcribe.web import platform

helm = pytest.importorskip("helm_python")

PASSWORD = "s3cret-pass"  # conftest.py
HOST = "user-jdoe-123456-0.lab.example.org"
INGRESS = {"ingress": {"enabled": True, "hostname": HOST}}
# onyxia-web (My Services) offers a "copy password" button for what this matches in the
# rendered NOTES (web/src/core/usecases/serviceManagement).
ONYXIA_PASSWORD_PATTERN = re.compile(r"password: ?([^\n ]+)", re.IGNORECASE)
ROOT = Path(__file__).resolve().parents[2]


def notes(render, language: str, **values: Any) -> str:
    return render({**INGRESS, "userPreferences": {"language": language}, **values}).notes


# --------------------------------------------------------------------------- 1. copy line


@pytest.mark.parametrize("language", ["fr", "en", "de"])
def test_onyxias_copy_button_takes_the_whole_password(render, language):
    text = notes(render, language)
    match = ONYXIA_PASSWORD_PATTERN.search(text)
    assert match and match.group(1) == PASSWORD
    assert f"\npassword: {PASSWORD}\n" in text  # a plain line, no Markdown around it


def test_copy_line_with_a_password_full_of_markdown_characters(render):
    odd = "a*b_c`d#e!f"
    text = render({**INGRESS, "security": {"password": odd}}).notes
    assert ONYXIA_PASSWORD_PATTERN.search(text).group(1) == odd


# --------------------------------------------------------------------------- 2. notice


def test_default_notice_in_the_notes_in_both_languages(render, values_yaml):
    french, english = notes(render, "fr"), notes(render, "en")
    assert "#### Données autorisées" in french
    assert values_yaml["privacy"]["notice"]["fr"] in french
    assert "ne déposez que des enregistrements pseudonymisés" in french
    assert "#### What you may upload" in english
    assert values_yaml["privacy"]["notice"]["en"] in english
    assert "upload only pseudonymised recordings" in english
    assert "pseudonymisés" not in english


def test_the_notice_reaches_the_app(render, values_yaml):
    env = render(INGRESS).app_env
    given = json.loads(env["TRANSCRIBE_PRIVACY_NOTICE"])
    assert given == {"fr": values_yaml["privacy"]["notice"]["fr"],
                     "en": values_yaml["privacy"]["notice"]["en"]}
    # The app reads it back as it is.
    assert platform.parse_notice(env["TRANSCRIBE_PRIVACY_NOTICE"]) == given


def test_chart_and_app_defaults_are_one_text(values_yaml, schema):
    """The app's default (used when the chart sets nothing, e.g. `make run`) is the chart's."""
    notice = values_yaml["privacy"]["notice"]
    assert platform.default_notice() == {"fr": notice["fr"], "en": notice["en"]}
    assert platform.parse_notice(None) == platform.default_notice()
    assert "password:" not in (notice["fr"] + notice["en"]).lower()  # the copy line stays first


def test_an_admins_own_notice(render):
    own = {"enabled": True, "fr": "Règles de notre université.", "en": "Our university's rules."}
    out = render({**INGRESS, "privacy": {"notice": own}, "userPreferences": {"language": "fr"}})
    assert "Règles de notre université." in out.notes
    assert "SSP Cloud" not in out.notes
    assert json.loads(out.app_env["TRANSCRIBE_PRIVACY_NOTICE"]) == {
        "fr": own["fr"], "en": own["en"]}


def test_notice_turned_off(render):
    out = render({**INGRESS, "privacy": {"notice": {"enabled": False}}})
    assert "What you may upload" not in out.notes and "SSP Cloud" not in out.notes
    assert out.app_env["TRANSCRIBE_PRIVACY_NOTICE"] == "off"
    assert platform.parse_notice("off") == {}


# --------------------------------------------------------------------------- 3. projects


def test_project_namespace_warns_in_notes_and_app(render):
    french = render({**INGRESS, "userPreferences": {"language": "fr"}},
                    namespace="projet-sociologie")
    assert "chaque membre du projet peut lire les enregistrements" in french.notes
    assert "`projet-sociologie`" in french.notes
    assert french.app_env["TRANSCRIBE_PROJECT_NAMESPACE"] == "projet-sociologie"
    english = render(INGRESS, namespace="projet-sociologie").notes
    assert "every member of the project can read the recordings and transcripts" in english


def test_personal_namespace_has_no_project_warning(render):
    out = render(INGRESS)  # user-jdoe
    assert "member of the project" not in out.notes
    assert "TRANSCRIBE_PROJECT_NAMESPACE" not in out.app_env


def test_project_prefix_is_a_value(render):
    out = render({**INGRESS, "privacy": {"projectNamespacePrefix": "grp-"}}, namespace="grp-x")
    assert out.app_env["TRANSCRIBE_PROJECT_NAMESPACE"] == "grp-x"
    out = render({**INGRESS, "privacy": {"projectNamespacePrefix": ""}},
                 namespace="projet-sociologie")
    assert "TRANSCRIBE_PROJECT_NAMESPACE" not in out.app_env


def test_catalog_keeps_the_service_out_of_project_namespaces():
    import yaml

    entry = yaml.safe_load((ROOT / "catalog.yaml").read_text())["onyxia"]["api"]["catalogs"][0]
    assert entry["visible"] == {"user": True, "project": False}


# --------------------------------------------------------------------------- 4. resources

FLOOR_GI = 12  # the memory-limit floor the form states (README: "Memory")

SMALL_REGION = {"cpuRequest": "100m", "cpuLimit": "2000m", "memoryRequest": "1Gi",
                "memoryLimit": "4Gi", "gpu": "1"}
LARGE_REGION = {"cpuRequest": "8000m", "cpuLimit": "32000m", "memoryRequest": "32Gi",
                "memoryLimit": "128Gi", "gpu": "2"}


def region_values(onyxia, schema, values_yaml, onyxia_context, resources):
    context = copy.deepcopy(onyxia_context)
    context["region"]["resources"] = resources
    return onyxia.compute(onyxia.substitute(schema), context, values_yaml)


def test_form_states_the_floor(schema):
    """The floor is said where the form shows it: the GPU group (which no instance schema
    replaces) and the chart's own Resources group, used where an instance has no
    ide/resources-gpu.json."""
    assert f"{FLOOR_GI}Gi or more" in schema["properties"]["gpu"]["description"]
    resources = schema["properties"]["resources"]
    assert resources["x-onyxia"] == {"overwriteSchemaWith": "ide/resources-gpu.json"}
    assert f"at least {FLOOR_GI}Gi" in resources["description"]
    limit = resources["properties"]["limits"]["properties"]["memory"]
    assert limit["sliderMin"] == FLOOR_GI and f"{FLOOR_GI}Gi" in limit["description"]
    for group in ("requests", "limits"):
        for name in ("cpu", "memory"):
            field = resources["properties"][group]["properties"][name]
            region_key = f"{name}{'Request' if group == 'requests' else 'Limit'}"
            assert field["x-onyxia"]["overwriteDefaultWith"] == f"region.resources.{region_key}"


def test_small_region_launch_is_refused_with_a_message_the_user_can_act_on(
        onyxia, schema, values_yaml, onyxia_context, chart, render):
    """onyxia-api's ide/resources-gpu.json takes the region's defaults whole: requests
    that fit the quota, and here a 4Gi limit on which Whisper would be OOM-killed mid-job.
    The launch fails with the floor, in both languages, instead."""
    values = region_values(onyxia, schema, values_yaml, onyxia_context, SMALL_REGION)
    assert values["resources"]["requests"] == {"cpu": "100m", "memory": "1Gi"}
    assert values["resources"]["limits"]["memory"] == "4Gi"
    with pytest.raises(helm.HelmRenderError) as caught:
        render(values)
    message = str(caught.value)
    assert f"raise Resources > limits > Memory to {FLOOR_GI}Gi" in message
    assert f"Mémoire à {FLOOR_GI}Gi ou plus" in message
    # The user moves that slider; the GPU worker's, filled the same way, is named next.
    values["resources"]["limits"]["memory"] = f"{FLOOR_GI}Gi"
    with pytest.raises(helm.HelmRenderError) as caught:
        render(values)
    assert f"raise GPU worker > Resources > limits > Memory to {FLOOR_GI}Gi" in str(caught.value)
    # Both moved, the rest as the region says: it launches.
    values["worker"]["resources"]["limits"]["memory"] = f"{FLOOR_GI}Gi"
    chart.validate_schema(values)
    out = render(values)
    assert out.app_container["resources"]["requests"]["memory"] == "1Gi"
    assert out.worker_container["resources"]["requests"]["memory"] == "1Gi"


def test_cpu_only_floor_is_lower(render):
    render({"gpu": {"enabled": False}, "resources": {"requests": {"memory": "2Gi"},
                                                      "limits": {"memory": "8Gi"}}})
    with pytest.raises(helm.HelmRenderError, match="below the 8Gi"):
        render({"gpu": {"enabled": False}, "resources": {"requests": {"memory": "2Gi"},
                                                          "limits": {"memory": "6Gi"}}})


def test_large_region_defaults_are_taken_whole(
        onyxia, schema, values_yaml, onyxia_context, chart, render):
    values = region_values(onyxia, schema, values_yaml, onyxia_context, LARGE_REGION)
    assert values["resources"] == {
        "requests": {"cpu": "8000m", "memory": "32Gi"},
        "limits": {"cpu": "32000m", "memory": "128Gi", "nvidia.com/gpu": "1"},
    }
    chart.validate_schema(values)
    container = render(values).app_container["resources"]
    assert container["requests"]["cpu"] == "8000m"
    assert container["limits"]["memory"] == "128Gi"


def test_without_an_instance_schema_ours_keeps_the_floor(
        onyxia, schema, values_yaml, onyxia_context, chart, render):
    """An instance without ide/resources-gpu.json shows the chart's own group: the region's
    requests and CPU, but a region limit below the slider's floor gives way to ours."""
    context = copy.deepcopy(onyxia_context)
    context["region"]["resources"] = SMALL_REGION
    values = onyxia.compute(onyxia.substitute(schema, {}), context, values_yaml)
    assert values["resources"]["requests"] == {"cpu": "100m", "memory": "1Gi"}
    assert values["resources"]["limits"]["cpu"] == "2000m"
    assert values["resources"]["limits"]["memory"] == values_yaml["resources"]["limits"]["memory"]
    chart.validate_schema(values)
    render(values)
    context["region"]["resources"] = LARGE_REGION
    values = onyxia.compute(onyxia.substitute(schema, {}), context, values_yaml)
    assert values["resources"]["limits"] == {"cpu": "32000m", "memory": "128Gi",
                                             "nvidia.com/gpu": "2"}


def test_an_instance_schema_replaces_ours(onyxia, schema, values_yaml, onyxia_context):
    """An admin's ide/resources-gpu.json (the region's slider bounds) wins over the chart's."""
    theirs = {"type": "object", "properties": {"requests": {"type": "object", "properties": {
        "memory": {"type": "string", "default": "3Gi", "render": "slider", "sliderMin": 1,
                   "sliderMax": 48, "sliderUnit": "Gi"}}}}}
    substituted = onyxia.substitute(schema, {"ide/resources-gpu.json": theirs})
    assert substituted["properties"]["resources"] == theirs
    values = onyxia.compute(substituted, onyxia_context, values_yaml)
    assert values["resources"] == {"requests": {"memory": "3Gi"}}


@pytest.mark.parametrize(("resources", "message"), [
    ({"requests": {"memory": "64Gi"}, "limits": {"memory": "24Gi"}}, "requests.memory"),
    ({"requests": {"cpu": "16"}, "limits": {"cpu": "8000m"}}, "requests.cpu"),
])
def test_requests_above_limits_are_refused_with_a_message(render, resources, message):
    with pytest.raises(helm.HelmRenderError, match=message):
        render({"resources": resources})


# --------------------------------------------------------------------------- 6. launch link

LAUNCH_LINK = (
    "https://datalab.sspcloud.fr/launcher/whisper-transcription/whisper-transcription"
    "?name=Transcription%20entretiens&autoLaunch=true"
    "&transcription.defaultLanguage=%C2%ABfr%C2%BB"
    "&transcription.defaultModel=%C2%ABlarge-v3%C2%BB"
    "&autoDelete.ttlHours=8"
)


def parse_launch_link(link: str) -> tuple[str, str, dict[str, str], dict[str, Any]]:
    """How onyxia-web reads a launcher URL (web/src/ui/pages/launcher/route.ts): keys with a
    dot are Helm value paths (`\\.` escapes a dot inside a key), the rest route parameters;
    true/false, null, numbers as such; a string between « » (URL-encoded) as it is."""
    parsed = urllib.parse.urlsplit(link)
    match = re.fullmatch(r"/launcher/([^/]+)/([^/]+)", parsed.path)
    assert match, parsed.path
    params: dict[str, str] = {}
    values: dict[str, Any] = {}
    for part in parsed.query.split("&"):
        key, raw = part.split("=")
        if "." not in key:
            params[key] = urllib.parse.unquote(raw)
            continue
        path = [p.replace("\0", ".") for p in
                urllib.parse.unquote(key).replace("\\.", "\0").split(".")]
        if raw in ("true", "false"):
            value: Any = raw == "true"
        elif raw == "null":
            value = None
        elif re.match(r"^[+-]?(\d+\.?\d*|\.\d+)", raw):  # JavaScript's parseFloat
            value = float(re.match(r"^[+-]?(\d+\.?\d*|\.\d+)", raw).group(0))
            value = int(value) if value.is_integer() else value
        else:
            quoted = re.fullmatch("«([^»]*)»", urllib.parse.unquote(raw))
            assert quoted, f"{key}: a string must be written «like this»"
            value = quoted.group(1)
        node = values
        for step in path[:-1]:
            node = node.setdefault(step, {})
        node[path[-1]] = value
    return match.group(1), match.group(2), params, values


def documented_links() -> list[str]:
    links = []
    for doc in (ROOT / "README.md", ROOT / "charts" / "ADMIN.md"):
        links += re.findall(r"https://\S+/launcher/whisper-transcription/\S+", doc.read_text())
    return links


def test_launch_link_presets_are_valid_values(chart, render):
    catalog, name, params, values = parse_launch_link(LAUNCH_LINK)
    assert (catalog, name) == ("whisper-transcription", "whisper-transcription")
    assert params == {"name": "Transcription entretiens", "autoLaunch": "true"}
    assert values == {"transcription": {"defaultLanguage": "fr", "defaultModel": "large-v3"},
                      "autoDelete": {"ttlHours": 8}}
    chart.validate_schema({**values, "security": {"password": PASSWORD}})
    env = render(values).app_env
    assert env["TRANSCRIBE_DEFAULT_LANGUAGE"] == "fr"
    assert env["TRANSCRIBE_DEFAULT_MODEL"] == "large-v3"


def test_documented_launch_links_parse_and_validate(chart):
    links = documented_links()
    assert LAUNCH_LINK in links  # README and ADMIN.md give this very link
    for link in links:
        _, name, _, values = parse_launch_link(link.rstrip(")`"))
        assert name == "whisper-transcription"
        chart.validate_schema({**values, "security": {"password": PASSWORD}})


def test_a_bare_string_in_a_link_is_not_a_string():
    """parseFloat("8Gi") is 8: sizes and names must be written «8Gi»."""
    *_, values = parse_launch_link(LAUNCH_LINK.split("?")[0] + "?resources.limits.memory=16Gi")
    assert values == {"resources": {"limits": {"memory": 16}}}
    *_, values = parse_launch_link(
        LAUNCH_LINK.split("?")[0] + "?resources.limits.nvidia%5C.com/gpu=%C2%AB1%C2%BB")
    assert values == {"resources": {"limits": {"nvidia.com/gpu": "1"}}}


def test_launch_links_choose_the_mode(chart, render):
    """ADMIN.md's link for the old behaviour, and links written before GPU workers."""
    (whole_service,) = [link for link in documented_links() if "gpu.mode=" in link]
    *_, values = parse_launch_link(whole_service.rstrip(")`"))
    assert values["gpu"] == {"mode": "whole-service"}
    out = render(values)
    assert out.app_env["TRANSCRIBE_WORKER_LAUNCHER"] == "process"
    assert out.app_container["resources"]["limits"]["nvidia.com/gpu"] == "1"

    base = LAUNCH_LINK.split("?")[0] + "?autoLaunch=true"
    *_, values = parse_launch_link(base + "&gpu.enabled=false")  # still CPU only
    out = render(values)
    assert out.app_env["TRANSCRIBE_DEVICE"] == "cpu" and out.worker_job is None
    *_, values = parse_launch_link(base + "&worker.maxParallel=4")  # a lab's parallel batch
    chart.validate_schema({**values, "security": {"password": "s3cret-pass"}})
    assert render(values).app_env["TRANSCRIBE_WORKER_MAX_PARALLEL"] == "4"
