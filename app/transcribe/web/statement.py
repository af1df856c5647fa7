"""The accessibility statement the privacy page shows, in RGAA's usual form (conformity
status, tests, what does not conform and why, exemptions, contact, legal remedy), in French
and English. README's "Accessibility" section says the same for administrators; the
browser tests (tests/web/test_accessibility.py) check what it claims, and fail on any
serious violation it does not list."""

from __future__ import annotations

from ..languages import DEFAULT_LANGUAGE

DATE = {"fr": "7 décembre 2026", "en": "7 December 2026"}

# axe-core's rules that Streamlit's own elements break (none serious or critical), or that
# axe-core asks to check by hand there: named in both languages below.
STREAMLIT_RULES = ("presentation-role-conflict", "aria-prohibited-attr",
                   "aria-required-children", "th-has-data-cells")

_FR = """\
Ce service de transcription vise la conformité au RGAA 4.1.2, le référentiel général \
d'amélioration de l'accessibilité (fondé sur les WCAG 2.1, niveau AA), que l'article 47 de \
la loi n° 2005-102 du 11 février 2005 impose aux services en ligne publics. L'organisme qui \
le met à disposition (sur SSP Cloud, l'Insee) en est responsable.

**État de conformité : non conforme.** Aucun audit RGAA complet (les 106 critères, vérifiés \
par une personne) n'a encore été mené ; sans audit, le RGAA demande de déclarer le service \
non conforme. Ce qui est vérifié à chaque version, par des tests automatiques dans \
Chromium, en français et en anglais :

- axe-core 4.14 (règles WCAG 2.0 et 2.1, niveaux A et AA) sur la page de connexion, la page \
« Transcrire » (avec l'avis sur les données et une transcription terminée), la page \
« Relire et corriger » (éditeur, locuteurs, pseudonymes, téléchargements) et cette page : \
aucune erreur grave ou critique ;
- un contraste d'au moins 4,5:1 pour le texte et 3:1 pour les indicateurs de focus ;
- la langue de chaque page suit celle de l'interface, et le texte d'une transcription porte \
la langue parlée ;
- tout se fait au clavier seul, de la connexion au téléchargement d'une transcription \
corrigée ; le focus est visible sur chaque contrôle et va où se porte l'attention (la \
nouvelle tâche après « Transcrire », le texte à l'ouverture d'une transcription).

**Non-conformités**, dues à Streamlit, le cadriciel de l'interface, que l'application ne \
peut pas corriger elle-même (entre parenthèses, la règle d'axe-core) :

- la zone de dépôt des fichiers a à la fois le rôle « presentation » et un nom \
(`presentation-role-conflict`) ; l'étiquette d'un fichier choisi porte un nom sans rôle \
(`aria-prohibited-attr`) et donne sa taille à l'anglaise (« 0.6MB ») ;
- le tableau des pseudonymes est la grille de données de Streamlit, dessinée dans un \
canevas (`aria-required-children`, `th-has-data-cells`) : avec un lecteur d'écran, les deux \
champs au-dessus du tableau ajoutent ou changent un pseudonyme, mais en retirer un demande \
la grille ;
- les graphiques « Qui parle quand » et « Part du temps de parole » sont décrits d'une \
phrase, pas barre par barre : la transcription et les noms des locuteurs donnent les mêmes \
informations ;
- Streamlit déclare chaque page en anglais (`lang="en"`) : l'application corrige cette \
langue dès que la page s'affiche, mais un lecteur d'écran qui lit la page avant peut \
commencer en anglais.

**Dérogations pour charge disproportionnée :** aucune. **Contenus non soumis à \
l'obligation d'accessibilité :** les enregistrements et les transcriptions que les \
personnes déposent et produisent.

**Établissement de cette déclaration :** le {date}. Technologies : HTML, CSS, JavaScript, \
WAI-ARIA, Streamlit 1.67. Environnement de test : Chromium (Debian), piloté par \
Playwright, et le clavier. Outil : axe-core 4.14.1.

**Retour d'information et contact :** si vous ne pouvez pas accéder à un contenu ou à une \
fonction, signalez-le aux responsables de la plateforme qui héberge ce service (sur SSP \
Cloud, son support) : ils vous proposeront une autre façon d'y accéder.

**Voies de recours :** si vous avez signalé un défaut d'accessibilité sans obtenir de \
réponse satisfaisante, vous pouvez saisir le Défenseur des droits : par son formulaire en \
ligne (formulaire.defenseurdesdroits.fr), auprès de son délégué dans votre région, ou par \
courrier postal gratuit, sans timbre : Défenseur des droits, Libre réponse 71120, 75342 \
Paris CEDEX 07."""

_EN = """\
This transcription service aims to conform to RGAA 4.1.2, the French accessibility \
standard (built on WCAG 2.1, level AA) that article 47 of law no. 2005-102 of 11 February \
2005 requires of public online services. The body that offers it (on SSP Cloud, Insee) is \
responsible for it.

**Conformity status: not conformant.** No full RGAA audit (all 106 criteria, checked by a \
person) has been carried out yet; without one, RGAA asks that the service be declared not \
conformant. What every release checks, with automated tests in Chromium, in French and in \
English:

- axe-core 4.14 (WCAG 2.0 and 2.1 rules, levels A and AA) on the login page, the \
"Transcribe" page (with the data-rules notice and a finished transcription), the "Review \
and correct" page (editor, speakers, pseudonyms, downloads) and this page: no serious or \
critical error;
- a contrast of at least 4.5:1 for text and 3:1 for focus indicators;
- each page's language follows the interface's, and a transcript's text carries the \
language spoken;
- everything works with the keyboard alone, from the login to downloading a corrected \
transcript; the focus is visible on every control and goes where attention goes (the new \
job after "Transcribe", the text when a transcript opens).

**Non-conformities**, due to Streamlit, the interface's framework, which the app cannot \
fix itself (axe-core's rule in brackets):

- the file drop zone has both the "presentation" role and a name \
(`presentation-role-conflict`); a chosen file's chip carries a name without a role \
(`aria-prohibited-attr`) and gives its size in English ("0.6MB");
- the pseudonym table is Streamlit's data grid, drawn on a canvas \
(`aria-required-children`, `th-has-data-cells`): with a screen reader, the two fields above \
the table add or change a pseudonym, but removing one takes the grid;
- the "Who speaks when" and "Share of talk time" charts are described in one sentence, not \
bar by bar: the transcript and the speakers' names give the same information;
- Streamlit declares every page as English (`lang="en"`): the app corrects that language \
as soon as the page shows, but a screen reader that reads the page before may start in \
English.

**Exemptions for disproportionate burden:** none. **Content not subject to the \
accessibility obligation:** the recordings and transcripts people upload and produce.

**This statement was made on** {date}. Technologies: HTML, CSS, JavaScript, WAI-ARIA, \
Streamlit 1.67. Test environment: Chromium (Debian), driven by Playwright, and the \
keyboard. Tool: axe-core 4.14.1.

**Feedback and contact:** if you cannot reach a content or a function, tell the people \
who run the platform that hosts this service (on SSP Cloud, its support): they will offer \
another way to reach it.

**Legal remedy:** if you reported an accessibility problem without getting a satisfactory \
answer, you can refer it to the Défenseur des droits (France's rights ombudsman): through \
its online form (formulaire.defenseurdesdroits.fr), its delegate in your region, or by free \
post, without a stamp: Défenseur des droits, Libre réponse 71120, 75342 Paris CEDEX 07."""

_TEXTS = {"fr": _FR, "en": _EN}


def statement(language: str) -> str:
    """The statement in `language` (Markdown)."""
    chosen = language if language in _TEXTS else DEFAULT_LANGUAGE
    return _TEXTS[chosen].replace("{date}", DATE[chosen])
