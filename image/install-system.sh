#!/usr/bin/env bash
# System layer of the image (runs as root at build time, on Ubuntu 24.04 for both variants):
# Python, ffmpeg, tini, the user Onyxia expects, and the folder the app writes to.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
apt-get update
# python3-venv: the app lives in /opt/venv (Ubuntu's own Python is "externally managed").
# ffmpeg: decodes every recording; torchcodec (pyannote.audio) loads its shared libraries.
# tini: PID 1 that forwards SIGTERM to the app and reaps the ffmpeg processes it starts.
# Versions are not pinned: the base image tag fixes the release, and a rebuild should pick
# up its security updates.
apt-get install -y --no-install-recommends python3 python3-venv ffmpeg tini
apt-get clean
rm -rf /var/lib/apt/lists/*

# Onyxia's convention (as in InseeFrLab's images): user onyxia, uid 1000, group users (gid
# 100), home /home/onyxia. Ubuntu 24.04 images already have a user "ubuntu" with uid 1000.
existing=$(getent passwd 1000 | cut -d: -f1 || true)
if [ -n "$existing" ] && [ "$existing" != onyxia ]; then
  userdel "$existing"
  rm -rf "/home/${existing:?}"
fi
if ! id onyxia >/dev/null 2>&1; then
  useradd --uid 1000 --gid 100 --home-dir /home/onyxia --create-home --shell /bin/bash onyxia
fi

# TRANSCRIBE_DATA_DIR: the only place the app writes. The chart mounts an emptyDir over it;
# with a plain `docker run` this folder is used (and lost with the container).
install -d -o 1000 -g 100 -m 0750 /data
