"""The correction editor's texts and its keys, in French and English (the README's
"Correcting a transcript" section lists the same keys)."""

from __future__ import annotations

# (keys, what they do): shown in the editor's help, in this order.
KEYS: dict[str, list[tuple[str, str]]] = {
    "fr": [
        ("Échap  ou  Ctrl+Espace", "lecture / pause (la pause revient 1 s en arrière)"),
        ("F1  /  F2", "reculer / avancer de 3 s"),
        ("Alt+↓  /  Alt+↑", "plus lent / plus rapide (0,5× à 2×)"),
        ("Ctrl+clic sur un mot", "écouter à partir de ce mot (clic sur l'heure d'un tour : idem)"),
        ("Ctrl+Entrée", "écouter à partir du mot où est le curseur"),
        ("F4  /  Maj+F4", "mot incertain suivant / précédent"),
        ("Entrée", "couper le segment au curseur"),
        ("Retour arrière en début de segment", "fusionner avec le segment précédent"),
        ("F8  /  Maj+F8", "changer le locuteur du tour (suivant / précédent)"),
        ("Ctrl+Z  /  Ctrl+Y", "annuler / rétablir"),
        ("Entrée  /  Maj+Entrée dans la recherche", "résultat suivant / précédent"),
        ("Ctrl+/", "afficher ou masquer cette aide"),
    ],
    "en": [
        ("Esc  or  Ctrl+Space", "play / pause (pausing goes back 1 s)"),
        ("F1  /  F2", "back / forward 3 s"),
        ("Alt+↓  /  Alt+↑", "slower / faster (0.5× to 2×)"),
        ("Ctrl+click a word", "play from that word (clicking a turn's time does the same)"),
        ("Ctrl+Enter", "play from the word at the cursor"),
        ("F4  /  Shift+F4", "next / previous uncertain word"),
        ("Enter", "split the segment at the cursor"),
        ("Backspace at the start of a segment", "merge with the previous segment"),
        ("F8  /  Shift+F8", "change the turn's speaker (next / previous)"),
        ("Ctrl+Z  /  Ctrl+Y", "undo / redo"),
        ("Enter  /  Shift+Enter in the search box", "next / previous match"),
        ("Ctrl+/", "show or hide this help"),
    ],
}

TEXTS: dict[str, dict[str, str]] = {
    "toolbar": {"fr": "Écoute et édition", "en": "Listening and editing"},
    "player": {"fr": "Lecteur audio de l'entretien", "en": "Interview audio player"},
    "slower": {"fr": "Plus lent (Alt+↓)", "en": "Slower (Alt+↓)"},
    "faster": {"fr": "Plus rapide (Alt+↑)", "en": "Faster (Alt+↑)"},
    "speed": {"fr": "Vitesse", "en": "Speed"},
    "follow": {"fr": "Suivre la lecture", "en": "Follow playback"},
    "smaller": {"fr": "Texte plus petit", "en": "Smaller text"},
    "larger": {"fr": "Texte plus grand", "en": "Larger text"},
    "undo": {"fr": "Annuler", "en": "Undo"},
    "redo": {"fr": "Rétablir", "en": "Redo"},
    "undo_key": {"fr": "Annuler (Ctrl+Z)", "en": "Undo (Ctrl+Z)"},
    "redo_key": {"fr": "Rétablir (Ctrl+Y)", "en": "Redo (Ctrl+Y)"},
    "keys": {"fr": "Raccourcis clavier", "en": "Keyboard shortcuts"},
    "keys_note": {
        "fr": "Cliquez dans le texte pour le corriger : chaque modification est enregistrée "
              "toute seule, quelques instants après.",
        "en": "Click in the text to correct it: every change is saved on its own, a moment "
              "later.",
    },
    "find": {"fr": "Rechercher et remplacer", "en": "Find and replace"},
    "search": {"fr": "Rechercher dans la transcription", "en": "Search the transcript"},
    "previous": {"fr": "Résultat précédent", "en": "Previous match"},
    "next": {"fr": "Résultat suivant", "en": "Next match"},
    "with": {"fr": "Remplacer par", "en": "Replace with"},
    "replace": {"fr": "Remplacer", "en": "Replace"},
    "replace_all": {"fr": "Tout remplacer", "en": "Replace all"},
    "matches": {"fr": "{current} sur {count}", "en": "{current} of {count}"},
    "replaced": {"fr": "{count} remplacement(s) (Ctrl+Z pour annuler).",
                 "en": "{count} replaced (Ctrl+Z to undo)."},
    "document": {"fr": "Transcription, modifiable", "en": "Transcript, editable"},
    "play_from": {"fr": "Écouter à partir de {time}", "en": "Play from {time}"},
    "speaker_key": {"fr": "Changer de locuteur (F8)", "en": "Change speaker (F8)"},
    "unknown": {"fr": "(locuteur inconnu)", "en": "(unknown speaker)"},
    "empty": {"fr": "Cette transcription ne contient aucun texte.",
              "en": "This transcript has no text."},
    "saving": {"fr": "Enregistrement…", "en": "Saving…"},
    "saved": {"fr": "Enregistré", "en": "Saved"},
    "conflict": {
        "fr": "{count} modification(s) n'ont pas pu être enregistrées : ce passage a été "
              "modifié entre-temps (dans un autre onglet ?). La version enregistrée est "
              "affichée ; refaites la correction si besoin.",
        "en": "{count} change(s) could not be saved: this passage was changed meanwhile "
              "(in another tab?). The saved version is shown; make the correction again if "
              "needed.",
    },
    "reloaded": {
        "fr": "La transcription a été modifiée ailleurs (un autre onglet) : vos corrections y "
              "ont été ajoutées et la version enregistrée est affichée.",
        "en": "The transcript was changed elsewhere (another tab): your corrections were "
              "added to it and the saved version is shown.",
    },
    "gone": {"fr": "Cette transcription n'existe plus : rien n'a été enregistré.",
             "en": "This transcript no longer exists: nothing was saved."},
}


def editor_texts(language: str) -> dict[str, object]:
    """Every text the editor shows, in `language` (French when unknown)."""
    language = language if language in KEYS else "fr"
    texts: dict[str, object] = {key: value[language] for key, value in TEXTS.items()}
    texts["key_rows"] = [list(row) for row in KEYS[language]]
    return texts
