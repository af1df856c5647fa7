#!/usr/bin/env bash
# Python layer of the image: a virtual environment with the app's third-party dependencies.
#   gpu: torch from PyPI, built for CUDA 12.8. It brings cuBLAS and cuDNN as nvidia-* wheels,
#        the image's only copy of them: cuda_libs.py lets CTranslate2 find them too.
#   cpu: torch from PyTorch's CPU-only index: no CUDA libraries, several GB smaller.
# The app itself is installed later from a wheel, so that a code change keeps this layer.
#
# Usage: install-python.sh gpu|cpu PYPROJECT     (DRY_RUN=1 prints the commands instead)
set -euo pipefail

variant=$1
pyproject=$2
venv=${VENV:-/opt/venv}
here=$(cd "$(dirname "$0")" && pwd)

# The torchaudio and torchvision releases made with torch 2.8.0 (whisperx pins ~=2.8.0 and
# ~=0.23.0). The CPU index publishes the same versions with a "+cpu" label.
TORCHAUDIO_VERSION=2.8.0
TORCHVISION_VERSION=0.23.0
CPU_INDEX=https://download.pytorch.org/whl/cpu

run() { if [ "${DRY_RUN:-0}" = 1 ]; then echo "$*"; else "$@"; fi; }

case $variant in
  gpu) index=() label="" ;;
  cpu) index=(--index-url "$CPU_INDEX") label="+cpu" ;;
  *) echo "install-python.sh: variant must be gpu or cpu, not '$variant'" >&2; exit 64 ;;
esac

# The dependencies exactly as pyproject.toml lists them (the app's wheel comes later).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$pyproject" >"$work/requirements.txt" <<'EOF'
import sys
import tomllib

with open(sys.argv[1], "rb") as handle:
    print("\n".join(tomllib.load(handle)["project"]["dependencies"]))
EOF
torch_version=$(sed -n 's/^torch==//p' "$work/requirements.txt")
if [ -z "$torch_version" ]; then
  echo "install-python.sh: pyproject.toml must pin torch==<version>" >&2
  exit 65
fi
# Whatever the other requirements ask for, pip must keep this torch build: with these
# constraints it fails rather than silently swap the CPU build for PyPI's CUDA one.
printf '%s\n' "torch==$torch_version$label" "torchaudio==$TORCHAUDIO_VERSION$label" \
  "torchvision==$TORCHVISION_VERSION$label" >"$work/constraints.txt"

if [ "${DRY_RUN:-0}" = 1 ]; then sed 's/^/constraint: /' "$work/constraints.txt"; fi

pip=("$venv/bin/python" -m pip install --no-input --disable-pip-version-check)
run python3 -m venv "$venv"
run "${pip[@]}" "${index[@]}" --constraint "$work/constraints.txt" torch torchaudio torchvision
run "${pip[@]}" --requirement "$work/requirements.txt" --constraint "$work/constraints.txt"
run "$venv/bin/python" -m pip check

if [ "$variant" = gpu ]; then
  run "$venv/bin/python" "$here/cuda_libs.py" --require --write /etc/ld.so.conf.d/torch-cuda.conf
  run ldconfig
fi

# What was installed, for provenance (the image is rebuilt, never patched in place).
if [ "${DRY_RUN:-0}" = 1 ]; then
  echo "pip freeze > $venv/pip-freeze.txt"
else
  "$venv/bin/python" -m pip freeze --all >"$venv/pip-freeze.txt"
fi
