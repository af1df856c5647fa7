"""The chart's part of issue 12: deletion retried until the release is gone, the data
volume's limit passed to the app and requested from the node, and no password-derived
annotation on the pod."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest

PASSWORD = "s3cret-pass"  # conftest.py
KUBELET_MAX_BACKOFF = 300  # seconds between restarts of a failing container, at most


def next_fire(schedule: str, after: datetime) -> datetime:
    """The next minute a daily "m h * * *" schedule fires after `after` (UTC)."""
    minute, hour, *rest = schedule.split()
    assert rest == ["*", "*", "*"], schedule
    candidate = after.replace(hour=int(hour), minute=int(minute), second=0, microsecond=0)
    return candidate if candidate > after else candidate + timedelta(days=1)


# --------------------------------------------------------------------------- deletion retried


@pytest.mark.parametrize("ahead", [timedelta(minutes=2), timedelta(hours=8, minutes=30),
                                   timedelta(hours=23, minutes=58)])
def test_first_run_is_the_deadline_then_every_day(render, ahead):
    now = datetime.now(UTC)
    at = (now + ahead).replace(second=0, microsecond=0)
    out = render({"autoDelete": {"deleteAt": at.strftime("%Y-%m-%dT%H:%M:%SZ")}})
    schedule = out.one("CronJob")["spec"]["schedule"]
    assert next_fire(schedule, now) == at  # never before the deadline...
    assert next_fire(schedule, at) == at + timedelta(days=1)  # ...and again a day later


def test_default_lifetime_first_run_is_the_deadline(render):
    now = datetime.now(UTC)
    out = render({})
    deadline = datetime.strptime(out.app_env["TRANSCRIBE_DELETE_AT"],
                                 "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert next_fire(out.one("CronJob")["spec"]["schedule"], now) == deadline


def test_a_failed_run_is_retried_every_few_minutes_until_the_next_day(render):
    cronjob = render({}).one("CronJob")
    job = cronjob["spec"]["jobTemplate"]["spec"]
    pod = job["template"]["spec"]
    # A failure restarts the container in the same pod, 10 s to 5 min apart...
    assert pod["restartPolicy"] == "OnFailure"
    # ...for as long as the run lasts, which ends before the next day's run.
    assert job["backoffLimit"] * KUBELET_MAX_BACKOFF >= job["activeDeadlineSeconds"]
    assert job["activeDeadlineSeconds"] < 24 * 3600
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    # A controller that was down at the deadline still starts the run (up to a day late).
    assert cronjob["spec"]["startingDeadlineSeconds"] >= 3600


# --------------------------------------------------------------------------- storage limit


@pytest.mark.parametrize(("size", "tmp", "limit_mb", "storage"), [
    ("50Gi", "20Gi", "51200", "71680Mi"),
    ("1.5Gi", "500Mi", "1536", "2036Mi"),
    ("10G", "2G", "9536", "11445Mi"),  # decimal units: rounded down for the app, up for the node
])
def test_data_limit_reaches_the_app_and_the_scheduler(render, size, tmp, limit_mb, storage):
    out = render({"data": {"sizeLimit": size, "tmpSizeLimit": tmp}})
    assert out.app_env["TRANSCRIBE_DATA_LIMIT_MB"] == limit_mb
    requests = out.app_container["resources"]["requests"]
    assert requests["ephemeral-storage"] == storage
    data = next(v for v in out.app_pod["volumes"] if v["name"] == "data")
    assert data["emptyDir"]["sizeLimit"] == size


def test_in_memory_data_requests_no_disk(render):
    out = render({"data": {"inMemory": True, "sizeLimit": "4Gi", "tmpSizeLimit": "2Gi"},
                  "resources": {"limits": {"memory": "48Gi"}}})
    assert "ephemeral-storage" not in out.app_container["resources"]["requests"]
    assert out.app_env["TRANSCRIBE_DATA_LIMIT_MB"] == "4096"


# --------------------------------------------------------------------------- annotation


def test_no_annotation_is_a_plain_hash_of_the_password(render):
    out = render({})
    secret = out.one("Secret")
    plain_hashes = {
        hashlib.sha256(PASSWORD.encode()).hexdigest(),
        hashlib.sha256(base64.b64encode(PASSWORD.encode())).hexdigest(),
        hashlib.sha256(out.manifests[next(k for k in out.manifests
                                          if k.endswith("secret.yaml"))].encode()).hexdigest(),
    }
    for doc in out.docs:
        for where in (doc["metadata"], doc.get("spec", {}).get("template", {}).get("metadata",
                                                                                     {})):
            for value in (where.get("annotations") or {}).values():
                assert value not in plain_hashes and PASSWORD not in value
    annotations = out.one("StatefulSet")["spec"]["template"]["metadata"]["annotations"]
    assert not any(name.startswith("checksum/") for name in annotations)
    # A keyed hash: the key is only in the Secret, which pod readers cannot see.
    key = base64.b64decode(secret["data"]["annotationKey"]).decode()
    assert len(key) == 32
    assert annotations["transcribe/password-version"] == hashlib.sha256(
        f"{key}:{PASSWORD}".encode()).hexdigest()


def test_annotation_key_differs_between_releases(render):
    first = render({}).one("StatefulSet")["spec"]["template"]["metadata"]["annotations"]
    second = render({}).one("StatefulSet")["spec"]["template"]["metadata"]["annotations"]
    assert first["transcribe/password-version"] != second["transcribe/password-version"]
