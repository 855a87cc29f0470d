"""A seeded table shaped like ProPublica's COMPAS release (compas-scores-two-years.csv): 53 columns, one
row per person, lower-case names, case numbers like '13011352CF10A', charge degrees coded F / M,
timestamps, sparse recidivism columns and coded scores.

There is no network at run time, so the real file cannot be fetched; this generator reproduces its
shapes (column names, value formats, missing patterns, rough distributions) so that the scan, the
plan and the report are tried on a table that looks like the one users upload, not only on the
synthetic evaluation sets. Names come from Faker (en_US mostly, es_MX for a fifth, so not every name is
in the en_US lexicons the scan reads). `compas_like(rows, seed)` returns the table and the truth per
column ({column: (entity type, kind)}); `make_eval_set(variant="real")` wraps them in an `EvalSet`.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

import numpy as np
import pandas as pd


RACES = (["African-American", "Caucasian", "Hispanic", "Other", "Asian", "Native American"],
         [0.51, 0.34, 0.088, 0.053, 0.0044, 0.0025])
CHARGES = ["Battery", "arrest case no charge", "Possession of Cocaine", "Grand Theft in the 3rd Degree",
           "Driving While License Revoked", "Driving Under the Influence", "Petit Theft",
           "Possession of Cannabis/Marijuana", "Aggravated Assault w/Deadly Weapon", "Burglary Unoccupied Dwelling",
           "Resist/Obstruct W/O Violence", "Susp Drivers Lic 1st Offense", "Felony Driving While Lic Suspd",
           "Possess Cannabis/20 Grams Or Less", "Crim Mischief Damage <$200", "Tampering With Physical Evidence",
           "Poss3,4 Methylenedioxymethcath", "Burglary Conveyance Unoccup", "Viol Injunct Domestic Violence",
           "Felony Petit Theft", "Aggrav Battery w/Deadly Weapon", "Robbery / No Weapon", "Trespass Structure/Conveyance",
           "Possession Of Alprazolam", "Uttering a Forged Instrument", "Deliver Cocaine", "Fleeing or Eluding a LEO"]
VIOLENT = ["Battery", "Aggravated Assault W/dead Weap", "Robbery / No Weapon", "Aggrav Battery w/Deadly Weapon",
           "Assault", "Battery on Law Enforc Officer", "Felony Battery (Dom Strang)"]
COUNTS_P = [0.9, 0.06, 0.02, 0.01, 0.005, 0.005]  # juvenile counts: mostly 0, a thin tail


def _case_number(rng, year: int, court: str) -> str:
    return f"{year % 100:02d}{int(rng.integers(0, 10**6)):06d}{court}10A"


def _stamp(day: dt.date, rng) -> str:
    seconds = int(rng.integers(0, 86400))
    return f"{day.isoformat()} {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _truth() -> dict[str, tuple[Optional[str], str]]:
    direct, quasi, sens, other = "direct_identifier", "quasi_identifier", "sensitive", "other"
    t = {"id": ("RECORD_ID", direct), "name": ("PERSON", direct), "first": ("PERSON", direct),
         "last": ("PERSON", direct), "compas_screening_date": ("DATE_TIME", quasi), "sex": ("GENDER", quasi),
         "dob": ("DATE_TIME", direct), "age": ("AGE", quasi), "age_cat": ("AGE", quasi), "race": ("NRP", quasi),
         "c_jail_in": ("DATE_TIME", quasi), "c_jail_out": ("DATE_TIME", quasi),
         "c_case_number": ("RECORD_ID", direct), "c_offense_date": ("DATE_TIME", quasi),
         "c_arrest_date": ("DATE_TIME", quasi), "c_charge_degree": ("CRIMINAL_OFFENCE", sens),
         "c_charge_desc": ("CRIMINAL_OFFENCE", sens), "r_case_number": ("RECORD_ID", direct),
         "r_charge_degree": ("CRIMINAL_OFFENCE", sens), "r_offense_date": ("DATE_TIME", quasi),
         "r_charge_desc": ("CRIMINAL_OFFENCE", sens), "r_jail_in": ("DATE_TIME", quasi),
         "r_jail_out": ("DATE_TIME", quasi), "vr_case_number": ("RECORD_ID", direct),
         "vr_charge_degree": ("CRIMINAL_OFFENCE", sens), "vr_offense_date": ("DATE_TIME", quasi),
         "vr_charge_desc": ("CRIMINAL_OFFENCE", sens), "screening_date": ("DATE_TIME", quasi),
         "v_screening_date": ("DATE_TIME", quasi), "in_custody": ("DATE_TIME", quasi),
         "out_custody": ("DATE_TIME", quasi)}
    return {c: t.get(c, (None, other)) for c in COLUMNS}


COLUMNS = ["id", "name", "first", "last", "compas_screening_date", "sex", "dob", "age", "age_cat", "race",
           "juv_fel_count", "decile_score", "juv_misd_count", "juv_other_count", "priors_count",
           "days_b_screening_arrest", "c_jail_in", "c_jail_out", "c_case_number", "c_offense_date", "c_arrest_date",
           "c_days_from_compas", "c_charge_degree", "c_charge_desc", "is_recid", "r_case_number", "r_charge_degree",
           "r_days_from_arrest", "r_offense_date", "r_charge_desc", "r_jail_in", "r_jail_out", "violent_recid",
           "is_violent_recid", "vr_case_number", "vr_charge_degree", "vr_offense_date", "vr_charge_desc",
           "type_of_assessment", "decile_score.1", "score_text", "screening_date", "v_type_of_assessment",
           "v_decile_score", "v_score_text", "v_screening_date", "in_custody", "out_custody", "priors_count.1",
           "start", "end", "event", "two_year_recid"]


def compas_like(rows: int = 1000, *, seed: int = 7) -> tuple[pd.DataFrame, dict[str, tuple[Optional[str], str]]]:
    """A COMPAS-shaped table of `rows` people and its column truth (see the module docstring)."""
    from faker import Faker

    if rows < 10:
        raise ValueError(f"rows must be at least 10, got {rows}")
    rng = np.random.default_rng(seed)
    en, es = Faker("en_US"), Faker("es_MX")
    en.seed_instance(seed)
    es.seed_instance(seed + 1)
    records: list[dict] = []
    ids = rng.permutation(np.arange(1, int(rows * 1.5) + 1))[:rows]
    for i in range(rows):
        fk = es if rng.random() < 0.2 else en
        first, last = fk.first_name().lower(), fk.last_name().lower()
        screening = dt.date(2013, 1, 1) + dt.timedelta(days=int(rng.integers(0, 730)))
        age = int(np.clip(rng.gamma(3.0, 8.0) + 18, 18, 96))
        dob = screening - dt.timedelta(days=365 * age + int(rng.integers(0, 365)))
        sex = "Male" if rng.random() < 0.81 else "Female"
        juv = [int(rng.choice(6, p=COUNTS_P)) for _ in range(3)]
        priors = int(min(38, rng.geometric(0.25) - 1))
        decile = int(rng.integers(1, 11))
        v_decile = int(np.clip(decile + rng.integers(-3, 4), 1, 10))
        offense = screening - dt.timedelta(days=int(rng.integers(0, 30)))
        jail_in = offense + dt.timedelta(days=int(rng.integers(0, 2)))
        jail_out = jail_in + dt.timedelta(days=int(rng.integers(0, 20)))
        degree = "F" if rng.random() < 0.64 else "M"
        recid = int(rng.random() < 0.45)
        violent = int(recid and rng.random() < 0.25)
        r_day: Optional[dt.date] = screening + dt.timedelta(days=int(rng.integers(10, 900))) if recid else None
        two_year = int(recid and r_day is not None and (r_day - screening).days <= 730)
        r_degree = f"({rng.choice(['F', 'M'])}{int(rng.integers(1, 4))})" if recid else None
        end = (r_day - screening).days if r_day else int(rng.integers(200, 1200))
        records.append({
            "id": int(ids[i]), "name": f"{first} {last}", "first": first, "last": last,
            "compas_screening_date": screening.isoformat(), "sex": sex, "dob": dob.isoformat(), "age": age,
            "age_cat": "Less than 25" if age < 25 else ("25 - 45" if age <= 45 else "Greater than 45"),
            "race": str(rng.choice(RACES[0], p=np.array(RACES[1]) / sum(RACES[1]))),
            "juv_fel_count": juv[0], "decile_score": decile, "juv_misd_count": juv[1], "juv_other_count": juv[2],
            "priors_count": priors, "days_b_screening_arrest": int(rng.integers(-30, 2)) if rng.random() < 0.96 else None,
            "c_jail_in": _stamp(jail_in, rng) if rng.random() < 0.95 else None,
            "c_jail_out": _stamp(jail_out, rng) if rng.random() < 0.95 else None,
            "c_case_number": _case_number(rng, offense.year, "CF" if degree == "F" else "MM"),
            "c_offense_date": offense.isoformat() if rng.random() < 0.85 else None,
            "c_arrest_date": offense.isoformat() if rng.random() < 0.15 else None,
            "c_days_from_compas": (screening - offense).days, "c_charge_degree": degree,
            "c_charge_desc": str(rng.choice(CHARGES)), "is_recid": recid,
            "r_case_number": _case_number(rng, r_day.year, "CF" if r_degree[1] == "F" else "MM") if r_day else None,
            "r_charge_degree": r_degree, "r_days_from_arrest": int(rng.integers(-1, 30)) if r_day else None,
            "r_offense_date": r_day.isoformat() if r_day else None,
            "r_charge_desc": str(rng.choice(CHARGES)) if r_day else None,
            "r_jail_in": r_day.isoformat() if r_day and rng.random() < 0.7 else None,
            "r_jail_out": (r_day + dt.timedelta(days=int(rng.integers(0, 30)))).isoformat()
            if r_day and rng.random() < 0.7 else None,
            "violent_recid": None, "is_violent_recid": violent,
            "vr_case_number": _case_number(rng, r_day.year, "CF") if violent and r_day else None,
            "vr_charge_degree": f"(F{int(rng.integers(1, 4))})" if violent else None,
            "vr_offense_date": r_day.isoformat() if violent and r_day else None,
            "vr_charge_desc": str(rng.choice(VIOLENT)) if violent else None,
            "type_of_assessment": "Risk of Recidivism", "decile_score.1": decile,
            "score_text": "Low" if decile <= 4 else ("Medium" if decile <= 7 else "High"),
            "screening_date": screening.isoformat(), "v_type_of_assessment": "Risk of Violence",
            "v_decile_score": v_decile, "v_score_text": "Low" if v_decile <= 4 else ("Medium" if v_decile <= 7 else "High"),
            "v_screening_date": screening.isoformat(),
            "in_custody": jail_in.isoformat() if rng.random() < 0.97 else None,
            "out_custody": jail_out.isoformat() if rng.random() < 0.97 else None,
            "priors_count.1": priors, "start": int(rng.integers(0, 10)), "end": max(1, end), "event": two_year,
            "two_year_recid": two_year})
    frame = pd.DataFrame.from_records(records, columns=COLUMNS)
    for column in ("days_b_screening_arrest", "r_days_from_arrest"):
        frame[column] = frame[column].astype("Float64").astype(float)
    frame["violent_recid"] = frame["violent_recid"].astype(float)
    return frame, _truth()
