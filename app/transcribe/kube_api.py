"""A minimal Kubernetes REST client for the deletion program (self_delete.py) and the app's
"delete the service now" (web/release.py): plain HTTPS requests with the pod's
service-account token, standard library only (no kubectl, no client library).

The API server's certificate is checked against the cluster's CA (``ca.crt`` of the
service account) and nothing else; proxies from the environment are never used (the
token goes to the API server only). Transient failures (408, 429, 5xx, no answer) are
retried with a doubling delay, or the one a 429 asks for; an object already gone (404)
is an answer, not an error. Response bodies are drained, never logged (a deleted Secret
comes back with its data), nor is the token.
"""

from __future__ import annotations

import json
import logging
import os
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any, Protocol

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

log = logging.getLogger("transcribe.self_delete")


class ApiError(Exception):
    """A request that failed for good (after retries, or not retryable)."""

    def __init__(self, method: str, path: str, status: int, reason: str) -> None:
        super().__init__(f"{method} {path}: {status or 'no answer'} {reason}".strip())
        self.status = status


class ApiSettings(Protocol):
    """What the client reads of the program's settings (self_delete.Settings)."""

    api_url: str
    token_file: str
    ca_file: str | None
    retries: int
    retry_base_seconds: float
    request_timeout_seconds: float


def read_text(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read().strip()


def in_cluster_url(env: dict[str, str] | os._Environ[str]) -> str:
    host = env.get("KUBERNETES_SERVICE_HOST", "")
    port = env.get("KUBERNETES_SERVICE_PORT", "443")
    if not host:
        return "https://kubernetes.default.svc"
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"https://{host}:{port}"


def object_path(namespace: str, ref: dict[str, Any]) -> str:
    """API path of a namespaced object, e.g. /apis/apps/v1/namespaces/ns/statefulsets/x."""
    api_version = ref["apiVersion"]
    prefix = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    return (
        f"{prefix}/namespaces/{urllib.parse.quote(namespace, safe='')}"
        f"/{ref['resource']}/{urllib.parse.quote(ref['name'], safe='')}"
    )


class KubeClient:
    """Minimal Kubernetes REST client: one request, retried when transient."""

    def __init__(
        self, settings: ApiSettings, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._settings = settings
        self._sleep = sleep
        handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
        if settings.api_url.startswith("https://"):
            context = ssl.create_default_context(cafile=settings.ca_file)
            handlers.append(urllib.request.HTTPSHandler(context=context))
        self._opener = urllib.request.build_opener(*handlers)

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        content_type: str = "application/json",
    ) -> int:
        """Send a request; return its HTTP status (2xx or 404), raise ApiError otherwise."""
        attempts = max(1, self._settings.retries)
        status, reason = 0, ""
        for attempt in range(1, attempts + 1):
            delay = self._settings.retry_base_seconds * 2 ** (attempt - 1)
            try:
                return self._send(method, path, body, content_type)
            except urllib.error.HTTPError as error:
                status, reason = error.code, _status_reason(error)
                if status not in TRANSIENT_STATUSES:
                    raise ApiError(method, path, status, reason) from None
                retry_after = (
                    error.headers.get("Retry-After", "") if error.headers else ""
                )
                if retry_after.isdigit():
                    delay = min(float(retry_after), 30.0)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                status, reason = 0, type(error).__name__
            if attempt < attempts:
                log.warning(
                    "%s %s failed (%s %s), retry %d/%d in %.1f s",
                    method,
                    path,
                    status or "no answer",
                    reason,
                    attempt,
                    attempts - 1,
                    delay,
                )
                self._sleep(delay)
        raise ApiError(method, path, status, reason)

    def _send(
        self, method: str, path: str, body: dict[str, Any] | None, content_type: str
    ) -> int:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self._settings.api_url.rstrip("/") + path, data=data, method=method
        )
        request.add_header(
            "Authorization", "Bearer " + read_text(self._settings.token_file)
        )
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", content_type)
        try:
            with self._opener.open(
                request, timeout=self._settings.request_timeout_seconds
            ) as response:
                response.read()  # drained, never logged: it may hold a Secret's data
                return int(response.status)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                error.read()
                return 404
            raise


def _status_reason(error: urllib.error.HTTPError) -> str:
    """Short, safe description of an API error: the Status object's reason and message."""
    try:
        payload = json.loads(error.read() or b"{}")
    except (ValueError, OSError):
        return str(error.reason or "")
    if not isinstance(payload, dict) or payload.get("kind") != "Status":
        return str(error.reason or "")
    message = str(payload.get("message", ""))[:200]
    return f"{payload.get('reason', '')}: {message}".strip(": ")
