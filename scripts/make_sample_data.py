"""Generate sample_data/customers.csv: a synthetic customer table with known personal data.

Seeded (Faker and numpy, seed 42), so the file is the same on every run with the pinned Faker.
Columns:
  direct identifiers   customer_name, email, phone, ssn, card_number, address, date_of_birth, ip_address
  quasi-identifiers    zip, age, sex, city, state
  sensitive attribute  health_condition
  free text            notes (about a third of rows mention a name, phone, email or card)
  decoys (not PII)     order_id, amount, sku, items, rating
  target               churned (0/1), which depends on age, tenure, plan, amount and rating
  consent              consent_training (yes / no / withdrawn / blank), consent_marketing (opt-in / opt-out),
                       consent_training_withdrawn_at (the date of each withdrawal, 2024)
The consent columns come last and from their own generator (seed 43), so the other columns stay exactly
as they were before consent was added. Faker's date_of_birth counts back from today, so a full run on
another day shifts birth dates; `--consent-only` rewrites only the consent columns of the existing file
and leaves every other byte as it is.

Run: python scripts/make_sample_data.py --consent-only

Run: python scripts/make_sample_data.py [--rows 5000] [--out sample_data/customers.csv]
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from faker import Faker

SEED = 42
REFERENCE_DATE = dt.date(2024, 1, 1)  # ages are computed against a fixed date so output is stable
CONSENT_SEED = SEED + 1
# consent_training: consented, refused, withdrawn (with a date in 2024), blank (unknown)
CONSENT_SHARES = {"yes": 0.85, "no": 0.05, "withdrawn": 0.06, "": 0.04}
CONDITIONS = ["none", "asthma", "diabetes", "hypertension", "depression", "migraine", "arthritis", "hiv"]
CONDITION_WEIGHTS = [0.45, 0.1, 0.1, 0.12, 0.08, 0.07, 0.06, 0.02]
PLANS = ["basic", "standard", "premium"]
PLAIN_NOTES = [
    "Customer asked about the delivery window for the next order.",
    "Requested a refund for a damaged item; refund approved.",
    "Prefers contact in the evening. No further action needed.",
    "Upgraded plan after the trial period ended.",
    "Complained about late delivery, offered a discount code.",
    "Asked how to change the billing cycle to monthly.",
    "Satisfied with support, closed the ticket.",
    "Reported a problem with the mobile app login.",
    "Wants to pause the subscription during the summer.",
    "Confirmed the shipping address is correct.",
]


def make_customers(rows: int, seed: int = SEED) -> pd.DataFrame:
    fake = Faker("en_US")
    Faker.seed(seed)
    rng = np.random.default_rng(seed)

    records = []
    for i in range(rows):
        sex = "F" if rng.random() < 0.5 else "M"
        first = fake.first_name_female() if sex == "F" else fake.first_name_male()
        last = fake.last_name()
        dob = fake.date_of_birth(minimum_age=18, maximum_age=85)
        age = REFERENCE_DATE.year - dob.year - ((REFERENCE_DATE.month, REFERENCE_DATE.day) < (dob.month, dob.day))
        zip_code = fake.zipcode()
        city, state = fake.city(), fake.state_abbr()
        plan = PLANS[int(rng.choice(3, p=[0.5, 0.3, 0.2]))]
        tenure = int(rng.integers(1, 120))
        amount = round(float(rng.lognormal(3.5, 0.8)), 2)
        rating = int(rng.integers(1, 6))
        records.append({
            "customer_name": f"{first} {last}",
            "email": f"{first}.{last}{rng.integers(1, 99)}@{fake.free_email_domain()}".lower(),
            "phone": _phone(rng),
            "ssn": fake.ssn(),
            "card_number": fake.credit_card_number(card_type="visa16"),
            "address": f"{fake.street_address()}, {city}, {state} {zip_code}",
            "date_of_birth": dob.isoformat(),
            "ip_address": fake.ipv4_public(),
            "zip": zip_code,
            "age": age,
            "sex": sex,
            "city": city,
            "state": state,
            "health_condition": CONDITIONS[int(rng.choice(len(CONDITIONS), p=CONDITION_WEIGHTS))],
            "plan": plan,
            "tenure_months": tenure,
            "order_id": f"ORD-{1000000 + i * 7 + int(rng.integers(0, 7))}",
            "amount": amount,
            "sku": f"SKU-{fake.bothify('??-####').upper()}",
            "items": int(rng.integers(1, 9)),
            "rating": rating,
            "notes": _note(fake, rng, first, last),
        })
    frame = pd.DataFrame.from_records(records)
    frame["churned"] = _churn(frame, rng)
    return frame.assign(**consent_columns(len(frame)))


CONSENT_COLUMNS = ("consent_training", "consent_marketing", "consent_training_withdrawn_at")


def consent_columns(rows: int, seed: int = CONSENT_SEED) -> dict[str, list[str]]:
    """Consent per purpose, with withdrawal dates spread over 2024 (docs/consent.md)."""
    rng = np.random.default_rng(seed)
    training = rng.choice(list(CONSENT_SHARES), size=rows, p=list(CONSENT_SHARES.values()))
    days = rng.integers(0, 366, size=rows)
    withdrawn_at = [(dt.date(2024, 1, 1) + dt.timedelta(days=int(d))).isoformat() if t == "withdrawn" else ""
                    for t, d in zip(training, days)]
    marketing = np.where(rng.random(rows) < 0.55, "opt-in", "opt-out")
    return {"consent_training": [str(t) for t in training], "consent_marketing": [str(m) for m in marketing],
            "consent_training_withdrawn_at": withdrawn_at}


def rewrite_consent(path: Path) -> int:
    """(Re)write the consent columns at the end of an existing customers.csv, line by line, so every other
    byte stays as it is. Returns the number of rows."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    if header[-len(CONSENT_COLUMNS):] == list(CONSENT_COLUMNS):
        lines = [line.rsplit(",", len(CONSENT_COLUMNS))[0] for line in lines]
    rows = len(lines) - 1
    if len(pd.read_csv(path, usecols=[0])) != rows:
        raise SystemExit(f"{path}: a cell spans lines; run without --consent-only")
    consent = consent_columns(rows)
    out = [lines[0] + "," + ",".join(CONSENT_COLUMNS)]
    out += [line + "," + ",".join(consent[c][i] for c in CONSENT_COLUMNS) for i, line in enumerate(lines[1:])]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return rows


def _note(fake: Faker, rng: np.random.Generator, first: str, last: str) -> str:
    base = PLAIN_NOTES[int(rng.integers(len(PLAIN_NOTES)))]
    roll = rng.random()
    if roll < 0.12:
        return f"{first} {last} called: {base[0].lower()}{base[1:]}"
    if roll < 0.20:
        return f"{base} Call back on {_phone(rng)}."
    if roll < 0.28:
        return f"{base} Send the receipt to {fake.email()}."
    if roll < 0.32:
        return f"{base} Card on file {fake.credit_card_number(card_type='visa16')} was declined."
    return base


def _phone(rng: np.random.Generator) -> str:
    # A valid North American number: area code and exchange start with 2-9.
    area, exchange, line = rng.integers(200, 1000), rng.integers(200, 1000), rng.integers(0, 10000)
    return f"({area}) {exchange}-{line:04d}"


def _churn(frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    # A logistic model with real signal, so trained models learn something and overfit visibly.
    plan_effect = frame["plan"].map({"basic": 0.6, "standard": 0.0, "premium": -0.7}).to_numpy()
    logit = (-0.4 + plan_effect - 0.02 * (frame["tenure_months"].to_numpy() - 60)
             + 0.03 * (frame["age"].to_numpy() - 45) * (frame["age"].to_numpy() < 30)
             - 0.45 * (frame["rating"].to_numpy() - 3) + 0.004 * (frame["amount"].to_numpy() - 40))
    prob = 1.0 / (1.0 + np.exp(-logit))
    return (rng.random(len(frame)) < prob).astype(int)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "sample_data" / "customers.csv"))
    parser.add_argument("--consent-only", action="store_true",
                        help="only (re)write the consent columns of the existing file")
    args = parser.parse_args()
    if args.consent_only:
        rows = rewrite_consent(Path(args.out))
        print(f"wrote the consent columns of {rows} rows to {args.out}")
        return
    frame = make_customers(args.rows)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    print(f"wrote {len(frame)} rows x {frame.shape[1]} columns to {args.out}; churn rate {frame['churned'].mean():.2f}")


if __name__ == "__main__":
    main()
