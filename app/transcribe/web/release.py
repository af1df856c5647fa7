"""'Delete the service now' (chart value autoDelete.fromApp): the app deletes its data, then
its own Helm release the way the deletion job does (transcribe.self_delete, with the plan
the chart renders for the app), which frees the GPU at once. Without that grant, the user
is told to delete the service in Onyxia."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime

from .. import self_delete
from ..kube_api import KubeClient

log = logging.getLogger("transcribe.web")


def can_delete_release(env: Mapping[str, str] | None = None) -> bool:
    """The chart granted it: a plan, and the Pod that will own the app's own objects."""
    env = os.environ if env is None else env
    return bool(env.get("SELF_DELETE_PLAN") and env.get("SELF_DELETE_JOB_UID")
                and env.get("SELF_DELETE_OWNER_KIND") == "Pod")


def delete_release(env: Mapping[str, str] | None = None) -> bool:
    """Run the plan now; True when every object was deleted (the StatefulSet last: this
    process is then stopped by Kubernetes). Logs name objects, never data."""
    env = dict(os.environ if env is None else env)
    env["TRANSCRIBE_DELETE_AT"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        settings = self_delete.Settings.from_env(env)
    except (ValueError, OSError) as error:
        log.error("Cannot delete the release: %s", error)
        return False
    return self_delete.SelfDeleter(settings, KubeClient(settings)).run() == 0
