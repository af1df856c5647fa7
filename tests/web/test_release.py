"""'Delete the service now' (web/release.py) against the stand-in Kubernetes API of
test_self_delete, with a plan written here (tests/chart/test_chart_app_delete.py runs the
same with the plan the chart renders)."""

from __future__ import annotations

import logging

from test_self_delete import NS, FakeKubeApi, app_env, everything, sample_plan, sd

from transcribe.web import release

POD = {"name": "whisper-transcription-42-0", "uid": "0b6a1f5e-2f1d-4c3e-8a5b-7d9e0f1a2b3c"}



def test_the_app_deletes_its_release_now_and_hands_its_own_objects_to_its_pod(tmp_path):
    plan = sample_plan()
    with FakeKubeApi() as api:
        api.add(*everything(plan))
        env = app_env(api, plan, tmp_path, POD)
        assert release.can_delete_release(env)
        assert release.delete_release(env) is True  # no waiting for a deadline
        deletes = [path for method, path in api.requests("DELETE")]
        assert deletes == [sd.object_path(NS, r) for r in [*plan["delete"], plan["last"]]]
        patches = [c for c in api.calls if c["method"] == "PATCH"]
        assert [c["body"] for c in patches] == [{"metadata": {"ownerReferences": [
            {"apiVersion": "v1", "kind": "Pod", **POD}]}}] * len(plan["ownByJob"])


def test_a_failed_deletion_says_so_and_a_broken_plan_deletes_nothing(tmp_path, caplog):
    plan = sample_plan()
    with FakeKubeApi() as api:
        api.add(*everything(plan))
        api.forbidden.add(sd.object_path(NS, plan["delete"][0]))
        assert release.delete_release(app_env(api, plan, tmp_path, POD)) is False
        assert sd.object_path(NS, plan["last"]) in api.objects
    caplog.set_level(logging.ERROR, logger="transcribe.web")
    assert release.delete_release({"SELF_DELETE_PLAN": "not json"}) is False
    assert [r.getMessage().startswith("Cannot delete the release: ") for r in caplog.records
            if r.name == "transcribe.web"] == [True]


def test_the_grant_is_a_plan_a_pod_and_its_uid(monkeypatch):
    granted = {"SELF_DELETE_PLAN": "{}", "SELF_DELETE_JOB_UID": "u",
               "SELF_DELETE_OWNER_KIND": "Pod"}
    assert release.can_delete_release(granted)
    for name in granted:
        assert not release.can_delete_release({**granted, name: ""}), name
    assert not release.can_delete_release({**granted, "SELF_DELETE_OWNER_KIND": "Job"})
    for name, value in granted.items():
        monkeypatch.setenv(name, value)
    assert release.can_delete_release()
    monkeypatch.delenv("SELF_DELETE_JOB_UID")
    assert not release.can_delete_release()


def test_without_an_environment_given_the_process_one_is_used(tmp_path, monkeypatch):
    plan = sample_plan()
    with FakeKubeApi() as api:
        api.add(*everything(plan))
        for name, value in app_env(api, plan, tmp_path, POD).items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("TRANSCRIBE_DELETE_AT", raising=False)
        assert release.delete_release() is True
        assert sd.object_path(NS, plan["last"]) not in api.objects
