"""Run a command as the chart runs the image: no network but the loopback interface, and a
read-only filesystem except the folders given with --writable (the pod's /tmp and /data
emptyDirs). Started inside new network and mount namespaces:

    unshare --map-root-user --net --mount python sandbox.py --writable DIR -- CMD ARG...

The namespaces die with the command: nothing changes outside (unshare makes the mounts
private).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import socket
import struct
import subprocess
import sys

SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
PSEUDO_FILESYSTEMS = ("/proc", "/sys", "/dev")


def loopback_up() -> None:
    """A new network namespace has only `lo`, and down: the web app listens on it."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(sock, SIOCGIFFLAGS, request)[:18])[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | IFF_UP))


def mount_points() -> list[str]:
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        for line in handle:
            point = line.split()[4]
            # mountinfo escapes spaces and the like as octal: \040
            points.append(point.encode().decode("unicode_escape"))
    return points


def mount(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


def read_only_except(writable: list[str]) -> None:
    # The writable folders become mounts of their own first: remounting their parents
    # read-only then leaves them as they are.
    for folder in writable:
        result = mount("--bind", folder, folder)
        if result.returncode:
            sys.exit(f"sandbox: cannot bind {folder}: {result.stderr.strip()}")
    for point in mount_points():
        if point in writable or point.startswith(PSEUDO_FILESYSTEMS):
            continue
        result = mount("-o", "remount,bind,ro", point)
        if result.returncode and point == "/":
            sys.exit(f"sandbox: cannot make / read-only: {result.stderr.strip()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writable", action="append", default=[], metavar="DIR")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")
    loopback_up()
    read_only_except([os.path.realpath(folder) for folder in args.writable])
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
