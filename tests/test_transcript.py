import json
from importlib import resources

import jsonschema
import pytest

from transcribe.options import PipelineOptions
from transcribe.transcript import (
    SCHEMA_VERSION,
    BoundReport,
    GuardReport,
    Notice,
    RunInfo,
    Segment,
    SegmentStats,
    Speaker,
    Transcript,
    TranscriptFormatError,
    Word,
)


def sample() -> Transcript:
    return Transcript(
        language="fr",
        duration=12.5,
        segments=[
            Segment(0.5, 3.0, "Bonjour Camille.", speaker="SPEAKER_00",
                    words=[Word(0.5, 1.2, " Bonjour", 0.98, "SPEAKER_00"),
                           Word(1.3, 3.0, " Camille.", 0.41, "SPEAKER_00")]),
            Segment(3.5, 6.0, "Bonjour.", speaker="SPEAKER_01",
                    words=[Word(None, None, " Bonjour.", None, "SPEAKER_01")], overlap=True),
        ],
        speakers={"SPEAKER_00": Speaker("SPEAKER_00", "Enquêtrice", "interviewer", 0.9, 2.5)},
        source="entretien.m4a", model="base", engine="whisperx",
        options=PipelineOptions(ui_language="en", guard=False),
        run=RunInfo(device="cpu", timings={"asr": 1.5}, gain=2.0, alignment="whisper",
                    bound=BoundReport(words_clipped=3), diarization="pyannote"),
    )


def test_json_round_trip_keeps_everything(tmp_path):
    original = sample()
    path = original.save(tmp_path / "t.json")
    loaded = Transcript.load(path)
    assert loaded == original
    assert loaded.speaker_name("SPEAKER_00") == "Enquêtrice"
    assert loaded.speaker_name("SPEAKER_01") == "SPEAKER_01"  # unnamed: its id
    # The file holds what to_dict (and the indented export) says, written compactly.
    original.notices.append(Notice("no_speech", {"seconds": 2}))
    original.save(path)
    assert json.loads(path.read_text(encoding="utf-8")) == original.to_dict() \
        == json.loads(original.to_json())
    assert "\n" not in path.read_text(encoding="utf-8")


def test_speaker_ids_lists_known_speakers_then_unrecorded_ones_once():
    transcript = sample()
    transcript.speakers["SPEAKER_02"] = Speaker("SPEAKER_02", "Tiers")
    transcript.segments.append(Segment(6.0, 7.0, "Oui.", speaker="SPEAKER_01"))
    assert transcript.speaker_ids() == ["SPEAKER_00", "SPEAKER_02", "SPEAKER_01"]


def test_json_has_the_documented_shape():
    data = json.loads(sample().to_json())
    assert {"language", "duration", "segments", "speakers", "schema_version"} <= set(data)
    assert data["schema_version"] == SCHEMA_VERSION
    segment = data["segments"][0]
    assert {"start", "end", "text", "speaker", "words"} <= set(segment)
    assert set(segment["words"][0]) == {"start", "end", "word", "probability", "speaker"}
    assert data["speakers"]["SPEAKER_00"]["name"] == "Enquêtrice"


def test_minimal_json_from_elsewhere_loads():
    minimal = {"language": "en", "duration": 2.0,
               "segments": [{"start": 0, "end": 2, "text": "hi", "speaker": None,
                             "words": [{"start": 0, "end": 1, "word": " hi",
                                        "probability": 0.9, "speaker": None}]}],
               "speakers": {"A": "Alice"}}
    transcript = Transcript.from_dict(minimal)
    assert transcript.text == "hi"
    assert transcript.speakers["A"].name == "Alice"


def test_notices_are_saved_and_version_1_warnings_still_load():
    transcript = sample()
    transcript.notices = [Notice("audio.damaged", {"name": "a.wav"})]
    data = json.loads(transcript.to_json())
    assert data["notices"] == [{"key": "audio.damaged", "params": {"name": "a.wav"}}]
    assert Transcript.from_dict(data).notices == transcript.notices
    # Schema 1 kept them among the options: they load as notices, and leave the options.
    old = {**{k: v for k, v in data.items() if k != "notices"}, "schema_version": 1,
           "options": {"engine": "whisperx", "warnings": data["notices"]}}
    loaded = Transcript.from_dict(old)
    assert loaded.notices == transcript.notices
    assert loaded.options == PipelineOptions(engine="whisperx")
    assert loaded.schema_version == SCHEMA_VERSION


# A transcript.json as schema 2 wrote it (the web app's data folder, the .json export):
# what the run measured was kept among the options, the timings beside them.
SCHEMA_2 = {
    "language": "fr", "duration": 3.0, "source": "entretien.m4a", "model": "base",
    "engine": "faster-whisper", "timings": {"decode": 0.2, "asr": 1.4},
    "options": {"engine": "auto", "model": {"name": "base", "device": "auto"},
                "asr": {"language": "fr", "temperatures": [0.0, 0.2]}, "guard": [
                    {"loops_removed": 1, "words_removed": 9, "segments_removed": 0}],
                "align": True, "diarize": True, "speakers": {"preset": "interview"},
                "ui_language": "en", "gain": 3.5, "alignment": "whisper",
                "bound": {"words_clipped": 4, "seconds_removed": 0.7, "words_outside": 0},
                "diarization": "pyannote"},
    "notices": [{"key": "audio.damaged", "params": {"name": "entretien.m4a"}}],
    "version": 2, "schema_version": 2,
    "segments": [{"start": 0.0, "end": 1.0, "text": "Bonjour.", "speaker": "SPEAKER_00",
                  "words": [{"start": 0.0, "end": 1.0, "word": " Bonjour.",
                             "probability": 0.9, "speaker": "SPEAKER_00"}],
                  "overlap": False}],
    "speakers": {"SPEAKER_00": {"id": "SPEAKER_00", "name": "Interviewer"}},
}


def test_a_schema_2_transcript_loads_with_its_run_apart_from_its_options():
    loaded = Transcript.from_dict(json.loads(json.dumps(SCHEMA_2)))
    assert loaded.options.guard is True and loaded.options.ui_language == "en"
    assert loaded.options.asr.temperatures == (0.0, 0.2)
    assert loaded.run == RunInfo(
        timings={"decode": 0.2, "asr": 1.4}, gain=3.5,
        guard=[GuardReport(loops_removed=1, words_removed=9)], alignment="whisper",
        bound=BoundReport(words_clipped=4, seconds_removed=0.7), diarization="pyannote")
    assert loaded.notices == [Notice("audio.damaged", {"name": "entretien.m4a"})]
    assert (loaded.version, loaded.schema_version) == (2, SCHEMA_VERSION)
    saved = loaded.to_dict()
    assert {"gain", "alignment", "bound", "diarization"}.isdisjoint(saved["options"])
    assert saved["options"]["guard"] is True and "timings" not in saved
    assert Transcript.from_dict(saved) == loaded
    # A guard switched off left an empty list of reports.
    off = {**SCHEMA_2, "options": {**SCHEMA_2["options"], "guard": []}}
    assert Transcript.from_dict(off).options.guard is False


def test_decoder_statistics_ride_on_their_segments():
    transcript = sample()
    transcript.segments[0].decoder = SegmentStats(avg_logprob=-0.3, temperature=0.2)
    loaded = Transcript.from_json(transcript.to_json())
    schema = json.loads(resources.files("transcribe").joinpath("transcript.schema.json")
                        .read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(transcript.to_json()), schema)
    assert loaded.segments[0].decoder == SegmentStats(avg_logprob=-0.3, temperature=0.2)
    assert loaded.segments[1].decoder is None


def test_newer_schema_and_garbage_are_refused():
    data = sample().to_dict()
    data["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(TranscriptFormatError, match="newer"):
        Transcript.from_dict(data)
    with pytest.raises(TranscriptFormatError):
        Transcript.from_json("{not json")
    with pytest.raises(TranscriptFormatError):
        Transcript.from_dict({"language": "fr"})
