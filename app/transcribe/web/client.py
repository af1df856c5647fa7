"""What a request says about where it comes from, read the one way the gate reads it: its
cookies (tolerant of other services' cookies), its origin (same origin or refused), the
client's address and scheme (X-Forwarded-* believed only behind a proxy the chart declares).
No HTTP handling here: `gate.py` decides with these."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from starlette.types import Scope


def header(scope: Scope, name: bytes) -> str:
    """A request header's value; several of one name (HTTP/2 splits cookies) joined."""
    found = [value.decode("latin-1") for key, value in scope.get("headers", []) if key == name]
    return ("; " if name == b"cookie" else ", ").join(found)


def cookie_values(cookies: str, name: str) -> list[str]:
    """Every value of cookie `name` in a Cookie header, in the header's order. The one
    parser of the gate and the login routes: it reads `name=value` pairs split on ";" and
    skips whatever else is there (another service of the same domain may set cookies that
    no strict parser accepts, such as `prefs={"a":1}`). Two of our name can come (a
    sibling service's cookie for the parent domain, say): the caller takes the first that
    is valid, never simply the last."""
    values = []
    for part in cookies.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key.strip() == name:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            values.append(value)
    return values


def same_origin(scope: Scope, behind_proxy: bool = False) -> bool:
    """False for a request or websocket that says it comes from another origin than the
    page's own: its Origin against the Host it was sent to (behind a declared proxy, the
    X-Forwarded-Host it passes on too). Browsers send Origin with every websocket and every
    request that changes something; a request without one (curl, the kubelet) is no page
    of another site."""
    origin = header(scope, b"origin").strip()
    if not origin:
        return True
    try:
        parts = urlsplit(origin)
        origin_port = parts.port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False  # "null" (a sandboxed frame, a file), or not a web page at all
    default = 443 if parts.scheme == "https" else 80
    hosts = [header(scope, b"host")]
    if behind_proxy:
        hosts.append(header(scope, b"x-forwarded-host").split(",")[-1])
    for host in hosts:
        try:
            sent = urlsplit("//" + host.strip())
            port = sent.port
        except ValueError:
            continue
        if sent.hostname != parts.hostname:
            continue
        # Host names its port unless it is the default one of what the browser used.
        if port is None:
            if origin_port in (None, default):
                return True
        elif (origin_port or default) == port:
            return True
    return False


def is_https(scope: Scope) -> bool:
    """Behind the ingress the app speaks plain HTTP; the proxy says what the browser used."""
    forwarded = header(scope, b"x-forwarded-proto").split(",")[0].strip().lower()
    return forwarded == "https" or scope.get("scheme") in ("https", "wss")


def client_address(scope: Scope, behind_proxy: bool = False) -> str:
    """Behind a proxy the chart declares, the last X-Forwarded-For hop (what the ingress
    saw); otherwise the connection's peer: anyone can send the header."""
    if behind_proxy:
        forwarded = header(scope, b"x-forwarded-for").split(",")[-1].strip()
        if forwarded:
            return forwarded
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def limit_key(address: str) -> str:
    """What the login limit counts by: the address; for IPv6 its /64, which one household
    or one server holds whole."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
