"""Word lists and column-name hints: what a column's name suggests, and value vocabularies for the
quasi-identifier and sensitive types that no pattern can find (sex, marital status, race, health).

Column names are split into lower-case tokens (snake_case, kebab-case, camelCase, spaces), so
`dateOfBirth`, `date_of_birth` and `Date of birth` give the same hint.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

# Hint -> the entity it suggests. Keys are token sequences joined by a space; a hint matches when its
# tokens appear consecutively in the column name's tokens (or the joined name equals the key without spaces).
NAME_HINTS: dict[str, str] = {
    # direct identifiers
    "email": "EMAIL_ADDRESS", "e mail": "EMAIL_ADDRESS", "mail": "EMAIL_ADDRESS", "emailaddress": "EMAIL_ADDRESS",
    "phone": "PHONE_NUMBER", "telephone": "PHONE_NUMBER", "tel": "PHONE_NUMBER", "mobile": "PHONE_NUMBER",
    "cell": "PHONE_NUMBER", "fax": "PHONE_NUMBER", "msisdn": "PHONE_NUMBER", "phonenumber": "PHONE_NUMBER",
    "ssn": "US_SSN", "social security": "US_SSN", "socialsecurity": "US_SSN",
    "nino": "UK_NINO", "national insurance": "UK_NINO",
    "card": "CREDIT_CARD", "cc": "CREDIT_CARD", "creditcard": "CREDIT_CARD", "ccnum": "CREDIT_CARD",
    "card number": "CREDIT_CARD", "pan": "CREDIT_CARD",
    "iban": "IBAN_CODE", "bank account": "IBAN_CODE",
    "ip": "IP_ADDRESS", "ipaddress": "IP_ADDRESS", "ipv4": "IP_ADDRESS", "ipv6": "IP_ADDRESS",
    "url": "URL", "website": "URL", "homepage": "URL",
    "name": "PERSON", "fullname": "PERSON", "firstname": "PERSON", "lastname": "PERSON", "surname": "PERSON",
    "forename": "PERSON", "first name": "PERSON", "last name": "PERSON", "given name": "PERSON",
    "family name": "PERSON", "patient": "PERSON", "customer name": "PERSON",
    "address": "LOCATION", "street": "LOCATION", "addr": "LOCATION",
    "dob": "DATE_TIME", "birth": "DATE_TIME", "birthdate": "DATE_TIME", "birthday": "DATE_TIME",
    "born": "DATE_TIME", "dateofbirth": "DATE_TIME",
    # quasi-identifiers
    "zip": "ZIP_CODE", "zipcode": "ZIP_CODE", "postcode": "ZIP_CODE", "postal": "ZIP_CODE", "plz": "ZIP_CODE",
    "age": "AGE", "aged": "AGE",
    "sex": "GENDER", "gender": "GENDER",
    "city": "LOCATION", "town": "LOCATION", "country": "LOCATION", "state": "LOCATION", "province": "LOCATION",
    "county": "LOCATION", "region": "LOCATION", "location": "LOCATION", "residence": "LOCATION",
    "marital": "MARITAL_STATUS", "maritalstatus": "MARITAL_STATUS",
    "race": "NRP", "ethnicity": "NRP", "ethnic": "NRP", "nationality": "NRP", "citizenship": "NRP",
    "occupation": "OCCUPATION", "job": "OCCUPATION", "profession": "OCCUPATION", "job title": "OCCUPATION",
    "education": "EDUCATION", "degree": "EDUCATION",
    # sensitive attributes
    "health": "HEALTH", "diagnosis": "HEALTH", "condition": "HEALTH", "disease": "HEALTH",
    "medical": "HEALTH", "illness": "HEALTH", "medication": "HEALTH", "disability": "HEALTH",
    "income": "INCOME", "salary": "INCOME", "wage": "INCOME", "wages": "INCOME", "earnings": "INCOME",
    "religion": "RELIGION", "faith": "RELIGION",
}
# Other column-name hints that set a kind without an entity type.
KIND_HINTS: dict[str, str] = {
    "workclass": "quasi_identifier", "employer": "quasi_identifier", "relationship": "quasi_identifier",
    "language": "quasi_identifier", "native": "quasi_identifier",
    "sexual": "sensitive", "orientation": "sensitive", "political": "sensitive", "union": "sensitive",
    "criminal": "sensitive", "conviction": "sensitive", "pregnancy": "sensitive", "genetic": "sensitive",
    "biometric": "sensitive",
}
# Tokens that cancel a PERSON hint from "name" (product_name, file_name, ...).
NOT_PERSON_NAME = {"product", "company", "item", "plan", "file", "host", "domain", "brand", "store",
                   "shop", "org", "organisation", "organization", "business", "app", "device", "model",
                   "category", "project", "team", "street", "city", "country", "state", "sku", "table",
                   "column", "field", "user", "username", "account", "display", "screen", "event", "campaign",
                   "merchant", "vendor", "supplier", "bank", "server", "machine", "page", "site", "course"}
# Tokens that cancel a PHONE/CREDIT_CARD/... hint ("cell_type", "card_count").
NOT_IDENTIFIER = {"count", "type", "kind", "status", "flag", "id_type", "verified", "valid", "opt", "optin",
                  "consent", "ok", "has", "is", "n", "num_of", "number_of", "length", "len", "score", "rating"}
DIRECT_HINTS = {"EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "UK_NINO", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS",
                "URL", "PERSON"}
# Tokens that make a DATE_TIME column a birth date (a direct identifier) rather than an event date.
BIRTH_TOKENS = {"dob", "birth", "birthdate", "birthday", "born", "dateofbirth"}

_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def name_tokens(column: str) -> list[str]:
    """Lower-case tokens of a column name: 'dateOfBirth' -> ['date', 'of', 'birth']."""
    spaced = _CAMEL_RE.sub(" ", str(column))
    return [t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t]


def name_hint(column: str) -> Optional[str]:
    """The entity type the column's name suggests, or None."""
    tokens = name_tokens(column)
    if not tokens:
        return None
    joined = "".join(tokens)
    found: Optional[str] = None
    best = 0
    for key, entity in NAME_HINTS.items():
        parts = key.split(" ")
        if joined == key.replace(" ", ""):
            hit = 99
        elif any(tokens[i:i + len(parts)] == parts for i in range(len(tokens) - len(parts) + 1)):
            hit = len(parts) + (1 if entity != "PERSON" else 0)
        else:
            continue
        if hit > best:
            best, found = hit, entity
    if found in DIRECT_HINTS and set(tokens) & NOT_IDENTIFIER:
        return None
    if found == "PERSON" and set(tokens) & NOT_PERSON_NAME:
        return None
    if found == "LOCATION" and "ip" in tokens:
        return "IP_ADDRESS"
    if found == "EMAIL_ADDRESS" and "mail" in tokens and ("e" not in tokens and "email" not in tokens):
        # "mail" alone is weak (mail_sent, mailing_list): keep only when nothing contradicts it
        return found if len(tokens) <= 2 else None
    return found


def kind_hint(column: str) -> Optional[str]:
    tokens = set(name_tokens(column))
    for key, kind in KIND_HINTS.items():
        if key in tokens:
            return kind
    return None


def is_birth_name(column: str) -> bool:
    tokens = name_tokens(column)
    return bool(set(tokens) & BIRTH_TOKENS) or "dateofbirth" in "".join(tokens)


def is_street_name(column: str) -> bool:
    tokens = set(name_tokens(column))
    return bool(tokens & {"address", "street", "addr"}) and not tokens & {"ip", "email", "mac", "web"}


# ---------------------------------------------------------------------------------------------
# Value vocabularies (lower-case, compared after stripping)

GENDER_VALUES = {"m", "f", "male", "female", "man", "woman", "men", "women", "non-binary", "nonbinary",
                 "x", "u", "unknown", "other", "diverse", "trans", "transgender", "boy", "girl", "mr", "mrs", "ms"}
MARITAL_VALUES = {"married", "single", "divorced", "widowed", "separated", "never-married", "never married",
                  "married-civ-spouse", "married-spouse-absent", "married-af-spouse", "civil partnership",
                  "domestic partner", "partnered", "engaged", "widow", "widower", "unmarried"}
RACE_VALUES = {"white", "black", "asian", "asian-pac-islander", "amer-indian-eskimo", "hispanic", "latino",
               "latina", "latinx", "caucasian", "african american", "african-american", "native american",
               "pacific islander", "mixed", "multiracial", "arab", "middle eastern", "indigenous",
               "aboriginal", "south asian", "east asian", "black or african american", "other"}
HEALTH_VALUES = {
    "asthma", "diabetes", "hypertension", "depression", "migraine", "arthritis", "hiv", "aids", "cancer",
    "copd", "epilepsy", "anxiety", "bipolar", "schizophrenia", "obesity", "stroke", "dementia",
    "alzheimer's", "alzheimers", "parkinson's", "parkinsons", "hepatitis", "tuberculosis", "eczema",
    "psoriasis", "allergy", "allergies", "adhd", "autism", "ptsd", "heart disease", "kidney disease",
    "covid-19", "covid", "influenza", "pneumonia", "anemia", "thyroid", "hypothyroidism", "hyperthyroidism",
    "osteoporosis", "multiple sclerosis", "crohn's disease", "celiac", "lupus", "leukemia", "lymphoma",
    "melanoma", "insomnia", "glaucoma", "cataract", "scoliosis", "gout", "sleep apnea", "high cholesterol",
    "cholesterol", "type 1 diabetes", "type 2 diabetes", "pregnant", "pregnancy", "bronchitis",
    "fibromyalgia", "chronic pain", "back pain", "heart failure", "atrial fibrillation", "hiv positive",
    "diabetic", "hypertensive", "asthmatic", "depressive disorder", "eating disorder", "anorexia",
    "bulimia", "substance abuse", "alcoholism", "addiction", "sickle cell", "cystic fibrosis",
}
HEALTH_NEUTRAL = {"none", "no", "n/a", "na", "healthy", "unknown", "-", "nil", "no condition", "normal"}
RELIGION_VALUES = {"christian", "christianity", "catholic", "protestant", "muslim", "islam", "jewish",
                   "judaism", "hindu", "hinduism", "buddhist", "buddhism", "sikh", "atheist", "agnostic",
                   "orthodox", "mormon", "none", "other", "baptist", "lutheran", "methodist", "anglican"}
EDUCATION_VALUES = {"bachelors", "masters", "doctorate", "hs-grad", "some-college", "assoc-acdm", "assoc-voc",
                    "prof-school", "preschool", "high school", "college", "phd", "bachelor", "master",
                    "bachelor's", "master's", "associate", "diploma", "gcse", "a-level", "primary",
                    "secondary", "11th", "10th", "9th", "12th", "7th-8th", "5th-6th", "1st-4th", "none"}
US_STATES = {
    "al", "ak", "az", "ar", "ca", "co", "ct", "de", "fl", "ga", "hi", "id", "il", "in", "ia", "ks", "ky", "la",
    "me", "md", "ma", "mi", "mn", "ms", "mo", "mt", "ne", "nv", "nh", "nj", "nm", "ny", "nc", "nd", "oh", "ok",
    "or", "pa", "ri", "sc", "sd", "tn", "tx", "ut", "vt", "va", "wa", "wv", "wi", "wy", "dc", "pr", "gu", "vi",
    "as", "mp", "aa", "ae", "ap", "fm", "mh", "pw",
    "alabama", "alaska", "arizona", "arkansas", "california", "colorado", "connecticut", "delaware",
    "florida", "georgia", "hawaii", "idaho", "illinois", "indiana", "iowa", "kansas", "kentucky", "louisiana",
    "maine", "maryland", "massachusetts", "michigan", "minnesota", "mississippi", "missouri", "montana",
    "nebraska", "nevada", "new hampshire", "new jersey", "new mexico", "new york", "north carolina",
    "north dakota", "ohio", "oklahoma", "oregon", "pennsylvania", "rhode island", "south carolina",
    "south dakota", "tennessee", "texas", "utah", "vermont", "virginia", "washington", "west virginia",
    "wisconsin", "wyoming", "district of columbia", "puerto rico",
}
_SMALL_COUNTRIES = {
    "united states", "usa", "us", "united-states", "uk", "united kingdom", "england", "scotland", "wales",
    "canada", "mexico", "germany", "france", "italy", "spain", "portugal", "netherlands", "belgium",
    "ireland", "poland", "india", "china", "japan", "philippines", "vietnam", "brazil", "cuba", "jamaica",
    "puerto-rico", "south africa", "nigeria", "egypt", "australia", "new zealand", "russia", "ukraine",
    "greece", "sweden", "norway", "denmark", "finland", "austria", "switzerland", "iran", "iraq", "israel",
    "turkey", "pakistan", "bangladesh", "korea", "south korea", "taiwan", "thailand", "cambodia", "laos",
    "haiti", "dominican-republic", "el-salvador", "guatemala", "honduras", "nicaragua", "columbia",
    "colombia", "ecuador", "peru", "chile", "argentina", "venezuela", "hong", "hungary", "yugoslavia",
    "trinadad&tobago", "outlying-us(guam-usvi-etc)", "holand-netherlands", "south", "kenya", "ghana",
}


@lru_cache(maxsize=1)
def countries() -> frozenset[str]:
    names = set(_SMALL_COUNTRIES)
    try:
        from faker.providers.address.en import Provider

        names |= {c.lower() for c in Provider.countries}
    except Exception:  # Faker is a project dependency; the small list is enough without it
        pass
    return frozenset(names | {n.replace(" ", "-") for n in names})


@lru_cache(maxsize=1)
def person_names() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, last names), lower-case, from Faker's en_US lists when available."""
    try:
        from faker.providers.person.en_US import Provider

        first = {n.lower() for n in Provider.first_names}
        last = {n.lower() for n in Provider.last_names}
    except Exception:
        first, last = set(), set()
    return frozenset(first), frozenset(last)


def looks_like_person_name(value: str) -> bool:
    """2-3 alphabetic words whose first is a known first name and last a known last name."""
    words = [w.strip(".,").lower() for w in value.split()]
    if not 2 <= len(words) <= 3 or not all(w.replace("-", "").replace("'", "").isalpha() for w in words):
        return False
    first, last = person_names()
    return words[0] in first and words[-1] in last


@lru_cache(maxsize=1)
def common_person_names(top: int = 200) -> frozenset[str]:
    """The `top` most frequent first names (each sex) and surnames of Faker's en_US lists (US Census
    frequencies), lower-case: real name columns are dominated by them, coincidental words are not."""
    try:
        from faker.providers.person.en_US import Provider

        lists = (Provider.first_names_male, Provider.first_names_female, Provider.last_names)
        return frozenset(n.lower() for weights in lists
                         for n, _ in sorted(weights.items(), key=lambda x: -x[1])[:top])
    except Exception:
        return frozenset()
