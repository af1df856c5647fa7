"""Imported at start-up by the Python processes the offline tests run (they put this folder
first on PYTHONPATH): every attempt to reach another machine is written to $NET_GUARD_LOG,
and with NET_GUARD=block it is refused. Connections to this machine (loopback, Unix
sockets) are let through: the web app listens on one."""

import os
import sys

_LOG = os.environ.get("NET_GUARD_LOG")
_BLOCK = os.environ.get("NET_GUARD") == "block"
# Audit events of the socket module, and which argument holds the address or host.
_EVENTS = {"socket.connect": 1, "socket.sendto": 1, "socket.sendmsg": 1,
           "socket.getaddrinfo": 0, "socket.gethostbyname": 0}
_LOCAL = {"", "localhost", "localhost.localdomain", "ip6-localhost", "::1", "0.0.0.0", "::"}


def _host(target):
    """The Internet host a call targets; None for Unix sockets, netlink, or no host."""
    if isinstance(target, tuple):
        target = target[0] if target else None
    if isinstance(target, bytes):
        target = target.decode(errors="replace")
    if not isinstance(target, str) or target.startswith(("/", "\0")):
        return None
    return target


def _audit(event, args):
    position = _EVENTS.get(event)
    if position is None or len(args) <= position:
        return
    host = _host(args[position])
    if host is None or host in _LOCAL or host.startswith("127."):
        return
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()} {event} {args[position]!r}\n")
    if _BLOCK:
        raise ConnectionRefusedError(f"network access refused by the offline test: {host}")


sys.addaudithook(_audit)
