"""Locales beyond en-US: the setting, the language of free text, column classification on seeded
locale tables, names in French text from the French NER model, and what anonymization does with IDs."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.pii import locales as loc


def test_locales_setting_parses_all_and_lists(monkeypatch):
    assert loc.parse_locales("all") == tuple(loc.LOCALES)
    assert loc.parse_locales("de, en_gb,FR") == ("de", "en-GB", "fr")
    with pytest.raises(loc.LocaleError, match="unknown locale 'xx'"):
        loc.parse_locales("de,xx")


def test_default_setting_enables_every_locale(monkeypatch):
    from analysis.settings import get_settings

    monkeypatch.delenv("PRIVACY_AUDIT_LOCALES", raising=False)
    get_settings.cache_clear()
    try:
        assert loc.enabled_locales() == tuple(loc.LOCALES)
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("text,language", [
    ("Rückruf von Tilmann Stiebitz erbeten, bitte heute noch.", "de"),
    ("La cliente habite maintenant au 12, rue de la Paix.", "fr"),
    ("La cliente vive ahora en la calle Mayor y pide la factura.", "es"),
    ("Il rimborso è stato approvato dopo la verifica della cliente.", "it"),
    ("Klant woont nu aan de Kerkstraat en vraagt een factuur.", "nl"),
    ("Klientka mieszka teraz przy ulicy Długiej i prosi o fakturę.", "pl"),
    ("A cliente mora agora na rua do Alto e pede a fatura.", "pt"),
    ("Customer asked about the delivery window and the invoice.", "en"),
])
def test_stop_word_vote_finds_the_language(text, language):
    assert loc.vote_language([text], loc.languages(tuple(loc.LOCALES)))[0] == language


def test_local_names_match_faker_lists_of_the_locale():
    assert loc.looks_like_local_name("Łukasz Wyroślak", ("pl",))
    assert loc.looks_like_local_name("kian de roo", ("nl",))
    assert not loc.looks_like_local_name("steel lamp", ("pl",))


@pytest.fixture(scope="module")
def locale_scans(engine):
    from analysis.pii import scan_table
    from analysis.pii.evalset_locales import make_locale_set

    out = {}
    for locale in ("de", "fr", "es", "pl", "en-GB"):
        data = make_locale_set(locale, 300, seed=3)
        out[locale] = (data, scan_table(data.frame, backend="serial"))
    return out


@pytest.mark.parametrize("locale", ["de", "fr", "es", "pl", "en-GB"])
def test_every_column_of_a_locale_table_gets_its_type(locale_scans, locale):
    data, scan = locale_scans[locale]
    for column, truth in data.columns.items():
        if column in data.text_columns:
            assert scan.column(column).kind == "free_text"
            continue
        assert scan.column(column).entity_label == truth.entity, column
        assert scan.column(column).kind == truth.kind, column


def test_text_column_carries_its_language_and_how_it_was_read(locale_scans):
    _, scan = locale_scans["fr"]
    notes = scan.column("notes")
    assert notes.language == "fr"
    assert any("fr_core_news_sm" in e for e in notes.evidence)
    _, scan = locale_scans["pl"]
    assert scan.column("notes").language == "pl"
    assert any("no NER model" in e for e in scan.column("notes").evidence)
    assert any("first/last-name lists" in e for e in scan.column("notes").evidence)  # PERSON by the lexicon


def test_identifier_columns_say_their_checksum_held(locale_scans):
    _, scan = locale_scans["de"]
    assert any("checksum valid" in e for e in scan.column("steuer_id").evidence)
    assert scan.column("iban").examples[0].startswith("DE")


def test_french_names_in_text_come_from_the_french_ner_model(engine):
    from analysis.pii.text import analyze_texts

    spans = analyze_texts(["Appel de Camille Lefèvre au sujet de la livraison.",
                           "Merci d'envoyer la facture à Jean-Pierre Dubois."], engine=engine, language="fr")
    people = [(s[0], s[4]) for row in spans for s in row if s[0] == "PERSON"]
    assert people == [("PERSON", "ner"), ("PERSON", "ner")]


def test_bad_checksums_are_not_found_in_text(engine):
    from analysis.pii.text import analyze_texts

    spans = analyze_texts(["PESEL klientki: 44051401359.", "PESEL klientki: 44051401358."], engine=engine,
                          language="pl")
    assert [s[0] for s in spans[0]] == ["PL_PESEL"]
    assert [s[0] for s in spans[1]] == []


def test_english_only_setting_leaves_european_ids_alone(monkeypatch):
    from analysis.pii.columns import ColumnPlan, detect_value
    from analysis.settings import get_settings

    plan = ColumnPlan(name="x", hint=None, value_kind="string", text=False, ner=False, low_cardinality=False)
    assert detect_value("RSSMRA85T10A562S", plan)[0] == "IT_FISCAL_CODE"
    monkeypatch.setenv("PRIVACY_AUDIT_LOCALES", "en-US")
    get_settings.cache_clear()
    try:
        assert detect_value("RSSMRA85T10A562S", plan) is None
    finally:
        monkeypatch.delenv("PRIVACY_AUDIT_LOCALES")
        get_settings.cache_clear()


def test_anonymization_generalizes_ids_to_the_birth_date_they_encode():
    from analysis.anonymize.operators import OPERATORS, Context

    values = pd.Series(["44051401359", "RSSMRA85T10A562S", "111222333", None])
    out = OPERATORS["id_birth_date"].fn(values, {"to": "year"}, Context())
    assert out.tolist()[:2] == ["1944", "1985"]
    assert out.isna().tolist()[2:] == [True, True]


def test_doctor_lists_the_ner_model_of_each_language():
    from analysis.doctor import ner_model_checks

    checks = {c.name: c for c in ner_model_checks()}
    assert checks["NER model (fr)"].detail.startswith("fr_core_news_sm")
    assert "patterns and Faker name lists only" in checks["NER model (de)"].detail


def test_french_pipeline_has_no_rule_lemmatizer_and_context_words_still_raise_a_score(engine):
    # The rule lemmatizer's tables were half of the French pipeline's memory in every scan worker.
    french = engine.nlps["fr"]
    assert "lemmatizer" not in french.pipe_names
    assert [t.lemma_ for t in french("Ses Téléphones")] == ["ses", "téléphones"]
    number = "01 42 68 53 00"
    near_context = engine.analyzer.analyze(f"Numéros de téléphone : {number}", language="fr",
                                           entities=["PHONE_NUMBER"])
    without = engine.analyzer.analyze(f"Voir le code {number}", language="fr", entities=["PHONE_NUMBER"])
    assert near_context[0].score > without[0].score
