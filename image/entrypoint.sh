#!/usr/bin/env bash
# Entry point of the image, under tini: runs `transcribe-web` by default, or the command
# given (`docker run IMAGE transcribe interview.m4a --out /data`).
#
# The chart runs the container with a read-only root filesystem and emptyDirs on /tmp and
# /data. This fills in the defaults the web app reads (transcribe.web.settings: it turns
# them into Streamlit's command line) so that a plain `docker run` behaves as in the chart,
# and creates the cache folders the libraries expect under /tmp.
set -euo pipefail

export TRANSCRIBE_DATA_DIR="${TRANSCRIBE_DATA_DIR:-/data}"
export TRANSCRIBE_MODELS_DIR="${TRANSCRIBE_MODELS_DIR:-/opt/models}"
export TRANSCRIBE_PORT="${TRANSCRIBE_PORT:-8501}"
export TRANSCRIBE_BASE_PATH="${TRANSCRIBE_BASE_PATH:-/}"

# The web app would fall back to 8501 on a bad value while the probes and the healthcheck
# knock on the configured port: refuse it instead.
case $TRANSCRIBE_PORT in
  '' | *[!0-9]*)
    echo "entrypoint: TRANSCRIBE_PORT must be a port number, not '$TRANSCRIBE_PORT'" >&2
    exit 64
    ;;
esac

# matplotlib (pyannote), numba (openai-whisper) and the Hugging Face libraries write
# caches; the image points them under /tmp, which exists at run time but starts empty.
for folder in "${XDG_CACHE_HOME:-}" "${MPLCONFIGDIR:-}" "${NUMBA_CACHE_DIR:-}"; do
  if [ -n "$folder" ] && ! mkdir -p "$folder"; then
    echo "entrypoint: cannot create $folder: /tmp must be writable (an emptyDir in the chart)" >&2
    exit 1
  fi
done

if [ $# -eq 0 ]; then
  set -- transcribe-web
fi
exec "$@"
