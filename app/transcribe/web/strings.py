"""Every text of the web interface, in French and English, in one place.

Error messages shared with the CLI (bad files, missing models, no speech...) stay in
`transcribe.i18n.MESSAGES`; pages render those with `i18n.message` and everything else
from here with `text` (through `state.t`, which knows the visitor's language).
"""

from __future__ import annotations

from ..languages import DEFAULT_LANGUAGE, ui_language

STRINGS: dict[str, dict[str, str]] = {
    # -- app and navigation ---------------------------------------------------------------
    "app.title": {"fr": "Transcription d'entretiens", "en": "Interview transcription"},
    "app.language": {"fr": "Langue de l'interface", "en": "Interface language"},
    "app.logout": {"fr": "Se déconnecter", "en": "Log out"},
    "nav.upload": {"fr": "Transcrire", "en": "Transcribe"},
    "nav.review": {"fr": "Relire et corriger", "en": "Review and correct"},
    "nav.privacy": {"fr": "Confidentialité", "en": "Privacy"},
    "deadline.left": {
        "fr": "Ce service et tous ses fichiers seront supprimés dans {hours} h {minutes:02d} min "
              "({when}). Téléchargez vos transcriptions avant.",
        "en": "This service and all its files will be deleted in {hours} h {minutes:02d} min "
              "({when}). Download your transcripts before then.",
    },
    "deadline.passed": {
        "fr": "L'heure de suppression de ce service est passée : il va être supprimé d'un "
              "instant à l'autre.",
        "en": "This service's deletion time has passed: it will be deleted at any moment.",
    },

    # -- login ----------------------------------------------------------------------------
    "login.title": {"fr": "Connexion", "en": "Log in"},
    "login.intro": {
        "fr": "Ce service est protégé par un mot de passe (celui affiché par Onyxia au "
              "lancement du service).",
        "en": "This service is protected by a password (the one Onyxia showed when the "
              "service was launched).",
    },
    "login.intro_local": {  # a run on this machine: no Onyxia
        "fr": "Ce service est protégé par un mot de passe (celui donné à son lancement, "
              "TRANSCRIBE_PASSWORD).",
        "en": "This service is protected by a password (the one given when it was "
              "started, TRANSCRIBE_PASSWORD).",
    },
    "login.password": {"fr": "Mot de passe", "en": "Password"},
    "login.submit": {"fr": "Se connecter", "en": "Log in"},
    "login.wrong": {"fr": "Mot de passe incorrect.", "en": "Wrong password."},
    "login.too_many": {
        "fr": "Trop de tentatives échouées. Réessayez dans {minutes} min.",
        "en": "Too many failed attempts. Try again in {minutes} min.",
    },

    # -- upload page ----------------------------------------------------------------------
    "upload.title": {"fr": "Transcrire des enregistrements", "en": "Transcribe recordings"},
    "upload.intro": {
        "fr": "Déposez un ou plusieurs fichiers audio ou vidéo, choisissez les options, puis "
              "lancez la transcription. Les fichiers sont traités l'un après l'autre, sur ce "
              "serveur uniquement ; vous pouvez fermer l'onglet et revenir plus tard.",
        "en": "Drop one or more audio or video files, choose the options, then start. Files "
              "are processed one after the other, on this server only; you can close the tab "
              "and come back later.",
    },
    "upload.files": {"fr": "Enregistrements (audio ou vidéo)",
                     "en": "Recordings (audio or video)"},
    "upload.files_help": {
        "fr": "mp3, m4a, wav, ogg, opus, flac, wma, aac, mp4, mov, mkv, webm… "
              "{limit} Mo au plus par fichier.",
        "en": "mp3, m4a, wav, ogg, opus, flac, wma, aac, mp4, mov, mkv, webm… "
              "{limit} MB at most per file.",
    },
    "upload.browse": {"fr": "Choisir des fichiers", "en": "Choose files"},
    "upload.remove": {"fr": "Retirer {name}", "en": "Remove {name}"},
    "upload.add": {"fr": "Ajouter des fichiers", "en": "Add files"},
    "upload.dropzone": {"fr": "ou glissez-les ici · {limit} Mo au plus par fichier",
                        "en": "or drop them here · {limit} MB at most per file"},
    "upload.start": {"fr": "Transcrire ({count} fichier(s))",
                     "en": "Transcribe ({count} file(s))"},
    "upload.saving": {"fr": "Enregistrement de {name}…", "en": "Saving {name}…"},
    "upload.queued": {"fr": "{count} fichier(s) ajouté(s) à la file d'attente.",
                      "en": "{count} file(s) added to the queue."},
    "upload.refused": {
        "fr": "{count} fichier(s) refusé(s) : la raison est indiquée dans la liste ci-dessous.",
        "en": "{count} file(s) refused: the reason is shown in the list below.",
    },
    # Shown inside Streamlit's own chip when it refuses a file before sending it.
    "upload.chip_too_large": {"fr": "Trop volumineux : {limit} Mo au plus par fichier.",
                              "en": "Too large: {limit} MB at most per file."},
    "upload.chip_failed": {
        "fr": "L'envoi a échoué : retirez ce fichier et déposez-le à nouveau.",
        "en": "The upload failed: remove this file and drop it again.",
    },
    "upload.no_model": {
        "fr": "Aucun modèle Whisper n'est installé (dossier {folder}) : la transcription est "
              "impossible. Lancez « make models », ou prévenez la personne qui administre "
              "ce service.",
        "en": "No Whisper model is installed (folder {folder}): transcription is not "
              "possible. Run \"make models\", or tell whoever runs this service.",
    },
    "upload.no_model_openai": {
        "fr": "Aucun modèle openai-whisper n'est installé (dossier {folder}). Choisissez le "
              "moteur « auto » dans les options avancées.",
        "en": "No openai-whisper model is installed (folder {folder}). Choose the \"auto\" "
              "engine in the advanced options.",
    },

    # -- options --------------------------------------------------------------------------
    "opt.preset": {"fr": "Type d'enregistrement", "en": "Kind of recording"},
    "opt.choose": {"fr": "Choisir", "en": "Choose"},
    "upload.file_options": {
        "fr": "Un réglage différent pour un fichier (type d'enregistrement, langue parlée)",
        "en": "Other settings for one file (kind of recording, spoken language)"},
    "upload.file_preset": {"fr": "{name} : type d'enregistrement",
                           "en": "{name}: kind of recording"},
    "upload.file_language": {"fr": "{name} : langue", "en": "{name}: language"},
    "upload.preset_batch": {"fr": "Comme les autres : {preset}",
                            "en": "Like the others: {preset}"},
    "upload.language_batch": {"fr": "Comme les autres : {spoken}",
                              "en": "Like the others: {spoken}"},
    "preset.interview": {"fr": "Entretien (2 personnes)", "en": "Interview (2 people)"},
    "preset.interview.help": {
        "fr": "Enquêteur·rice et enquêté·e, reconnus et nommés automatiquement.",
        "en": "Interviewer and interviewee, detected and named automatically.",
    },
    "preset.group": {"fr": "Entretien collectif", "en": "Group interview"},
    "preset.group.help": {"fr": "De 2 à 6 personnes.", "en": "From 2 to 6 people."},
    "preset.single": {"fr": "Une seule personne", "en": "One speaker"},
    "preset.single.help": {"fr": "Dictée, conférence, récit : pas de détection des locuteurs.",
                           "en": "Dictation, lecture, narrative: no speaker detection."},
    "opt.names": {"fr": "Noms à afficher (facultatif)", "en": "Names to show (optional)"},
    "opt.names_help": {
        "fr": "Remplacent « Enquêteur·rice » et « Enquêté·e » dans la transcription. Pour "
              "anonymiser, utilisez plutôt la table des pseudonymes à la relecture.",
        "en": "Replace \"Interviewer\" and \"Interviewee\" in the transcript. To anonymise, "
              "use the pseudonym table when reviewing instead.",
    },
    "opt.interviewer": {"fr": "Enquêteur·rice", "en": "Interviewer"},
    "opt.interviewee": {"fr": "Enquêté·e", "en": "Interviewee"},
    "opt.language": {"fr": "Langue parlée", "en": "Spoken language"},
    "opt.language_help": {
        "fr": "Automatique : détectée sur les premières secondes. Indiquez-la si vous la "
              "connaissez : c'est plus sûr, surtout si l'entretien commence par du bruit.",
        "en": "Automatic: detected from the first seconds. Give it when you know it: it is "
              "safer, especially when the recording starts with noise.",
    },
    "opt.language_auto": {"fr": "Détection automatique", "en": "Detect automatically"},
    "opt.prompt": {"fr": "Vocabulaire (facultatif)", "en": "Vocabulary (optional)"},
    "opt.prompt_help": {
        "fr": "Noms propres, lieux, sigles et jargon présents dans l'enregistrement, séparés "
              "par des virgules : ils guident l'orthographe.",
        "en": "Names, places, acronyms and jargon the recording contains, separated by "
              "commas: they guide the spelling.",
    },
    "opt.prompt_placeholder": {"fr": "ex. : Montreuil, Insee, RSA, Camille",
                               "en": "e.g. Montreuil, Insee, NHS, Camille"},
    "opt.model": {"fr": "Modèle", "en": "Model"},
    "opt.model_help": {
        "fr": "Les plus gros modèles font moins d'erreurs mais sont plus lents.",
        "en": "Larger models make fewer mistakes but are slower.",
    },
    "hint.tiny.en": {"fr": "le plus rapide, anglais seulement, brouillon",
                     "en": "fastest, English only, draft quality"},
    "hint.base": {"fr": "rapide, qualité brouillon", "en": "fast, draft quality"},
    "hint.small": {"fr": "équilibré : bon brouillon sur processeur",
                   "en": "balanced: good for a quick draft on CPU"},
    "hint.medium": {"fr": "précis, lent sur processeur", "en": "accurate, slow on CPU"},
    "hint.large-v3-turbo": {"fr": "précis et rapide sur GPU (recommandé)",
                            "en": "accurate and fast on GPU (recommended)"},
    "hint.large-v3": {"fr": "le plus précis, le plus lent", "en": "most accurate, slowest"},
    "opt.conventions": {"fr": "Conventions de transcription", "en": "Transcription conventions"},
    "opt.conventions_help": {
        "fr": "Appliquées aux fichiers téléchargés ; modifiables ensuite à la relecture.",
        "en": "Applied to the downloaded files; you can change them later when reviewing.",
    },
    "conv.pauses": {"fr": "Marquer les pauses (.) (..) (12 s)",
                    "en": "Mark pauses (.) (..) (12 s)"},
    "conv.pauses_help": {"fr": "Un point par seconde de silence, la durée au-delà de 3 s.",
                         "en": "One dot per second of silence, the length beyond 3 s."},
    "conv.overlaps": {"fr": "Marquer les chevauchements //…//", "en": "Mark overlaps //…//"},
    "conv.overlaps_help": {"fr": "Quand deux personnes parlent en même temps.",
                           "en": "When two people talk at once."},
    "conv.uncertain": {"fr": "Signaler les mots incertains [mot?]",
                       "en": "Flag uncertain words [word?]"},
    "conv.uncertain_help": {
        "fr": "Les mots dont le modèle est peu sûr, à vérifier à l'écoute.",
        "en": "Words the model is unsure of, to check by listening.",
    },
    "conv.threshold": {"fr": "Seuil de confiance", "en": "Confidence threshold"},
    "conv.threshold_help": {"fr": "Plus il est haut, plus de mots sont signalés.",
                            "en": "The higher, the more words are flagged."},
    "conv.fillers": {"fr": "Retirer les hésitations (euh, hum)",
                     "en": "Remove fillers (uh, um)"},
    "conv.fillers_help": {"fr": "Pour une transcription « nettoyée ».",
                          "en": "For a clean-read transcript."},
    "conv.timestamps": {"fr": "Horodatage [hh:mm:ss] à chaque tour (texte)",
                        "en": "[hh:mm:ss] timestamp at each turn (text)"},
    "conv.timestamps_help": {
        "fr": "Dans le fichier .txt, chaque tour de parole commence par son heure dans "
              "l'enregistrement (lisible par MAXQDA).",
        "en": "In the .txt file, each turn starts with its time in the recording (MAXQDA "
              "reads it).",
    },
    "conv.speaker_names": {"fr": "Noms des locuteurs (texte)",
                           "en": "Speaker names (text)"},
    "conv.speaker_names_help": {
        "fr": "Dans le fichier .txt, le nom du locuteur avant chaque tour. Décochez pour un "
              "texte continu.",
        "en": "In the .txt file, the speaker's name before each turn. Untick for running "
              "text.",
    },
    "opt.advanced": {"fr": "Options avancées", "en": "Advanced options"},
    "opt.engine": {"fr": "Moteur", "en": "Engine"},
    "opt.engine_help": {
        "fr": "auto (recommandé) : whisperx sur GPU, faster-whisper sur CPU. whisperx : "
              "décodage par lots, le plus rapide sur GPU. faster-whisper : séquentiel, la "
              "référence. openai-whisper : le moteur du tutoriel d'origine.",
        "en": "auto (recommended): whisperx on a GPU, faster-whisper on a CPU. whisperx: "
              "batched decoding, fastest on a GPU. faster-whisper: sequential, the "
              "reference. openai-whisper: the original tutorial's engine.",
    },
    "opt.align": {"fr": "Alignement des mots", "en": "Word alignment"},
    "opt.align_help": {
        "fr": "Horodatage précis de chaque mot (quand un modèle d'alignement est installé "
              "pour la langue) : meilleure attribution des locuteurs.",
        "en": "Precise timing of every word (when an alignment model is installed for the "
              "language): better speaker attribution.",
    },
    "opt.device": {"fr": "Calcul : {device}", "en": "Compute: {device}"},

    # -- job list -------------------------------------------------------------------------
    "jobs.title": {"fr": "File d'attente et résultats", "en": "Queue and results"},
    "jobs.empty": {"fr": "Aucun fichier pour l'instant.", "en": "No files yet."},
    "status.uploading": {"fr": "Vérification du fichier…", "en": "Checking the file…"},
    "status.queued": {"fr": "En attente (position {position})",
                      "en": "Waiting (position {position})"},
    "status.running": {"fr": "{stage} — {percent} % — {eta}",
                       "en": "{stage} — {percent}% — {eta}"},
    "status.cancelling": {"fr": "Annulation en cours…", "en": "Cancelling…"},
    "status.done": {"fr": "Terminé en {took}", "en": "Done in {took}"},
    "status.cancelled": {"fr": "Annulé.", "en": "Cancelled."},
    "status.failed_unknown": {"fr": "La transcription a échoué.",
                              "en": "The transcription failed."},
    "stage.decode": {"fr": "Lecture du fichier", "en": "Reading the file"},
    "stage.asr": {"fr": "Transcription", "en": "Transcribing"},
    "stage.align": {"fr": "Alignement des mots", "en": "Aligning words"},
    "stage.diarize": {"fr": "Reconnaissance des locuteurs", "en": "Finding speakers"},
    "stage.assign": {"fr": "Attribution des tours de parole", "en": "Assigning turns"},
    # One running job's stages, in order, joined by arrows.
    "stage.state.done": {"fr": "✓ {stage}", "en": "✓ {stage}"},
    "stage.state.current": {"fr": "**{stage} : {percent} %**", "en": "**{stage}: {percent}%**"},
    "stage.state.todo": {"fr": "{stage} (à venir)", "en": "{stage} (to come)"},
    "eta.estimating": {"fr": "estimation du temps restant…",
                       "en": "estimating the time left…"},
    # The time left: French says "il reste" first (no agreement to get wrong).
    "eta.seconds": {"fr": "il reste moins d'une minute", "en": "less than a minute left"},
    "eta.minute": {"fr": "il reste environ 1 minute", "en": "about 1 minute left"},
    "eta.minutes": {"fr": "il reste environ {minutes} minutes",
                    "en": "about {minutes} minutes left"},
    "eta.hours": {"fr": "il reste environ {hours} h {minutes:02d}",
                  "en": "about {hours} h {minutes:02d} min left"},
    "unit.gb": {"fr": "{value} Go", "en": "{value} GB"},
    "unit.mb": {"fr": "{value} Mo", "en": "{value} MB"},
    "unit.kb": {"fr": "{value} ko", "en": "{value} kB"},
    "job.review": {"fr": "Relire", "en": "Review"},
    "job.cancel": {"fr": "Annuler", "en": "Cancel"},
    "job.retry": {"fr": "Relancer", "en": "Try again"},
    "job.delete": {"fr": "Supprimer", "en": "Delete"},
    "job.delete_confirm_text": {
        "fr": "Supprimer {name}, sa transcription et vos corrections ? C'est définitif.",
        "en": "Delete {name}, its transcript and your corrections? This cannot be undone.",
    },
    "job.delete_confirm": {"fr": "Oui, supprimer", "en": "Yes, delete"},

    # -- review page ----------------------------------------------------------------------
    "review.title": {"fr": "Relire et corriger", "en": "Review and correct"},
    "review.none": {"fr": "Aucune transcription terminée pour l'instant.",
                    "en": "No finished transcript yet."},
    "review.job": {"fr": "Enregistrement", "en": "Recording"},
    "review.gone": {
        "fr": "Cette transcription n'existe plus : elle a été supprimée (ici ou dans un autre "
              "onglet). Choisissez-en une autre.",
        "en": "This transcript no longer exists: it was deleted (here or in another tab). "
              "Choose another one.",
    },
    "review.stale": {
        "fr": "La transcription a changé ailleurs (un autre onglet ?) : elle a été "
              "rechargée, refaites la dernière modification.",
        "en": "The transcript changed elsewhere (another tab?): it was reloaded, please "
              "redo your last change.",
    },
    "review.tab_text": {"fr": "Transcription", "en": "Transcript"},
    "review.tab_speakers": {"fr": "Locuteurs", "en": "Speakers"},
    "review.tab_pseudonyms": {"fr": "Pseudonymes", "en": "Pseudonyms"},
    "review.tab_export": {"fr": "Télécharger", "en": "Download"},
    "review.empty": {"fr": "Cette transcription ne contient aucun texte.",
                     "en": "This transcript contains no text."},
    "review.search": {"fr": "Chercher dans la transcription", "en": "Search the transcript"},
    "review.search_placeholder": {"fr": "un mot, un nom…", "en": "a word, a name…"},
    "review.matches": {"fr": "{count} segment(s) trouvé(s)", "en": "{count} segment(s) found"},
    "review.no_speaker": {"fr": "(locuteur inconnu)", "en": "(unknown speaker)"},
    "player.title": {"fr": "Écoute", "en": "Listening"},
    "player.help": {
        "fr": "Le bouton ▶ d'un segment lance la lecture à cet endroit.",
        "en": "A segment's ▶ button starts playback there.",
    },
    "player.unavailable": {"fr": "L'écoute n'est pas disponible pour ce fichier.",
                           "en": "Playback is not available for this file."},
    "speakers.none": {
        "fr": "Aucun locuteur n'a été détecté (type « une seule personne », ou détection "
              "indisponible). Vous pouvez en ajouter puis les attribuer aux tours de parole.",
        "en": "No speakers were detected (\"one speaker\" kind, or detection unavailable). "
              "You can add some, then assign them to turns.",
    },
    "speakers.name": {"fr": "Locuteur {number} : nom", "en": "Speaker {number}: name"},
    "speakers.talk_time": {"fr": "temps de parole {time} ({share} %)",
                           "en": "talk time {time} ({share}%)"},
    "role.interviewer": {"fr": "enquêteur·rice", "en": "interviewer"},
    "role.interviewee": {"fr": "enquêté·e", "en": "interviewee"},
    "speakers.swap_first": {"fr": "Échanger", "en": "Swap"},
    "speakers.swap_second": {"fr": "avec", "en": "with"},
    "speakers.swap": {"fr": "Échanger", "en": "Swap"},
    "speakers.add": {"fr": "Ajouter un locuteur", "en": "Add a speaker"},
    "speakers.add_placeholder": {"fr": "son nom", "en": "their name"},
    "speakers.add_button": {"fr": "Ajouter", "en": "Add"},
    "speakers.timeline": {"fr": "Qui parle quand", "en": "Who speaks when"},
    "speakers.shares": {"fr": "Part du temps de parole", "en": "Share of talk time"},
    # What a screen reader says of the charts (the text says the same: the transcript who
    # speaks when, each name its share of talk time).
    "speakers.timeline_chart": {
        "fr": "Frise des tours de parole de chaque locuteur ; la transcription donne les "
              "mêmes tours, avec leurs heures.",
        "en": "Timeline of each speaker's turns; the transcript gives the same turns, with "
              "their times.",
    },
    "speakers.shares_chart": {
        "fr": "Barres de la part du temps de parole de chaque locuteur, aussi écrite à côté "
              "de son nom.",
        "en": "Bars of each speaker's share of talk time, also written beside their name.",
    },
    "speakers.speaker": {"fr": "Locuteur", "en": "Speaker"},
    "speakers.seconds": {"fr": "secondes", "en": "seconds"},
    "speakers.minutes": {"fr": "minutes", "en": "minutes"},
    "speakers.from": {"fr": "de (s)", "en": "from (s)"},
    "speakers.to": {"fr": "à (s)", "en": "to (s)"},
    "speakers.share": {"fr": "part", "en": "share"},
    "pseudonyms.help": {
        "fr": "Chaque nom réel est remplacé par son pseudonyme dans le texte et les noms des "
              "locuteurs de tous les fichiers téléchargés, JSON compris, et dans leurs noms "
              "de fichier (entretien_Durand.docx devient entretien_[NOM].docx). Un nom est "
              "remplacé en mot entier : « Marie » ne touche pas « Marie-Claire » (ajoutez "
              "ce nom composé s'il le faut). La transcription affichée ici, et celle "
              "conservée sur le serveur, gardent les vrais noms.",
        "en": "Each real name is replaced by its pseudonym in the text and speaker names of "
              "every downloaded file, JSON included, and in their file names "
              "(interview_Durand.docx becomes interview_[NAME].docx). A name is replaced as "
              "a whole word: \"Marie\" leaves \"Marie-Claire\" alone (add that compound "
              "name if needed). The transcript shown here, and the one kept on the server, "
              "keep the real names.",
    },
    "pseudonyms.real": {"fr": "Nom réel", "en": "Real name"},
    "pseudonyms.add": {"fr": "Ajouter la ligne", "en": "Add the row"},
    "pseudonyms.add_help": {
        "fr": "Ajoutez une ligne avec les deux champs ci-dessous ; corrigez ou supprimez une "
              "ligne dans le tableau (double-clic sur une case, ou la case à cocher puis la "
              "corbeille).",
        "en": "Add a row with the two fields below; correct or delete a row in the table "
              "(double-click a cell, or tick its box then the bin).",
    },
    "pseudonyms.refused": {
        "fr": "{count} modification(s) du tableau refusée(s) : nom réel vide.",
        "en": "{count} table change(s) refused: empty real name.",
    },
    "pseudonyms.pseudonym": {"fr": "Pseudonyme", "en": "Pseudonym"},
    "pseudonyms.active": {"fr": "{count} pseudonyme(s) appliqué(s) aux exports.",
                          "en": "{count} pseudonym(s) applied to downloads."},
    "export.help": {
        "fr": "Les fichiers reprennent vos corrections, les noms des locuteurs, les "
              "pseudonymes et les conventions ci-dessous.",
        "en": "The files include your corrections, speaker names, pseudonyms and the "
              "conventions below.",
    },
    "export.files": {"fr": "Fichiers", "en": "Files"},
    "export.zip": {"fr": "Tout télécharger (zip)", "en": "Download all (zip)"},
    "export.format.txt": {"fr": "Texte", "en": "Text"},
    "export.format.docx": {"fr": "Word", "en": "Word"},
    "export.format.srt": {"fr": "Sous-titres SRT", "en": "SRT subtitles"},
    "export.format.vtt": {"fr": "Sous-titres WebVTT", "en": "WebVTT subtitles"},
    "export.format.json": {"fr": "JSON (réimportable)", "en": "JSON (re-importable)"},
    "export.format.csv": {"fr": "Tableur CSV", "en": "CSV spreadsheet"},
    "export.format.qda": {"fr": "MAXQDA / ATLAS.ti / NVivo", "en": "MAXQDA / ATLAS.ti / NVivo"},

    # -- privacy page ---------------------------------------------------------------------
    "privacy.title": {"fr": "Confidentialité", "en": "Privacy"},
    "privacy.intro": {
        "fr": "Vos enregistrements ne quittent pas ce service : la transcription se fait ici, "
              "sans connexion à Internet, et rien n'est envoyé ailleurs.",
        "en": "Your recordings do not leave this service: transcription happens here, "
              "without an Internet connection, and nothing is sent anywhere.",
    },
    "privacy.deadline_title": {"fr": "Suppression automatique", "en": "Automatic deletion"},
    "privacy.stored_title": {"fr": "Ce qui est conservé, et où", "en": "What is stored, and where"},
    "privacy.stored": {"fr": "Dossier de données : `{folder}`", "en": "Data folder: `{folder}`"},
    "privacy.files_explained": {
        "fr": "Pour chaque fichier déposé, un dossier `jobs/<identifiant>/` contient :\n"
              "- `source.<ext>` : l'enregistrement déposé ;\n"
              "- `listening.mp3` : une copie légère pour l'écoute dans le navigateur ;\n"
              "- `transcript.json` : la transcription et vos corrections, avec les vrais "
              "noms (les pseudonymes ne s'appliquent qu'aux fichiers téléchargés) ;\n"
              "- `job.json` : le nom du fichier, les options, l'état et les pseudonymes.",
        "en": "For each uploaded file, a folder `jobs/<id>/` holds:\n"
              "- `source.<ext>`: the uploaded recording;\n"
              "- `listening.mp3`: a light copy for listening in the browser;\n"
              "- `transcript.json`: the transcript and your corrections, with the real "
              "names (pseudonyms apply to downloaded files only);\n"
              "- `job.json`: the file's name, options, status and pseudonyms.",
    },
    "privacy.column_recording": {"fr": "Enregistrement", "en": "Recording"},
    "privacy.column_file": {"fr": "Fichier", "en": "File"},
    "privacy.column_size": {"fr": "Taille", "en": "Size"},
    "privacy.total": {"fr": "{count} fichier(s), {size} au total.",
                      "en": "{count} file(s), {size} in all."},
    "privacy.empty": {"fr": "Le dossier de données est vide.", "en": "The data folder is empty."},
    "privacy.delete_title": {"fr": "Tout supprimer maintenant", "en": "Delete everything now"},
    "privacy.delete_help": {
        "fr": "Arrête la transcription en cours et supprime tous les enregistrements, "
              "transcriptions et corrections. Téléchargez d'abord ce que vous voulez garder.",
        "en": "Stops the running transcription and deletes every recording, transcript and "
              "correction. Download what you want to keep first.",
    },
    "privacy.delete_confirm": {
        "fr": "Je comprends que tous mes fichiers seront définitivement supprimés.",
        "en": "I understand that all my files will be permanently deleted.",
    },
    "privacy.delete_button": {"fr": "Supprimer tous mes fichiers",
                              "en": "Delete all my files"},
    "privacy.deleted": {"fr": "Tous les fichiers ont été supprimés.",
                        "en": "All files were deleted."},
    "privacy.guarantees_title": {"fr": "Garanties", "en": "Guarantees"},
    "privacy.accessibility_title": {"fr": "Déclaration d'accessibilité",
                                    "en": "Accessibility statement"},
    "app.accessibility": {"fr": "Accessibilité : non conforme",
                          "en": "Accessibility: not conformant"},
    "privacy.guarantees": {
        "fr": "- Les modèles sont installés sur le serveur : aucun téléchargement, aucune "
              "télémétrie.\n"
              "- Les journaux du serveur ne contiennent ni son, ni texte, ni nom de fichier : "
              "seulement des identifiants de tâches et des durées.",
        "en": "- The models are installed on the server: no downloads, no telemetry.\n"
              "- Server logs contain no audio, no text and no file names: only job ids and "
              "durations.",
    },
    # Who can open the service: one of the three, from the settings.
    "privacy.access_password": {
        "fr": "- Un mot de passe protège l'accès : le serveur le demande avant toute page, "
              "tout son et tout téléchargement ; se déconnecter ferme la session sur le "
              "serveur.",
        "en": "- A password protects access: the server asks for it before any page, audio "
              "or download; logging out closes the session on the server.",
    },
    "privacy.access_local": {
        "fr": "- Pas de mot de passe : le service n'écoute que sur cet ordinateur "
              "(127.0.0.1), personne d'autre sur le réseau ne peut l'ouvrir.",
        "en": "- No password: the service listens on this machine only (127.0.0.1); nobody "
              "else on the network can open it.",
    },
    "privacy.access_open": {
        "fr": "- Attention : pas de mot de passe, et le service écoute sur {address} : toute "
              "personne qui peut joindre cette adresse peut l'ouvrir.",
        "en": "- Warning: no password, and the service listens on {address}: anyone who can "
              "reach that address can open it.",
    },
    # How long the files stay: with a deletion deadline (a deployed service) or not.
    "privacy.lifetime_deadline": {
        "fr": "- Les données disparaissent avec le service, au plus tard à l'heure de "
              "suppression indiquée plus haut : à cette heure, le service efface lui-même "
              "tous les fichiers.",
        "en": "- The data disappears with the service, at the latest at the deletion time "
              "shown above: at that time the service itself erases every file.",
    },
    "privacy.lifetime_local": {
        "fr": "- Les fichiers restent dans le dossier de données jusqu'à ce que vous les "
              "supprimiez (bouton ci-dessus).",
        "en": "- The files stay in the data folder until you delete them (button above).",
    },

    # -- what the platform asks us to say (platform.py) -----------------------------------
    # The data-rules notice when the chart sets none (the chart's default is the same text).
    "notice.default": {
        "fr": "Règles sur les données : sur une plateforme publique partagée comme SSP Cloud, "
              "ne déposez que des enregistrements pseudonymisés. Ses conditions d'utilisation "
              "interdisent les données personnelles directement identifiantes et les données "
              "sensibles (santé, opinions politiques ou religieuses, appartenance syndicale, "
              "vie sexuelle…). Le son ne quitte jamais ce service, et la table des "
              "pseudonymes (page « Relire et corriger ») remplace les vrais noms dans chaque "
              "fichier téléchargé. Les enregistrements qui identifient des personnes relèvent "
              "de l'Onyxia de votre établissement.",
        "en": "Data rules: on a shared public platform such as SSP Cloud, upload only "
              "pseudonymised recordings. Its terms of use forbid directly identifying "
              "personal data and sensitive data (health, political or religious opinions, "
              "union membership, sex life…). The audio never leaves this service, and the "
              "pseudonym table (\"Review and correct\" page) replaces real names in every "
              "downloaded file. Recordings that identify people belong on your institution's "
              "own Onyxia.",
    },
    "notice.close": {"fr": "J'ai compris, masquer", "en": "Got it, hide"},
    "privacy.project": {
        "fr": "- Ce service tourne dans l'espace du projet Onyxia `{namespace}` : **chaque "
              "membre du projet peut lire les enregistrements et les transcriptions** (il a "
              "les droits d'administration de cet espace). Pour des entretiens confidentiels, "
              "lancez le service dans votre espace personnel.",
        "en": "- This service runs in the Onyxia project namespace `{namespace}`: **every "
              "member of the project can read the recordings and transcripts** (they administer "
              "that namespace). For confidential interviews, launch the service in your "
              "personal namespace.",
    },
    "privacy.gpu_title": {"fr": "Libérer le GPU", "en": "Free the GPU"},
    "privacy.gpu": {
        "fr": "Les GPU de la plateforme sont partagés et ce service garde le sien jusqu'à sa "
              "suppression. Une fois vos transcriptions téléchargées, supprimez le service dans "
              "Onyxia (Mes services, corbeille) : le GPU est aussitôt libéré pour les autres, "
              "et tout est effacé.",
        "en": "The platform's GPUs are shared, and this service keeps its GPU until it is "
              "deleted. Once your transcripts are downloaded, delete the service in Onyxia (My "
              "Services, bin icon): the GPU is freed for others at once, and everything is "
              "removed.",
    },
    "privacy.download_all": {"fr": "Tout télécharger (zip de toutes les transcriptions)",
                              "en": "Download everything (zip of every transcript)"},
    "privacy.download_all_help": {
        "fr": "Toutes les transcriptions terminées, dans tous les formats, pseudonymes "
              "appliqués, un dossier par enregistrement.",
        "en": "Every finished transcript, in every format, pseudonyms applied, one folder per "
              "recording.",
    },
    "privacy.delete_service_help": {
        "fr": "Ou, une fois tout téléchargé, supprimez le service d'ici : vos fichiers, puis le "
              "service lui-même et son entrée dans Onyxia. Cette page cessera de répondre.",
        "en": "Or, once everything is downloaded, delete the service from here: your files, "
              "then the service itself and its entry in Onyxia. This page will stop "
              "answering.",
    },
    "privacy.delete_service_confirm": {
        "fr": "J'ai téléchargé ce que je garde ; supprimer le service et tous ses fichiers.",
        "en": "I have downloaded what I keep; delete the service and all its files.",
    },
    "privacy.delete_service_button": {"fr": "Supprimer le service maintenant",
                                      "en": "Delete the service now"},
    "privacy.delete_service_done": {
        "fr": "Le service est en cours de suppression ; le GPU est libéré. Vous pouvez fermer "
              "cet onglet.",
        "en": "The service is being deleted; the GPU is freed. You may close this tab.",
    },
    "privacy.delete_service_failed": {
        "fr": "Vos fichiers sont supprimés, mais pas le service : supprimez-le dans Onyxia "
              "(Mes services, corbeille).",
        "en": "Your files are deleted, but not the service: delete it in Onyxia (My Services, "
              "bin icon).",
    },
    # While the workers wait for a GPU (kubernetes launcher): never Kubernetes' own words.
    "jobs.waiting_gpu": {
        "fr": "En attente d'un GPU depuis {since} ({waited}) : tous les GPU de la plateforme "
              "sont occupés pour l'instant. La transcription commencera dès qu'un GPU se "
              "libère.",
        "en": "Waiting for a GPU since {since} ({waited}): every GPU of the platform is in "
              "use for now. Transcription starts as soon as one is free.",
    },
    "jobs.waiting_quota": {
        "fr": "En attente d'un GPU depuis {since} ({waited}) : le quota de GPU de votre "
              "projet est atteint (d'autres services l'utilisent). La transcription "
              "commencera dès qu'il se libère.",
        "en": "Waiting for a GPU since {since} ({waited}): your project's GPU quota is used "
              "up (other services hold it). Transcription starts as soon as it frees up.",
    },
    "jobs.cpu_offer": {
        "fr": "Ou bien transcrire ici, sur le processeur du service : environ {duration} "
              "pour {count} fichier(s) en attente.",
        "en": "Or transcribe here, on the service's CPU: about {duration} for {count} "
              "waiting file(s).",
    },
    "jobs.cpu_offer_unknown": {
        "fr": "Ou bien transcrire ici, sur le processeur du service ({count} fichier(s) en "
              "attente ; nettement plus lent qu'un GPU).",
        "en": "Or transcribe here, on the service's CPU ({count} waiting file(s); much "
              "slower than a GPU).",
    },
    "jobs.run_here": {"fr": "Transcrire ici sur le processeur",
                      "en": "Transcribe here on the CPU"},
    "jobs.keep_waiting": {"fr": "Continuer d'attendre un GPU", "en": "Keep waiting for a GPU"},
    "jobs.kept_waiting": {"fr": "Les fichiers attendent un GPU.",
                          "en": "The files wait for a GPU."},
    "status.here": {"fr": "sur le processeur de ce service", "en": "on this service's CPU"},
    "jobs.gpu_used": {"fr": "GPU utilisé {gpu} pour {audio} d'audio.",
                      "en": "GPU used {gpu} for {audio} of audio."},
    "privacy.gpu_used": {
        "fr": "Un GPU n'est réservé que pendant les transcriptions : ce service en a utilisé "
              "un {gpu} en tout, pour {audio} d'audio.",
        "en": "A GPU is held only while transcribing: this service used one for {gpu} in "
              "all, for {audio} of audio.",
    },
    "span.seconds": {"fr": "{seconds} s", "en": "{seconds} s"},
    "span.minutes": {"fr": "{minutes} min", "en": "{minutes} min"},
    "span.hours": {"fr": "{hours} h {minutes:02d} min", "en": "{hours} h {minutes:02d} min"},
    "jobs.free_gpu": {
        "fr": "Tout est transcrit. Téléchargez vos transcriptions, puis supprimez le service "
              "dans Onyxia (Mes services) pour libérer le GPU pour les autres.",
        "en": "Everything is transcribed. Download your transcripts, then delete the service "
              "in Onyxia (My Services) to free the GPU for others.",
    },

    # -- the correction editor (sent to the browser whole: `editor_texts`) ----------------
    "editor.toolbar": {"fr": "Écoute et édition", "en": "Listening and editing"},
    "editor.player": {"fr": "Lecteur audio de l'entretien", "en": "Interview audio player"},
    "editor.slower": {"fr": "Plus lent (Alt+↓)", "en": "Slower (Alt+↓)"},
    "editor.faster": {"fr": "Plus rapide (Alt+↑)", "en": "Faster (Alt+↑)"},
    "editor.speed": {"fr": "Vitesse", "en": "Speed"},
    "editor.follow": {"fr": "Suivre la lecture", "en": "Follow playback"},
    "editor.smaller": {"fr": "Texte plus petit", "en": "Smaller text"},
    "editor.larger": {"fr": "Texte plus grand", "en": "Larger text"},
    "editor.undo": {"fr": "Annuler", "en": "Undo"},
    "editor.redo": {"fr": "Rétablir", "en": "Redo"},
    "editor.undo_key": {"fr": "Annuler (Ctrl+Z)", "en": "Undo (Ctrl+Z)"},
    "editor.redo_key": {"fr": "Rétablir (Ctrl+Y)", "en": "Redo (Ctrl+Y)"},
    "editor.keys": {"fr": "Raccourcis clavier", "en": "Keyboard shortcuts"},
    "editor.keys_note": {
        "fr": "Cliquez dans le texte pour le corriger : chaque modification est enregistrée "
              "toute seule, quelques instants après. Plusieurs phrases se sélectionnent en "
              "glissant de l'une à l'autre (ou Maj+clic). L'historique d'annulation dure "
              "tant que la page n'est ni rechargée ni quittée.",
        "en": "Click in the text to correct it: every change is saved on its own, a moment "
              "later. Select several sentences by dragging from one to another (or Shift+click). "
              "Undo history lasts until the page is reloaded or left.",
    },
    "editor.find": {"fr": "Rechercher et remplacer", "en": "Find and replace"},
    "editor.search": {"fr": "Rechercher dans la transcription", "en": "Search the transcript"},
    "editor.previous": {"fr": "Résultat précédent", "en": "Previous match"},
    "editor.next": {"fr": "Résultat suivant", "en": "Next match"},
    "editor.with": {"fr": "Remplacer par", "en": "Replace with"},
    "editor.replace": {"fr": "Remplacer", "en": "Replace"},
    "editor.replace_all": {"fr": "Tout remplacer", "en": "Replace all"},
    "editor.matches": {"fr": "{current} sur {count}", "en": "{current} of {count}"},
    "editor.replaced": {"fr": "{count} remplacement(s) (Ctrl+Z pour annuler).",
                        "en": "{count} replaced (Ctrl+Z to undo)."},
    "editor.document": {"fr": "Transcription, modifiable", "en": "Transcript, editable"},
    "editor.play_from": {"fr": "Écouter à partir de {time}", "en": "Play from {time}"},
    "editor.speaker_key": {
        "fr": "Locuteur de tout le tour : clic ou Ctrl+F8 (F8 : la phrase au curseur seule)",
        "en": "Speaker of the whole turn: click or Ctrl+F8 (F8: the sentence at the cursor "
              "alone)",
    },
    "editor.segments": {"fr": "{count} segments", "en": "{count} segments"},
    "editor.turn_start": {
        "fr": "Un tour de parole commence déjà ici : F8 change le locuteur de la phrase, "
              "Ctrl+F8 celui de tout le tour.",
        "en": "A turn already starts here: F8 changes the sentence's speaker, Ctrl+F8 the "
              "whole turn's.",
    },
    "editor.new_turn": {
        "fr": "Nouveau tour de parole, donné à {name} (Ctrl+F8 : un autre locuteur ; "
              "Ctrl+Z : annuler).",
        "en": "New turn, given to {name} (Ctrl+F8: another speaker; Ctrl+Z: undo).",
    },
    "editor.gap_word": {"fr": "inaudible", "en": "inaudible"},
    "editor.gap_play": {
        "fr": "parole sans texte : Entrée l'écoute, taper écrit ce qui est dit, Suppr retire "
              "la marque",
        "en": "speech with no text: Enter plays it, typing writes what is said, Delete "
              "removes the mark"},
    "editor.gap_guard": {
        "fr": "Le texte que la reconnaissance avait inventé ici (une boucle) a été retiré : "
              "écoutez, puis tapez ce qui est dit sur la marque.",
        "en": "Text the recogniser invented here (a loop) was removed: listen, then type what "
              "is said on the mark.",
    },
    "editor.gap_no_text": {
        "fr": "La reconnaissance n'a rien écrit pour cette parole : écoutez, puis tapez ce qui "
              "est dit sur la marque.",
        "en": "The recogniser wrote nothing for this speech: listen, then type what is said "
              "on the mark.",
    },
    "editor.unknown": {"fr": "(locuteur inconnu)", "en": "(unknown speaker)"},
    "editor.empty": {"fr": "Cette transcription ne contient aucun texte.",
                     "en": "This transcript has no text."},
    # "Sauvegarde", never "Enregistrement": that is the recording (its chooser's label).
    "editor.saving": {"fr": "Sauvegarde…", "en": "Saving…"},
    "editor.saved": {"fr": "Sauvegardé", "en": "Saved"},
    "editor.not_all_saved": {"fr": "Pas tout sauvegardé", "en": "Not all saved"},
    "editor.not_saved": {"fr": "Non sauvegardé", "en": "Not saved"},
    "editor.dismiss": {"fr": "Fermer ce message", "en": "Close this message"},
    "editor.refused_text": {"fr": "Votre texte, non enregistré (à recopier si besoin) :",
                            "en": "Your text, not saved (to copy back if needed):"},
    "editor.copy": {"fr": "Copier", "en": "Copy"},
    "editor.copied": {"fr": "Copié", "en": "Copied"},
    "editor.changed_elsewhere": {
        "fr": "La transcription a été modifiée ailleurs (un autre onglet) : la version "
              "enregistrée est affichée.",
        "en": "The transcript was changed elsewhere (another tab): the saved version is shown.",
    },
    "editor.undo_reset": {"fr": "L'historique d'annulation repart de cette version.",
                          "en": "Undo history starts again from this version."},
    "editor.undo_lost": {
        "fr": "L'historique d'annulation se perd quand on recharge ou quitte la page : vos "
              "corrections sont enregistrées, mais Ctrl+Z repart d'ici.",
        "en": "Undo history does not survive reloading or leaving the page: your corrections "
              "are saved, but Ctrl+Z starts from here.",
    },
    "editor.conflict": {
        "fr": "{count} modification(s) n'ont pas pu être enregistrées : ce passage a été "
              "modifié entre-temps (dans un autre onglet ?). La version enregistrée est "
              "affichée ; refaites la correction si besoin.",
        "en": "{count} change(s) could not be saved: this passage was changed meanwhile "
              "(in another tab?). The saved version is shown; make the correction again if "
              "needed.",
    },
    "editor.invalid": {
        "fr": "{count} modification(s) refusée(s) : elles ne correspondent pas à cette "
              "transcription (un temps hors de l'enregistrement, un locuteur inconnu…). La "
              "version enregistrée est affichée ; le reste est enregistré.",
        "en": "{count} change(s) refused: they do not fit this transcript (a time outside "
              "the recording, an unknown speaker…). The saved version is shown; the rest is "
              "saved.",
    },
    "editor.reloaded": {
        "fr": "La transcription a été modifiée ailleurs (un autre onglet) : vos corrections y "
              "ont été ajoutées et la version enregistrée est affichée.",
        "en": "The transcript was changed elsewhere (another tab): your corrections were "
              "added to it and the saved version is shown.",
    },
    "editor.gone": {
        "fr": "Cette transcription n'existe plus (elle a été supprimée) : elle n'est plus "
              "affichée, et rien de plus n'a été enregistré.",
        "en": "This transcript no longer exists (it was deleted): it is no longer shown, and "
              "nothing more was saved.",
    },
    "editor.logged_out": {
        "fr": "Vous êtes déconnecté·e : la transcription n'est plus affichée. Rechargez la "
              "page pour vous reconnecter.",
        "en": "You are logged out: the transcript is no longer shown. Reload the page to log "
              "in again.",
    },
    "editor.load_failed": {"fr": "La transcription n'a pas pu être chargée : rechargez la page.",
                           "en": "The transcript could not be loaded: reload the page."},
}

# (keys, what they do): shown in the editor's help, in this order.
EDITOR_KEYS: dict[str, list[tuple[str, str]]] = {
    "fr": [
        ("Échap  ou  Ctrl+Espace", "lecture / pause (la pause revient 1 s en arrière)"),
        ("F1  /  F2", "reculer / avancer de 3 s"),
        ("Alt+↓  /  Alt+↑", "plus lent / plus rapide (0,5× à 2×)"),
        ("Ctrl+clic sur un mot", "écouter à partir de ce mot (clic sur l'heure d'un tour : idem)"),
        ("Ctrl+Entrée", "écouter à partir du mot où est le curseur"),
        ("F4  /  Maj+F4", "mot incertain suivant / précédent"),
        ("Entrée", "couper le segment au curseur"),
        ("Entrée en début de phrase",
         "nouveau tour de parole à partir de cette phrase, donné au locuteur suivant"),
        ("Retour arrière en début de segment", "fusionner avec le segment précédent"),
        ("F8  /  Maj+F8", "changer le locuteur de la phrase au curseur, ou des phrases "
                          "sélectionnées (suivant / précédent)"),
        ("Ctrl+F8  /  Ctrl+Maj+F8",
         "changer le locuteur de tout le tour (clic sur son nom : idem)"),
        ("Tab vers une marque [inaudible …], puis Entrée",
         "écouter ce passage de parole sans texte ; taper y écrit ce qui est dit, "
         "Suppr retire la marque"),
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
        ("Enter at the start of a sentence",
         "a new turn from that sentence, given to the next speaker"),
        ("Backspace at the start of a segment", "merge with the previous segment"),
        ("F8  /  Shift+F8", "change the speaker of the sentence at the cursor, or of the "
                            "selected sentences (next / previous)"),
        ("Ctrl+F8  /  Ctrl+Shift+F8",
         "change the whole turn's speaker (clicking its name does the same)"),
        ("Tab to an [inaudible …] mark, then Enter",
         "play that stretch of speech with no text; typing there writes what is said, "
         "Delete removes the mark"),
        ("Ctrl+Z  /  Ctrl+Y", "undo / redo"),
        ("Enter  /  Shift+Enter in the search box", "next / previous match"),
        ("Ctrl+/", "show or hide this help"),
    ],
}


def editor_texts(language: str) -> dict[str, object]:
    """Every text the correction editor shows, in `language`, and its keys' help rows
    (the README's "Correcting a transcript" section lists the same keys)."""
    language = ui_language(language)
    texts: dict[str, object] = {key.removeprefix("editor."): value[language]
                                for key, value in STRINGS.items() if key.startswith("editor.")}
    texts["key_rows"] = [list(row) for row in EDITOR_KEYS[language]]
    return texts

def text(key: str, language: str, **params: object) -> str:
    """The text for `key` in `language` (the default language when unknown), with its
    parameters."""
    texts = STRINGS[key]
    return (texts.get(language) or texts[DEFAULT_LANGUAGE]).format(**params)
