"""NOTES.txt, the Markdown Onyxia shows after launch, in the user's language.

helm-python-sdk renders NOTES.txt along with the templates, so the real text is tested.
"""

from __future__ import annotations

from datetime import datetime

import pytest

HOST = "user-jdoe-123456-0.lab.example.org"
INGRESS = {"ingress": {"enabled": True, "hostname": HOST}}


def at_text(deadline: str) -> str:
    return datetime.strptime(deadline, "%Y-%m-%dT%H:%M:%SZ").strftime(
        "%Y-%m-%d %H:%M UTC"
    )


@pytest.mark.parametrize("mode", ["while-transcribing", "whole-service"])
def test_notes_in_english(render, deadline, mode):
    notes = render(
        {
            **INGRESS,
            "autoDelete": {"deleteAt": deadline},
            "userPreferences": {"language": "en"},
            "gpu": {"mode": mode},
        }
    ).notes
    assert "[the service](https://user-jdoe-123456-0.lab.example.org/)" in notes
    assert "Your password" in notes and "\npassword: s3cret-pass\n" in notes
    assert f"**deleted on {at_text(deadline)}**" in notes
    assert "every audio file and transcript" in notes
    assert "Votre" not in notes
    if mode == "whole-service":
        assert "- Compute: a GPU held for the service's whole life," in notes
        assert "and frees the GPU" in notes and "**free the GPU** for others" in notes
    else:
        assert "- Compute: a GPU only while transcribing, default model: large-v3-turbo." in notes
        assert "gives it back 60 s after the batch ends" in notes
        assert "offers to wait or to transcribe on the CPU" in notes
        assert "and stops any transcription running on a GPU" in notes
        assert "free the GPU" not in notes  # nothing to free: it is given back after each batch


@pytest.mark.parametrize("mode", ["while-transcribing", "whole-service"])
def test_notes_in_french(render, deadline, mode):
    notes = render(
        {
            **INGRESS,
            "autoDelete": {"deleteAt": deadline},
            "userPreferences": {"language": "fr"},
            "gpu": {"mode": mode},
            "worker": {"idleSeconds": 120},
        }
    ).notes
    assert "[le service](https://user-jdoe-123456-0.lab.example.org/)" in notes
    assert "Votre mot de passe" in notes and "\npassword: s3cret-pass\n\n- Calcul" in notes
    assert f"**supprimé le {at_text(deadline)}**" in notes
    assert "tous les fichiers audio et transcriptions" in notes
    assert "Your password" not in notes
    if mode == "whole-service":
        assert "- Calcul : GPU réservé pour toute la durée du service," in notes
        assert "et libère le GPU" in notes and "**libérer le GPU**" in notes
    else:
        assert "- Calcul : GPU pendant les transcriptions seulement," in notes
        assert "qui le rend 120 s après la fin du lot" in notes
        assert "propose d'attendre ou de transcrire sur le CPU" in notes
        assert "et arrête toute transcription en cours sur un GPU" in notes
        assert "libérer le GPU" not in notes


def test_other_onyxia_languages_get_english(render):
    notes = render({**INGRESS, "userPreferences": {"language": "de"}}).notes
    assert "Your password" in notes


def test_notes_without_ingress_explain_port_forward(render):
    notes = render({}).notes
    assert (
        "kubectl port-forward service/whisper-transcription-123456 8501:8501" in notes
    )
    assert "http://localhost:8501/" in notes


def test_notes_cpu_only_warns_about_speed(render):
    notes = render(
        {**INGRESS, "gpu": {"enabled": False}, "userPreferences": {"language": "fr"}}
    ).notes
    assert "CPU uniquement" in notes and "GPU" not in notes
    assert "modèle proposé par défaut : small" in notes
