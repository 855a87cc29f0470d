"""Presidio recognizers of the enabled locales, added to the one analyzer for each of its languages:
national identifiers and VAT numbers (matches count only when the checksum holds), phones of the
locales' regions, street addresses, and person names from the locales' Faker name lists (the method
for languages without an installed NER model).

`method_of(recognizer_name)` says how a span was found: 'ner', 'lexicon' or 'pattern'.
"""

from __future__ import annotations

import re
from typing import Callable, Optional, Sequence

from analysis.pii import locales as loc
from analysis.pii import national_ids as ids

LEXICON_NAME = "LocaleNameLexicon"
_LEXICON_RECOGNIZERS = {LEXICON_NAME, "LowercaseNameRecognizer"}


def method_of(recognizer_name: str) -> str:
    if recognizer_name == "SpacyRecognizer":
        return "ner"
    return "lexicon" if recognizer_name in _LEXICON_RECOGNIZERS else "pattern"


_WORD = re.compile(r"[^\W\d_][\w'-]*")
# Street words that lead a street name (fr es it pl pt) and suffixes that end one (de nl), as in
# analysis.pii.locales.STREET_RES; a street in text needs its house number (or, French, a leading one).
_LEADING = (r"rue|avenue|boulevard|chemin|allée|impasse|place|quai|cours|route|calle|c\.|avenida|avda\.|paseo|plaza|"
            r"camino|carretera|cuesta|ronda|pasaje|cañada|callejón|glorieta|urbanización|vía|rambla|via|viale|piazza|"
            r"piazzale|corso|largo|vicolo|contrada|strada|borgo|rotonda|stretto|canale|incrocio|lungomare|località|"
            r"ul\.|ulica|aleja|al\.|plac|pl\.|os\.|osiedle|rua|r\.|acceso|vial|travessa|praça|praceta|alameda|estrada|calçada|beco|av\.?")
_SUFFIX = (r"straße|strasse|str\.|weg|gasse|allee|platz|ring|damm|ufer|straat|laan|gracht|plein|dijk|kade|singel|"
           r"hof|park|dreef|baan|pad|steeg|markt|wal|plantsoen|erf|boulevard|kanaal|straatweg")
_NAME = r"[^\W\d_][\w'.-]*"
_STREET_TEXT = re.compile(
    rf"\b\d{{1,4}}(?: ?(?:bis|ter))?,? (?:{_LEADING})\s(?:{_NAME}\s?){{1,4}}"
    rf"|(?<![\w.])(?:{_LEADING})\s(?:{_NAME},?\s){{1,6}}\d{{1,5}}[a-z]?(?:/\d{{1,4}})?\b"
    rf"|\b{_NAME}(?:{_SUFFIX}) \d{{1,5}}[a-z]?\b"
    rf"|\b(?:rue|avenue|boulevard|chemin|allée|impasse|quai) (?:de la |de l'|du |des |de |d')?{_NAME}(?: {_NAME})?",
    re.IGNORECASE)


def locale_name_recognizer(language: str, locales: Sequence[str]):
    """PERSON for a capitalised known first name, optional particles, and a capitalised known last name
    (Faker's lists of the enabled locales other than English ones)."""
    from presidio_analyzer import LocalRecognizer, RecognizerResult

    codes = tuple(c for c in locales if not c.startswith("en-")) or tuple(locales)

    class LocaleNameLexicon(LocalRecognizer):
        def load(self) -> None:  # noqa: D102
            pass

        def analyze(self, text, entities, nlp_artifacts=None):  # noqa: D102
            first, last = loc.name_lists(codes)
            words = list(_WORD.finditer(text))
            results = []
            i = 0
            while i < len(words):
                w = words[i].group(0)
                if w[0].isupper() and (w.lower() in first or w.split("-")[0].lower() in first):
                    j = i + 1
                    while j < len(words) and words[j].group(0).lower() in loc.PARTICLES:
                        j += 1
                    end = None
                    while j < len(words) and words[j].group(0)[0].isupper() and words[j].group(0).lower() in last \
                            and words[j].start() - (end or words[j - 1].end()) <= 2:
                        end = words[j].end()
                        j += 1
                    if end is not None:
                        results.append(RecognizerResult("PERSON", words[i].start(), end, 0.7))
                        i = j
                        continue
                i += 1
            return results

    return LocaleNameLexicon(supported_entities=["PERSON"], name=LEXICON_NAME, supported_language=language)


def street_recognizer(language: str):
    from presidio_analyzer import Pattern, PatternRecognizer

    return PatternRecognizer(supported_entity="LOCATION", name="LocaleStreetRecognizer", supported_language=language,
                             patterns=[Pattern("street", _STREET_TEXT.pattern, 0.6)],
                             global_regex_flags=re.IGNORECASE | re.UNICODE)


def add_locale_recognizers(registry, locales: Sequence[str], languages: Sequence[str],
                           generic_recognizers: Callable[[], list]) -> None:
    """Add the locales' recognizers to `registry` for each analyzer language; languages other than
    English also get the generic ones English has (`generic_recognizers()`, the engine's offline e-mail and
    formatted phone, and a card recognizer). Presidio's
    phone recognizer keeps its default regions (US GB DE FR ...); see `text_phone_recognizers`."""
    from presidio_analyzer.predefined_recognizers import CreditCardRecognizer

    locales = tuple(locales)
    non_english = any(not c.startswith("en-") for c in locales)
    for language in languages:
        for id_type in loc.id_types(locales):
            if not (id_type.entity == "UK_NINO" and language == "en"):  # English has Presidio's
                registry.add_recognizer(ids.id_recognizer(id_type, language))
        if non_english:
            registry.add_recognizer(street_recognizer(language))
            registry.add_recognizer(locale_name_recognizer(language, locales))
        if language != "en":
            for recognizer in generic_recognizers():
                recognizer.supported_language = language
                registry.add_recognizer(recognizer)
            registry.add_recognizer(CreditCardRecognizer(supported_language=language))


_PHONES: dict = {}
# Words near a national-format number that make it a phone (Presidio scores bare matches 0.4).
PHONE_CONTEXT = ("phone", "tel", "telefon", "telefono", "teléfono", "telefoon", "telemóvel", "telemovel", "móvil",
                 "movil", "cellulare", "mobiel", "komórka", "llamar", "chiamare", "bellen", "ligar", "zadzwonić",
                 "numer", "número", "numero", "nummer")


def text_phone_recognizers(text_language: Optional[str], analyzer_language: str) -> list:
    """An ad-hoc phone recognizer for the national format of the text's language when Presidio's
    default regions miss it (es, it, nl, pl, pt): passed per call so other texts do not pay for it."""
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    regions = tuple(loc.LOCALES[c].region for c in loc.LOCALES if loc.LOCALES[c].language == text_language
                    and loc.LOCALES[c].region not in PhoneRecognizer.DEFAULT_SUPPORTED_REGIONS)
    if not regions:
        return []
    key = (regions, analyzer_language)
    if key not in _PHONES:  # a recognizer holds no data, only its configuration
        _PHONES[key] = PhoneRecognizer(supported_regions=regions, supported_language=analyzer_language,
                                       context=list(PHONE_CONTEXT))
    return [_PHONES[key]]
