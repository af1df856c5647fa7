import json

import pytest

from transcribe.transcript import (
    SCHEMA_VERSION,
    Notice,
    Segment,
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
        source="entretien.m4a", model="base", engine="whisperx", timings={"asr": 1.5},
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
    assert loaded.notices == transcript.notices and loaded.options == {"engine": "whisperx"}
    assert loaded.schema_version == SCHEMA_VERSION


def test_newer_schema_and_garbage_are_refused():
    data = sample().to_dict()
    data["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(TranscriptFormatError, match="newer"):
        Transcript.from_dict(data)
    with pytest.raises(TranscriptFormatError):
        Transcript.from_json("{not json")
    with pytest.raises(TranscriptFormatError):
        Transcript.from_dict({"language": "fr"})
