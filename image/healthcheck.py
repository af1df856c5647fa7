#!/usr/bin/env python3
"""The image's HEALTHCHECK: exit 0 when the web app answers 200 on Streamlit's health
endpoint, <base path>/_stcore/health, and 1 otherwise. Standard library only (no curl in
the image); Kubernetes uses the chart's own probes on the same path instead.

Port and base path come from TRANSCRIBE_PORT and TRANSCRIBE_BASE_PATH, as for the app.
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.request

WILDCARD_ADDRESSES = ("", "0.0.0.0", "::")


def health_url(port: int | str, base_path: str = "/", address: str | None = None) -> str:
    # The app strips the slashes around its base path ("/user/x/" -> "user/x").
    base = base_path.strip().strip("/")
    path = f"/{base}/_stcore/health" if base else "/_stcore/health"
    host = (address or "").strip()
    if host in WILDCARD_ADDRESSES:
        host = "127.0.0.1"  # the app listens on every interface: ask the local one
    elif ":" in host:
        host = f"[{host}]"  # an IPv6 literal
    return f"http://{host}:{port}{path}"


def check(url: str, timeout: float) -> tuple[bool, str]:
    # Never through a proxy: HTTP(S)_PROXY may be set in the pod for other tools.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status == 200, f"{url}: HTTP {response.status}"
    except urllib.error.HTTPError as error:
        return False, f"{url}: HTTP {error.code}"
    except (OSError, ValueError) as error:  # refused, timed out, bad URL
        return False, f"{url}: {error}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", default=os.environ.get("TRANSCRIBE_PORT") or "8501")
    parser.add_argument("--base-path", default=os.environ.get("TRANSCRIBE_BASE_PATH") or "/")
    parser.add_argument("--address", default=os.environ.get("TRANSCRIBE_ADDRESS"))
    parser.add_argument("--timeout", type=float, default=4.0, help="seconds")
    args = parser.parse_args(argv)

    healthy, detail = check(health_url(args.port, args.base_path, args.address), args.timeout)
    print(("healthy: " if healthy else "unhealthy: ") + detail,
          file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
