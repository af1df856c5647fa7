"""autoDelete.fromApp: the app's "delete the service now" deletes its release the way the
deletion job does. The plan the chart renders for the app runs through
transcribe.web.release against a stand-in API server (tests/test_self_delete.py), and the
Role the chart grants covers exactly that plan."""

from __future__ import annotations

import json

import pytest
from test_self_delete import NS, FakeKubeApi, app_env, sd

from transcribe.web import release

RELEASE = "whisper-transcription-123456"  # conftest.py
POD = {"name": f"{RELEASE}-0", "uid": "0b7c6f3e-pod-uid"}
HOST = "user-jdoe-123456-0.lab.example.org"


def app_values(**extra):
    return {"autoDelete": {"fromApp": True}, "ingress": {"enabled": True, "hostname": HOST},
            **extra}


def rendered_plan(render) -> dict:
    return json.loads(render(app_values(), namespace=NS).app_env["SELF_DELETE_PLAN"])



@pytest.mark.parametrize("gpu", [{"mode": "whole-service"}, {"enabled": False}])
def test_off_by_default_the_app_has_no_token_and_no_way_out(render, gpu):
    """Without GPU workers (which the app starts through the API) and without the button."""
    out = render({"gpu": gpu})
    assert out.app_pod["automountServiceAccountToken"] is False
    assert "serviceAccountName" not in out.app_pod
    assert "SELF_DELETE_PLAN" not in out.app_env
    assert not [d for d in out.docs if d["metadata"]["name"].endswith(("-app", "-app-api"))]
    assert not release.can_delete_release({})


def test_off_by_default_with_gpu_workers_the_token_cannot_delete(render):
    out = render({})
    assert out.app_pod["serviceAccountName"] == f"{RELEASE}-app"
    assert "SELF_DELETE_PLAN" not in out.app_env
    assert {d["metadata"]["name"] for d in out.kind("Role")} == {
        f"{RELEASE}-launcher", f"{RELEASE}-self-delete"}


def test_granted_the_app_gets_a_token_for_its_own_release_only(render):
    out = render(app_values())
    name = f"{RELEASE}-app"
    assert out.app_pod["serviceAccountName"] == name
    assert out.app_pod["automountServiceAccountToken"] is True
    env = out.app_env
    assert env["SELF_DELETE_OWNER_KIND"] == "Pod"
    assert env["SELF_DELETE_JOB_UID"] == {"fieldRef": {"fieldPath": "metadata.uid"}}
    plan = json.loads(env["SELF_DELETE_PLAN"])
    # The StatefulSet goes last: the app keeps working until everything else is gone.
    assert plan["last"] == {"apiVersion": "apps/v1", "resource": "statefulsets",
                            "name": RELEASE}
    deleted = {entry["name"] for entry in plan["delete"]}
    assert {RELEASE, f"{RELEASE}-self-delete", f"{RELEASE}-deadline",
            f"sh.helm.release.v1.{RELEASE}.v1"} <= deleted
    owned = {(entry["resource"], entry["name"]) for entry in plan["ownByJob"]}
    # Its permissions and policies, GPU workers' included, go with its pod.
    assert owned == {
        *(("networkpolicies", f"{RELEASE}-{suffix}")
          for suffix in ("ingress", "egress", "app-api", "worker")),
        ("roles", name), ("rolebindings", name), ("serviceaccounts", name),
        ("roles", f"{RELEASE}-launcher"), ("rolebindings", f"{RELEASE}-launcher"),
    }
    assert {f"{RELEASE}-worker", f"{RELEASE}-worker-job"} <= deleted  # Service, ConfigMap

    role = out.one("Role", name)
    granted = {(rule["resources"][0], rule["resourceNames"][0], verb)
               for rule in role["rules"] for verb in rule["verbs"]}
    for rule in role["rules"]:
        assert len(rule["resourceNames"]) == 1 and set(rule["verbs"]) <= {"delete", "patch"}
    expected = {(e["resource"], e["name"], "delete") for e in [*plan["delete"], plan["last"]]}
    expected |= {(e["resource"], e["name"], "patch") for e in plan["ownByJob"]}
    assert granted == expected

    # The app may reach the API server; the deletion job also removes these at the deadline.
    policy = out.one("NetworkPolicy", f"{RELEASE}-app-api")
    assert policy["spec"]["policyTypes"] == ["Egress"]
    assert {p["port"] for p in policy["spec"]["egress"][0]["ports"]} == {443, 6443}
    job_plan = json.loads(next(e["value"] for e in out.job_pod["containers"][0]["env"]
                               if e["name"] == "SELF_DELETE_PLAN"))
    assert {f"{RELEASE}-app", f"{RELEASE}-app-api"} <= {e["name"] for e in job_plan["delete"]}
    job_role = {n for rule in out.one("Role", f"{RELEASE}-self-delete")["rules"]
                for n in rule["resourceNames"]}
    assert {f"{RELEASE}-app", f"{RELEASE}-app-api"} <= job_role


PLURAL = {"NetworkPolicy": "networkpolicies", "Ingress": "ingresses"}


@pytest.mark.parametrize("gpu", [{}, {"mode": "whole-service"}, {"enabled": False}])
def test_the_apps_plan_covers_every_object_the_chart_renders(render, gpu):
    out = render(app_values(gpu=gpu))
    plan = json.loads(out.app_env["SELF_DELETE_PLAN"])
    planned = {(e["resource"], e["name"]) for e in [*plan["delete"], *plan["ownByJob"],
                                                      plan["last"]]}
    rendered = {(PLURAL.get(d["kind"], d["kind"].lower() + "s"), d["metadata"]["name"])
                for d in out.docs}
    # Everything the chart renders goes; beyond it, only the release record Helm and
    # onyxia-api write (sh.helm.release.v1.*, sh.onyxia.release.v1.*).
    assert rendered <= planned, rendered - planned
    assert all(kind == "secrets" and name.startswith("sh.")
               for kind, name in planned - rendered)


def test_the_app_deletes_its_release_with_the_rendered_plan(render, tmp_path):
    plan = rendered_plan(render)
    with FakeKubeApi() as api:
        api.add(*plan["delete"], *plan["ownByJob"], plan["last"])
        env = app_env(api, plan, tmp_path, POD)
        assert release.can_delete_release(env)
        assert release.delete_release(env) is True

        deletes = [path for method, path in api.requests("DELETE")]
        assert deletes == [sd.object_path(NS, r) for r in [*plan["delete"], plan["last"]]]
        patches = [c for c in api.calls if c["method"] == "PATCH"]
        assert [c["path"] for c in patches] == [sd.object_path(NS, r) for r in plan["ownByJob"]]
        for call in patches:
            assert call["body"] == {"metadata": {"ownerReferences": [
                {"apiVersion": "v1", "kind": "Pod", **POD}]}}
        # What is left goes with the app's pod, which its StatefulSet's deletion removes.
        assert api.objects == {sd.object_path(NS, r) for r in plan["ownByJob"]}


def test_a_failed_deletion_says_so(render, tmp_path):
    plan = rendered_plan(render)
    with FakeKubeApi() as api:
        api.add(*plan["delete"], *plan["ownByJob"], plan["last"])
        api.forbidden.add(sd.object_path(NS, plan["delete"][0]))
        env = app_env(api, plan, tmp_path, POD)
        assert release.delete_release(env) is False
        # Stopped before the app's own objects and its StatefulSet: nothing half-owned.
        assert not [c for c in api.calls if c["method"] == "PATCH"]
        assert sd.object_path(NS, plan["last"]) in api.objects


@pytest.mark.parametrize("env", [{}, {"SELF_DELETE_PLAN": "{}"},
                                 {"SELF_DELETE_PLAN": "{}", "SELF_DELETE_JOB_UID": "u"}])
def test_without_the_grant_there_is_no_button(env):
    assert not release.can_delete_release(env)


@pytest.mark.parametrize("gpu", [{}, {"mode": "whole-service"}, {"enabled": False}])
def test_notes_mention_the_button_only_when_granted(render, gpu):
    assert "Delete the service now" in render(app_values(gpu=gpu)).notes
    assert "Delete the service now" not in render({**INGRESS_ONLY, "gpu": gpu}).notes
    french = render(app_values(gpu=gpu, userPreferences={"language": "fr"})).notes
    assert "Supprimer le service maintenant" in french


INGRESS_ONLY = {"ingress": {"enabled": True, "hostname": HOST}}


def test_the_grant_is_read_from_the_environment_and_a_broken_plan_deletes_nothing(
        monkeypatch, caplog):
    granted = {"SELF_DELETE_PLAN": "{}", "SELF_DELETE_JOB_UID": "u",
               "SELF_DELETE_OWNER_KIND": "Pod"}
    assert release.can_delete_release(granted)
    assert not release.can_delete_release({**granted, "SELF_DELETE_OWNER_KIND": "Job"})
    for name, value in granted.items():
        monkeypatch.setenv(name, value)
    assert release.can_delete_release()
    monkeypatch.delenv("SELF_DELETE_JOB_UID")
    assert not release.can_delete_release()
    caplog.set_level("ERROR", logger="transcribe.web")
    assert release.delete_release({"SELF_DELETE_PLAN": "not json"}) is False
    assert [r.getMessage().startswith("Cannot delete the release: ") for r in caplog.records
            ] == [True]
