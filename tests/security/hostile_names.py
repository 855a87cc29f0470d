"""A small table whose column names, file name and some cells are Markdown / HTML that would fetch or link.

Used by tests/security/test_markdown_injection.py (exports) and tests/e2e/test_no_outside_requests.py
(every page). The data itself looks ordinary (e-mails, ages, zip codes, a yes/no label, notes), so the scan,
the risk and the audit all have something to say about each hostile column.
"""

from __future__ import annotations

import random

import pandas as pd

ATTACKER_HOSTS = ("attacker.example", "evil.example")
IMAGE = "![x](https://attacker.example/b.png)"
IMG_TAG = "<img src=x onerror=alert(1)>"
LINK = "[link](http://evil.example)"
ANCHOR = '<a href="http://evil.example/a">a</a>'
AUTOLINK = "https://attacker.example/c.png"
DIRECTIVE = ":red[x] :material/home: $x^2$ **b** _i_ `c` # h | p"

# Column name -> what the column holds. The e-mail column is a direct identifier, the age and zip columns are
# quasi-identifiers, the label is a class to predict, the notes are free text.
COLUMNS = {IMAGE: "email", IMG_TAG: "age", LINK: "zip", ANCHOR: "sex", AUTOLINK: "label", DIRECTIVE: "notes"}
HOSTILE_NAMES = tuple(COLUMNS)
FILE_NAME = "![f](https://attacker.example/file.png).csv"


def hostile_frame(rows: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = random.Random(seed)
    make = {
        "email": lambda i: f"person{i}@example.org",
        "age": lambda i: str(rng.randint(18, 90)),
        "zip": lambda i: str(rng.choice([10115, 10117, 20095, 80331, 50667])),
        "sex": lambda i: rng.choice(["f", "m"]),
        "label": lambda i: rng.choice(["yes", "no"]),
        # Cells are text too: a note carries an image, a link and an e-mail address.
        "notes": lambda i: (f"{IMAGE} call {LINK} or write person{i}@example.org {IMG_TAG}" if i % 3 == 0
                            else f"ordinary note {i}"),
    }
    return pd.DataFrame({name: [make[kind](i) for i in range(rows)] for name, kind in COLUMNS.items()})


def hostile_csv_bytes(rows: int = 400, seed: int = 0) -> bytes:
    return hostile_frame(rows, seed).to_csv(index=False).encode("utf-8")
