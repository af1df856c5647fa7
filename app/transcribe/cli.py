"""`transcribe FILE... --out DIR --format ...`: argument parsing and a progress bar.

Each file is transcribed on its own: a failed file is reported by name and the others
go on; the exit status is non-zero if any failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .asr import DEFAULT_ENGINE, ENGINE_CHOICES, model_kind
from .conventions import Conventions
from .export import FORMATS, parse_formats, write_exports
from .i18n import UserFacingError, message, normalise_language
from .models import ModelStore
from .options import (
    AUTO,
    DEVICES,
    PRESETS,
    AsrOptions,
    ModelSettings,
    PipelineOptions,
    SpeakerOptions,
    parse_names,
    spoken_language,
)
from .pipeline import check_options, overall_fraction, run, stages_for


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="transcribe",
        description="Transcribe interview recordings offline with Whisper. "
                    "`transcribe models` lists the models on disk.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="audio or video files")
    parser.add_argument("--out", type=Path, default=Path("."), help="output folder")
    parser.add_argument("--format", default="txt,docx,srt,vtt,json,csv,qda",
                        help=f"comma-separated, among: {','.join(FORMATS)}")
    parser.add_argument("--language", default=AUTO,
                        help="spoken language code (fr, en...) or auto; one per file in "
                             "order, comma-separated, for a batch of several (fr,en)")
    parser.add_argument("--model", default=None, help="Whisper model (default: best on disk)")
    parser.add_argument("--engine", default=DEFAULT_ENGINE, choices=ENGINE_CHOICES,
                        help="auto (default): whisperx on a GPU, faster-whisper on a CPU")
    parser.add_argument("--prompt", default=None,
                        help="vocabulary hint: names, places and jargon the recording contains")
    parser.add_argument("--device", default=AUTO, choices=DEVICES)
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--condition-on-previous-text", action="store_true",
                        help="feed each window the previous text (off: fewer loops)")
    parser.add_argument("--temperature", type=_temperatures, default=None, metavar="T[,T...]",
                        help="decoding temperatures, tried in order when a window fails "
                             "Whisper's quality checks (default 0,0.2,...,1; 0: no fallback)")
    parser.add_argument("--no-guard", action="store_true",
                        help="keep repetition loops and text over silence")
    speakers = parser.add_argument_group(
        "speakers", "Any of these options implies --diarize (none is ever ignored).")
    speakers.add_argument("--diarize", action="store_true",
                          help="find who speaks when and label interviewer / interviewee")
    speakers.add_argument("--preset", choices=tuple(PRESETS),
                          default=None,
                          help="interview (default): 2 speakers; group: 2 to 6; "
                               "single: one speaker, no diarization")
    speakers.add_argument("--speakers", type=int, default=None, metavar="N",
                          help="exact number of speakers")
    speakers.add_argument("--min-speakers", type=int, default=None)
    speakers.add_argument("--max-speakers", type=int, default=None)
    speakers.add_argument("--stereo", choices=("auto", "on", "off"), default=None,
                          help="one speaker per channel (two microphones); "
                               "default auto: detected")
    speakers.add_argument("--names", default="",
                          help='e.g. "Interviewer=Camille,Interviewee=M. D."')
    parser.add_argument("--align", action=argparse.BooleanOptionalAction, default=True,
                        help="wav2vec2 word alignment when a model for the language exists")
    parser.add_argument("--mark-pauses", action="store_true", help="(.) per second of pause")
    parser.add_argument("--flag-uncertain", type=float, nargs="?", const=0.5, default=None,
                        metavar="THRESHOLD",
                        help="flag words below this confidence as [word?] (default 0.5)")
    parser.add_argument("--remove-fillers", action="store_true", help="drop euh, hum, uh...")
    parser.add_argument("--timestamps", action="store_true",
                        help="a [hh:mm:ss] timestamp before each turn of the .txt")
    parser.add_argument("--no-speaker-names", action="store_true",
                        help="no speaker names before the turns of the .txt")
    parser.add_argument("--ui-language", default=None, help="language of messages: fr or en")
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _temperatures(value: str) -> tuple[float, ...]:
    try:
        temperatures = tuple(float(t) for t in value.split(",") if t.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers such as 0,0.2,0.4: {value}") from None
    if not temperatures or any(not 0 <= t <= 1 for t in temperatures):
        raise argparse.ArgumentTypeError(f"temperatures go from 0 to 1: {value}")
    return temperatures


def output_stems(paths: list[Path]) -> list[str]:
    """One output name per input: recordings with the same stem in different folders (or
    with different extensions) get a suffix, so that no export overwrites another."""
    seen: dict[str, int] = {}
    stems = []
    for path in paths:
        count = seen.get(path.stem.lower(), 0) + 1
        seen[path.stem.lower()] = count
        stems.append(path.stem if count == 1 else f"{path.stem}-{count}")
    return stems


def _speaker_options_given(args: argparse.Namespace) -> bool:
    """A speaker option means the user wants speakers: it implies --diarize."""
    return any(value not in (None, "") for value in (
        args.preset, args.speakers, args.min_speakers, args.max_speakers, args.stereo,
        args.names))


def file_languages(value: str, count: int) -> list[str]:
    """`--language`: one spoken language for every file, or one per file in order
    ("fr,en"), as the web form lets each file of a batch have its own. Each code is
    checked with the other options (`spoken_language`)."""
    codes = [code.strip() for code in value.split(",")]
    if len(codes) == 1:
        return codes * count
    if len(codes) != count:
        raise UserFacingError("cli.language_count", given=len(codes), files=count)
    return codes


def pipeline_options(args: argparse.Namespace, store: ModelStore, ui: str,
                     language: str | None = None) -> PipelineOptions:
    """The options the command line means (`language`: this file's, else --language);
    UserFacingError for what cannot be run (no model on disk, an unknown spoken language,
    speaker options for one person)."""
    model = args.model or store.default_model(model_kind(args.engine))
    if model is None:
        raise UserFacingError("model.not_found", kind=model_kind(args.engine), name="(any)",
                              available="-")
    names = parse_names(args.names)
    speakers = SpeakerOptions(
        preset=args.preset or "interview", num_speakers=args.speakers,
        min_speakers=args.min_speakers, max_speakers=args.max_speakers,
        stereo=args.stereo or AUTO, names=names)
    if not speakers.diarize and (args.diarize or args.stereo or names):
        # One person: nothing to tell apart, and nothing silently ignored.
        raise UserFacingError("speakers.one_speaker")
    return PipelineOptions(
        engine=args.engine,
        model=ModelSettings(name=model, device=args.device),
        asr=AsrOptions(
            language=spoken_language(args.language if language is None else language),
            initial_prompt=args.prompt,
            beam_size=args.beam_size,
            batch_size=args.batch_size,
            condition_on_previous_text=args.condition_on_previous_text,
            **({"temperatures": args.temperature} if args.temperature else {}),
        ),
        guard=not args.no_guard,
        align=args.align,
        # A speaker option means the user wants speakers; one person has none to find.
        diarize=(args.diarize or _speaker_options_given(args)) and speakers.diarize,
        speakers=speakers,
        ui_language=ui,
    )


def list_models(store: ModelStore) -> int:
    infos = store.list()
    if not infos:
        print(f"No models in {store.root}. Run `make models` (developer) or use the image.")
        return 1
    print(f"Models in {store.root}:")
    for info in infos:
        size = f"{info.size / 1e6:,.0f} MB"
        hint = f"  ({info.hint})" if info.hint else ""
        print(f"  {info.kind:15s} {info.name:16s} {size:>10s}{hint}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["models"]:
        models_parser = argparse.ArgumentParser(prog="transcribe models")
        models_parser.add_argument("--models-dir", type=Path, default=None)
        return list_models(ModelStore(models_parser.parse_args(argv[1:]).models_dir))

    args = build_parser().parse_args(argv)
    ui = normalise_language(args.ui_language)
    store = ModelStore(args.models_dir)
    try:
        formats = parse_formats(args.format)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    try:
        # Every file's options checked before any work (one file's language may be wrong).
        per_file = [pipeline_options(args, store, ui, code)
                    for code in file_languages(args.language, len(args.files))]
        for options in {options.asr.language: options for options in per_file}.values():
            check_options(options, store)
    except ValueError as error:  # a --names item without "="
        print(error, file=sys.stderr)
        return 2
    except UserFacingError as error:
        print(error.message(ui), file=sys.stderr)
        return 2
    conventions = Conventions(
        mark_pauses=args.mark_pauses,
        flag_uncertain=args.flag_uncertain is not None,
        uncertainty_threshold=args.flag_uncertain or 0.5,
        remove_fillers=args.remove_fillers,
        timestamps=args.timestamps,
        speaker_names=not args.no_speaker_names,
    )

    failed: list[str] = []
    paths = [Path(name) for name in args.files]
    for index, (path, stem, options) in enumerate(
            zip(paths, output_stems(paths), per_file, strict=True), start=1):
        label = f"[{index}/{len(paths)}] {path.name}"
        try:
            transcript = _transcribe_with_bar(path, options, store, label)
            written = write_exports(transcript, formats, args.out, stem, conventions)
        except UserFacingError as error:
            failed.append(path.name)
            print(message("cli.failed", ui, name=path.name, reason=error.message(ui)),
                  file=sys.stderr)
            continue
        except Exception as error:  # noqa: BLE001 - one bad file must not stop the batch
            failed.append(path.name)
            print(message("cli.failed", ui, name=path.name, reason=repr(error)),
                  file=sys.stderr)
            continue
        for notice in transcript.notices:
            print(f"  ! {notice.text(ui) or notice.key}", file=sys.stderr)
        print(message("cli.written", ui, name=path.name, count=len(written), folder=args.out,
                      stem=stem))
    if failed:
        print(message("cli.summary_failed", ui, failed=len(failed), total=len(args.files),
                      names=", ".join(failed)), file=sys.stderr)
        return 1
    return 0


def _transcribe_with_bar(path: Path, options: PipelineOptions, store: ModelStore,
                         label: str):
    from tqdm import tqdm

    stages = stages_for(options)
    with tqdm(total=100, desc=label, leave=True, file=sys.stderr,
              bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]") as bar:

        def progress(stage: str, fraction: float) -> None:
            done = 100 * overall_fraction(stage, fraction, stages)
            bar.set_description_str(f"{label} ({stage})", refresh=False)
            bar.update(max(0.0, done - bar.n))

        return run(path, options, store, progress)


if __name__ == "__main__":
    sys.exit(main())
