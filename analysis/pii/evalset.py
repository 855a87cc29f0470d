"""A labelled evaluation set for the PII scan: column truth and span truth, seeded and reproducible.

Two variants:
- "known": column names and formats like the ones the rules were written for (en_US Faker data).
- "unseen": new column names (no name hint for most), other locales (British, German, French names
  and phones, German cities, IBANs with spaces, IPv6, dates as '31 Jan 1980'), other layouts.
A third, "real", is a table shaped like ProPublica's COMPAS release (`compas_like.py`).
The first two carry columns that mix kinds of direct identifiers (a `contact` of e-mails or phones; their
truth is the types sorted and joined by '|', as `ColumnFinding.entity_label`), tricky decoys (order
and ticket numbers, EAN barcodes and tracking numbers that sometimes pass Luhn, 9-digit serials
shaped like SSNs, 10-digit references, versions, amounts, counts, ratings, lower-case product and
colour words, and a column mixing order numbers, SKUs and amounts) and lower-case person names, in
columns and in text.

`make_eval_set(rows, variant=..., seed=...)` returns an `EvalSet`; scripts/make_pii_eval_set.py
writes it to tests/pii/data/.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class ColumnTruth:
    entity: Optional[str]  # the column's entity type ('A|B' for mixed types), None for decoys and free text
    kind: str


@dataclass
class EvalSet:
    frame: pd.DataFrame
    columns: dict[str, ColumnTruth]
    spans: list[tuple[int, str, int, int, str]] = field(default_factory=list)  # (row, type, start, end, column)
    text_columns: list[str] = field(default_factory=list)


PRODUCTS = ["steel lamp", "oak table", "blue widget", "paper towel", "garden hose", "desk chair", "wool scarf",
            "coffee mug", "phone case", "yoga mat", "rain jacket", "hand cream", "book shelf", "camera bag"]
COLOURS = ["navy blue", "forest green", "ruby red", "charcoal", "ivory", "sand", "olive", "sky blue", "plum"]
STATUS = ["shipped", "pending", "returned", "cancelled", "delivered", "on hold"]
CONDITIONS = ["asthma", "diabetes", "hypertension", "depression", "migraine", "epilepsy", "copd",
              "type 2 diabetes", "anxiety", "arthritis"]
WORLD_CITIES = ["Lyon", "Madrid", "Toronto", "Osaka", "Barcelona", "Munich", "Dublin", "Chicago", "Boston",
                "Marseille", "Vienna", "Prague", "Lisbon", "Seattle", "Denver", "Glasgow", "Leeds", "Milan"]
PLAIN = ["Customer asked about the delivery window.", "Refund approved after review.",
         "Prefers contact in the evening.", "Upgraded plan after the trial.", "Ticket closed, no action needed.",
         "Asked to change the billing cycle.", "Reported a login problem in the app.",
         "Wants to pause the subscription.", "Order 48213 arrived damaged, replacement sent.",
         "Rated the service 5 out of 5.", "Invoice INV-2023-0042 was paid on time."]


def _luhn_complete(prefix: str, length: int, rng: np.random.Generator) -> str:
    body = prefix + "".join(str(d) for d in rng.integers(0, 10, size=length - len(prefix) - 1))
    for check in range(10):
        from analysis.pii.validators import luhn_valid

        if luhn_valid(body + str(check)):
            return body + str(check)
    raise AssertionError("unreachable")


def _us_phone(rng) -> str:
    area, exch, line = int(rng.integers(201, 990)), int(rng.integers(200, 999)), int(rng.integers(0, 10000))
    fmt = int(rng.integers(0, 4))
    return [f"({area}) {exch}-{line:04d}", f"{area}-{exch}-{line:04d}", f"+1 {area} {exch} {line:04d}",
            f"{area}.{exch}.{line:04d}"][fmt]


def _intl_phone(rng) -> str:
    kind = int(rng.integers(0, 3))
    if kind == 0:
        return f"+44 20 {int(rng.integers(7000, 8999))} {int(rng.integers(0, 9999)):04d}"
    if kind == 1:
        return f"+49 30 {int(rng.integers(1000000, 9999999))}"
    return "+33 6 " + " ".join(f"{int(x):02d}" for x in rng.integers(0, 100, size=4))


def _ssn(rng, sep: str = "-") -> str:
    area = int(rng.integers(1, 899))
    area = 667 if area == 666 else area
    return f"{area:03d}{sep}{int(rng.integers(1, 100)):02d}{sep}{int(rng.integers(1, 10000)):04d}"


def _card(rng, sep: str = "") -> str:
    kind = int(rng.integers(0, 3))
    number = _luhn_complete(["4", "51", "37"][kind], [16, 16, 15][kind], rng)
    if sep and len(number) == 16:
        return sep.join(number[i:i + 4] for i in range(0, 16, 4))
    return number


def _ip(rng, v6_share: float) -> str:
    if rng.random() < v6_share:
        return ":".join(f"{int(x):x}" for x in rng.integers(0, 65536, size=8))
    return ".".join(str(int(x)) for x in [rng.integers(1, 224), *rng.integers(0, 256, size=3)])


def _pick(rng, choices):
    """Call one of [(probability, make), ...], drawn with `rng`."""
    i = int(rng.choice(len(choices), p=[p for p, _ in choices]))
    return choices[i][1]()


def _case(name: str, rng, lower_share: float) -> str:
    return name.lower() if rng.random() < lower_share else name


class _Text:
    """Builds a text from pieces, recording the offsets of the PII pieces."""

    def __init__(self):
        self.parts: list[str] = []
        self.spans: list[tuple[str, int, int]] = []
        self.length = 0

    def add(self, text: str, entity: Optional[str] = None) -> "_Text":
        if entity:
            self.spans.append((entity, self.length, self.length + len(text)))
        self.parts.append(text)
        self.length += len(text)
        return self

    def text(self) -> str:
        return "".join(self.parts)


def _note(fakers, rng, variant: str) -> _Text:
    t = _Text()
    base = PLAIN[int(rng.integers(len(PLAIN)))]
    roll = rng.random()
    fake = fakers[int(rng.integers(len(fakers)))]
    if roll < 0.14:
        t.add("Spoke with ").add(_case(f"{fake.first_name()} {fake.last_name()}", rng, 0.3), "PERSON").add(". " + base)
    elif roll < 0.22:
        t.add(base + " Call back on ").add(_us_phone(rng) if variant == "known" else _intl_phone(rng),
                                          "PHONE_NUMBER").add(".")
    elif roll < 0.30:
        t.add(base + " Send the receipt to ").add(fake.email(), "EMAIL_ADDRESS").add(".")
    elif roll < 0.35:
        t.add(base + " Card ").add(_card(rng, " " if variant == "unseen" else ""), "CREDIT_CARD").add(" was declined.")
    elif roll < 0.39:
        t.add(base + " SSN on file: ").add(_ssn(rng), "US_SSN").add(".")
    elif roll < 0.43:
        t.add(base + " Login came from ").add(_ip(rng, 0.3 if variant == "unseen" else 0.0), "IP_ADDRESS").add(".")
    elif roll < 0.47:
        day = dt.date(2023, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365)))
        shown = day.isoformat() if variant == "known" else day.strftime("%d %B %Y")
        t.add(base + " Follow up on ").add(shown, "DATE_TIME").add(".")
    elif roll < 0.51:
        city = WORLD_CITIES[int(rng.integers(len(WORLD_CITIES)))]
        t.add(base + " Customer moved to ").add(city, "LOCATION").add(" last month.")
    elif roll < 0.54 and variant == "unseen":
        t.add(base + " Refund to ").add(fake.iban(), "IBAN_CODE").add(".")
    else:
        t.add(base)
    return t


def make_eval_set(rows: int = 400, *, variant: str = "known", seed: int = 7) -> EvalSet:
    """A labelled table of `rows` rows (see the module docstring for the two variants)."""
    from faker import Faker

    if variant == "real":  # a COMPAS-shaped table: lower-case names, IDs, case numbers, coded columns
        from analysis.pii.compas_like import compas_like

        frame, truth = compas_like(rows, seed=seed)
        return EvalSet(frame=frame, columns={c: ColumnTruth(e, k) for c, (e, k) in truth.items()})
    if variant not in ("known", "unseen"):
        raise ValueError(f"variant must be 'known', 'unseen' or 'real', got {variant!r}")
    if rows < 10:
        raise ValueError(f"rows must be at least 10, got {rows}")
    rng = np.random.default_rng(seed)
    locales = ["en_US"] if variant == "known" else ["en_GB", "de_DE", "fr_FR"]
    fakers = [Faker(loc) for loc in locales]
    for i, f in enumerate(fakers):
        f.seed_instance(seed + i)
    de = Faker("de_DE")
    de.seed_instance(seed)
    mix = np.random.default_rng(seed + 1000)
    mix_fake = Faker(locales[0])
    mix_fake.seed_instance(seed + 1000)
    cols: dict[str, list] = {}
    truth: dict[str, ColumnTruth] = {}

    def column(name: str, entity: Optional[str], kind: str, make) -> None:
        cols[name] = [make(i) for i in range(rows)]
        truth[name] = ColumnTruth(entity, kind)

    def fk():
        return fakers[int(rng.integers(len(fakers)))]

    if variant == "known":
        column("full_name", "PERSON", "direct_identifier",
               lambda i: _case(f"{fakers[0].first_name()} {fakers[0].last_name()}", rng, 0.15))
        column("email", "EMAIL_ADDRESS", "direct_identifier", lambda i: fakers[0].email())
        column("phone", "PHONE_NUMBER", "direct_identifier", lambda i: _us_phone(rng))
        column("ssn", "US_SSN", "direct_identifier", lambda i: _ssn(rng))
        column("credit_card", "CREDIT_CARD", "direct_identifier", lambda i: _card(rng))
        column("iban", "IBAN_CODE", "direct_identifier", lambda i: fakers[0].iban())
        column("ip_address", "IP_ADDRESS", "direct_identifier", lambda i: _ip(rng, 0.1))
        column("birth_date", "DATE_TIME", "direct_identifier",
               lambda i: fakers[0].date_of_birth(minimum_age=18, maximum_age=90).isoformat())
        column("street_address", "LOCATION", "direct_identifier", lambda i: fakers[0].street_address())
        column("zip_code", "ZIP_CODE", "quasi_identifier", lambda i: fakers[0].zipcode())
        column("age", "AGE", "quasi_identifier", lambda i: int(rng.integers(18, 90)))
        column("gender", "GENDER", "quasi_identifier", lambda i: ["Male", "Female", "Non-binary"][int(rng.choice(3, p=[.48, .48, .04]))])
        column("city", "LOCATION", "quasi_identifier", lambda i: WORLD_CITIES[int(rng.integers(len(WORLD_CITIES)))])
        column("diagnosis", "HEALTH", "sensitive", lambda i: CONDITIONS[int(rng.integers(len(CONDITIONS)))] if rng.random() < 0.7 else "none")
        # decoys
        column("order_number", None, "other", lambda i: f"A-2023-{100000 + i * 3:06d}")
        column("invoice_total", None, "other", lambda i: round(float(rng.lognormal(3.5, 0.9)), 2))
        column("product_code", None, "other", lambda i: f"SKU-{int(rng.integers(0, 99)):02d}-{int(rng.integers(0, 9999)):04d}")
        column("quantity", None, "other", lambda i: int(rng.integers(1, 20)))
        column("stars", None, "other", lambda i: int(rng.integers(1, 6)))
        column("tracking_number", None, "other", lambda i: "".join(str(d) for d in rng.integers(0, 10, size=16)))
        column("product", None, "other", lambda i: PRODUCTS[int(rng.integers(len(PRODUCTS)))])
        column("status", None, "other", lambda i: STATUS[int(rng.integers(len(STATUS)))])
        column("reference", None, "other", lambda i: str(int(rng.integers(10**9, 10**10))))
        # mixed columns (own random streams, so the columns above and the text stay as they were)
        column("contact", "EMAIL_ADDRESS|PHONE_NUMBER", "direct_identifier",
               lambda i: _pick(mix, [(0.45, lambda: mix_fake.email()), (0.45, lambda: _us_phone(mix)),
                                     (0.10, lambda: _pick(mix, [(0.5, lambda: "none given"),
                                                                (0.5, lambda: "n/a")]))]))
        column("identifier", "CREDIT_CARD|US_SSN", "direct_identifier",
               lambda i: _pick(mix, [(0.5, lambda: _ssn(mix)), (0.5, lambda: _card(mix))]))
        column("order_ref", None, "other",  # a decoy mixing order numbers, SKUs and amounts
               lambda i: _pick(mix, [(0.4, lambda: f"A-2023-{int(mix.integers(0, 999999)):06d}"),
                                     (0.3, lambda: f"SKU-{int(mix.integers(0, 99)):02d}-"
                                                   f"{int(mix.integers(0, 9999)):04d}"),
                                     (0.3, lambda: f"{mix.lognormal(3.5, 0.9):.2f}")]))
        text_name = "notes"
    else:
        column("contact_person", "PERSON", "direct_identifier", lambda i: (lambda f: _case(f"{f.first_name()} {f.last_name()}", rng, 0.2))(fk()))
        column("reach_via", "EMAIL_ADDRESS", "direct_identifier",
               lambda i: (lambda e: e.upper() if rng.random() < 0.2 else e)(fk().email()))
        column("landline", "PHONE_NUMBER", "direct_identifier", lambda i: _intl_phone(rng))
        column("taxpayer_ref", "US_SSN", "direct_identifier", lambda i: _ssn(rng, " "))
        column("payment_token", "CREDIT_CARD", "direct_identifier", lambda i: _card(rng, "-"))
        column("acct", "IBAN_CODE", "direct_identifier",
               lambda i: " ".join((lambda s: [s[j:j + 4] for j in range(0, len(s), 4)])(fk().iban())))
        column("host", "IP_ADDRESS", "direct_identifier", lambda i: _ip(rng, 0.5))
        column("registered_on", "DATE_TIME", "quasi_identifier",
               lambda i: (dt.date(2015, 1, 1) + dt.timedelta(days=int(rng.integers(0, 3000)))).strftime(
                   ["%d %b %Y", "%m/%d/%Y", "%B %d, %Y"][int(rng.integers(0, 3))]))
        column("lives_at", "LOCATION", "direct_identifier",
               lambda i: f"{int(rng.integers(1, 300))} {fakers[0].street_name()}")
        column("post_area", "ZIP_CODE", "quasi_identifier", lambda i: fakers[0].postcode())
        column("person_age", "AGE", "quasi_identifier", lambda i: str(int(rng.integers(18, 95))))
        column("gender_identity", "GENDER", "quasi_identifier",
               lambda i: ["woman", "man", "non-binary"][int(rng.choice(3, p=[.48, .48, .04]))])
        column("hometown", "LOCATION", "quasi_identifier",
               lambda i: de.city() if rng.random() < 0.6 else WORLD_CITIES[int(rng.integers(len(WORLD_CITIES)))])
        column("clinical_flag", "HEALTH", "sensitive",
               lambda i: CONDITIONS[int(rng.integers(len(CONDITIONS)))] if rng.random() < 0.75 else "none")
        # decoys
        column("ticket", None, "other", lambda i: f"TCK-{i:06d}-{'XYZ'[i % 3]}")
        column("total_eur", None, "other", lambda i: f"{rng.lognormal(4, 1):,.2f}".replace(",", " ").replace(".", ","))
        column("ean", None, "other", lambda i: "40" + "".join(str(d) for d in rng.integers(0, 10, size=11)))
        column("pieces", None, "other", lambda i: int(rng.integers(1, 50)))
        column("score_pct", None, "other", lambda i: f"{int(rng.integers(0, 101))}%")
        column("serial_no", None, "other", lambda i: str(int(rng.integers(10**8, 10**9))))
        column("colour", None, "other", lambda i: COLOURS[int(rng.integers(len(COLOURS)))])
        column("firmware", None, "other", lambda i: f"{int(rng.integers(1, 5))}.{int(rng.integers(0, 20))}.{int(rng.integers(0, 9))}")
        column("cell_model", None, "other", lambda i: ["Pixel 7", "Galaxy S22", "iPhone 14", "Moto G"][int(rng.integers(4))])
        # mixed columns (own random streams, so the columns above and the text stay as they were)
        column("reach me at", "EMAIL_ADDRESS|LOCATION|PHONE_NUMBER", "direct_identifier",
               lambda i: _pick(mix, [(0.35, lambda: mix_fake.email()), (0.35, lambda: _intl_phone(mix)),
                                     (0.3, lambda: f"{int(mix.integers(1, 300))} {mix_fake.street_name()}")]))
        column("identifier", "CREDIT_CARD|IBAN_CODE|US_SSN", "direct_identifier",
               lambda i: _pick(mix, [(0.35, lambda: " ".join((lambda t: [t[j:j + 4] for j in range(0, len(t), 4)])(
                   mix_fake.iban()))), (0.35, lambda: _card(mix, "-")), (0.3, lambda: _ssn(mix, " "))]))
        column("ref", None, "other",  # a decoy mixing ticket numbers, EAN barcodes and amounts
               lambda i: _pick(mix, [(0.4, lambda: f"TCK-{int(mix.integers(0, 999999)):06d}-{'XYZ'[i % 3]}"),
                                     (0.3, lambda: "40" + "".join(str(d) for d in mix.integers(0, 10, size=11))),
                                     (0.3, lambda: f"{mix.lognormal(4, 1):,.2f}".replace(",", " ")
                                      .replace(".", ","))]))
        text_name = "comment"
    texts = [_note(fakers, rng, variant) for _ in range(rows)]
    cols[text_name] = [t.text() for t in texts]
    truth[text_name] = ColumnTruth(None, "free_text")
    spans = [(row, entity, start, end, text_name) for row, t in enumerate(texts) for entity, start, end in t.spans]
    return EvalSet(frame=pd.DataFrame(cols), columns=truth, spans=spans, text_columns=[text_name])
