"""A labelled evaluation table per locale (issue 24): Faker's locale providers for names, streets,
postal codes, phones, IBANs and e-mails; valid national identifiers and VAT numbers from
`analysis.pii.national_ids` generators; birth dates in the locale's layout; decoys (order references,
amounts, counts); and free-text notes written in the locale's language with names and street
addresses in them (span truth recorded).

`make_locale_set(locale, rows, seed=...)` returns an `analysis.pii.evalset.EvalSet`.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np
import pandas as pd

from analysis.pii import national_ids as ids
from analysis.pii.evalset import ColumnTruth, EvalSet, _Text

# locale -> (Faker locale, date layout, [(column, entity, make(rng))] of its identifiers, VAT country)
_IDS: dict[str, tuple[str, str, list[tuple[str, str, Callable]], Optional[str]]] = {
    "en-US": ("en_US", "%m/%d/%Y", [], None),
    "en-GB": ("en_GB", "%d/%m/%Y", [("nhs_number", "UK_NHS", lambda r: (lambda s: f"{s[:3]} {s[3:6]} {s[6:]}")(
        ids.make_uk_nhs(r))), ("ni_number", "UK_NINO", ids.make_uk_nino)], "GB"),
    "de": ("de_DE", "%d.%m.%Y", [("steuer_id", "DE_TAX_ID", ids.make_de_tax_id)], "DE"),
    "fr": ("fr_FR", "%d/%m/%Y", [("numero_secu", "FR_NIR", ids.make_fr_nir)], "FR"),
    "es": ("es_ES", "%d/%m/%Y", [("dni", "ES_NIF", ids.make_es_dni), ("nie", "ES_NIE", ids.make_es_nie)], "ES"),
    "it": ("it_IT", "%d/%m/%Y", [("codice_fiscale", "IT_FISCAL_CODE", ids.make_it_fiscal_code)], "IT"),
    "nl": ("nl_NL", "%d-%m-%Y", [("bsn", "NL_BSN", ids.make_nl_bsn)], "NL"),
    "pl": ("pl_PL", "%d.%m.%Y", [("pesel", "PL_PESEL", ids.make_pl_pesel)], "PL"),
    "pt": ("pt_PT", "%d/%m/%Y", [("nif", "PT_NIF", ids.make_pt_nif)], "PT"),
}
# Notes in each language: {name} and {street} are filled and recorded as PERSON / LOCATION spans.
NOTES: dict[str, list[str]] = {
    "en": ["Spoke with {name} about the delivery window.", "Customer {name} moved to {street} last month.",
           "Please send the invoice to {name}.", "Refund approved after review, no further action needed."],
    "de": ["Rückruf von {name} erbeten, bitte heute noch.", "Kundin {name} wohnt jetzt in der {street}.",
           "Bitte die Rechnung an {name} schicken.", "Lieferung kam beschädigt an, Ersatz wurde verschickt."],
    "fr": ["Appel de {name} au sujet de la livraison.", "La cliente {name} habite maintenant au {street}.",
           "Merci d'envoyer la facture à {name}.", "Le remboursement a été validé après vérification."],
    "es": ["Llamada de {name} sobre el pedido.", "La cliente {name} vive ahora en {street}.",
           "Por favor enviar la factura a {name}.", "El reembolso fue aprobado después de la revisión."],
    "it": ["Chiamata di {name} per la consegna.", "La cliente {name} abita ora in {street}.",
           "Per favore inviare la fattura a {name}.", "Il rimborso è stato approvato dopo la verifica."],
    "nl": ["Telefoontje van {name} over de levering.", "Klant {name} woont nu aan de {street}.",
           "Graag de factuur naar {name} sturen.", "De terugbetaling is goedgekeurd na controle."],
    "pl": ["Telefon od {name} w sprawie dostawy.", "Klientka {name} mieszka teraz przy {street}.",
           "Prosimy wysłać fakturę do {name}.", "Zwrot został zatwierdzony po weryfikacji."],
    "pt": ["Chamada de {name} sobre a entrega.", "A cliente {name} mora agora na {street}.",
           "Por favor enviar a fatura para {name}.", "O reembolso foi aprovado depois da revisão."],
}
LANGUAGE = {"en-US": "en", "en-GB": "en", "de": "de", "fr": "fr", "es": "es", "it": "it", "nl": "nl", "pl": "pl",
            "pt": "pt"}


def _street(fake) -> str:
    return fake.street_address().replace("\n", ", ").strip()


def _note(fake, rng, language: str) -> _Text:
    template = NOTES[language][int(rng.integers(len(NOTES[language])))]
    t = _Text()
    rest = template
    while rest:
        cut = min((rest.find(k) for k in ("{name}", "{street}") if rest.find(k) >= 0), default=-1)
        if cut < 0:
            t.add(rest)
            break
        t.add(rest[:cut])
        if rest.startswith("{name}", cut):
            t.add(f"{fake.first_name()} {fake.last_name()}", "PERSON")
            rest = rest[cut + len("{name}"):]
        else:
            t.add(_street(fake), "LOCATION")
            rest = rest[cut + len("{street}"):]
    return t


def make_locale_set(locale: str, rows: int = 400, *, seed: int = 7) -> EvalSet:
    """A labelled table of `rows` rows for `locale` (one of analysis.pii.locales.LOCALES)."""
    from faker import Faker

    if locale not in _IDS:
        raise ValueError(f"locale must be one of {', '.join(_IDS)}, got {locale!r}")
    faker_locale, date_layout, id_columns, vat_country = _IDS[locale]
    rng = np.random.default_rng(seed)
    fake = Faker(faker_locale)
    fake.seed_instance(seed)
    cols: dict[str, list] = {}
    truth: dict[str, ColumnTruth] = {}

    def column(name: str, entity: Optional[str], kind: str, make) -> None:
        cols[name] = [make() for _ in range(rows)]
        truth[name] = ColumnTruth(entity, kind)

    column("name", "PERSON", "direct_identifier",
           lambda: (lambda n: n.lower() if rng.random() < 0.1 else n)(f"{fake.first_name()} {fake.last_name()}"))
    column("address", "LOCATION", "direct_identifier", lambda: _street(fake))
    column("postcode", "ZIP_CODE", "quasi_identifier", lambda: fake.postcode())
    column("phone", "PHONE_NUMBER", "direct_identifier", lambda: fake.phone_number())
    column("email", "EMAIL_ADDRESS", "direct_identifier", lambda: fake.email())
    column("iban", "IBAN_CODE", "direct_identifier",
           lambda: (lambda s: " ".join(s[j:j + 4] for j in range(0, len(s), 4)) if rng.random() < 0.3 else s)(
               fake.iban()))
    column("birth_date", "DATE_TIME", "direct_identifier",
           lambda: fake.date_of_birth(minimum_age=18, maximum_age=90).strftime(date_layout))
    if locale == "en-US":
        column("ssn", "US_SSN", "direct_identifier", lambda: fake.ssn())
    for name, entity, make in id_columns:
        column(name, entity, "direct_identifier", lambda make=make: make(rng))
    if vat_country:
        column("vat_number", "EU_VAT", "direct_identifier", lambda: ids.make_vat(rng, vat_country))
    # decoys
    column("order_ref", None, "other", lambda: f"A-2023-{int(rng.integers(0, 999999)):06d}")
    column("amount", None, "other", lambda: round(float(rng.lognormal(3.5, 0.9)), 2))
    column("quantity", None, "other", lambda: int(rng.integers(1, 20)))
    # free text in the locale's language
    spans = []
    notes = []
    for row in range(rows):
        t = _note(fake, rng, LANGUAGE[locale])
        notes.append(t.text())
        spans.extend((row, e, s, end, "notes") for e, s, end in t.spans)
    cols["notes"] = notes
    truth["notes"] = ColumnTruth(None, "free_text")
    return EvalSet(frame=pd.DataFrame(cols), columns=truth, spans=spans, text_columns=["notes"])

