"""Write sample_data/tickets.csv: synthetic support tickets with personal data in the free text.

Seeded (Faker and NumPy): the same file on every run. Every value is invented by Faker; no real person.
Columns: ticket_id, customer_id, customer_name, email, phone, created_at, channel, category, body.
`body` is the free text a support model would be fine-tuned on; about two in three bodies quote the
customer's name, e-mail address or phone number, and customers write more than one ticket.

    python scripts/make_ticket_data.py [--rows 3000] [--out sample_data/tickets.csv]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from faker import Faker

SEED = 23
CATEGORIES = {
    "delivery": [
        "Hi, this is {name}. My order {order} has not arrived yet, please call me at {phone}.",
        "Order {order} shows delivered but I never got it. Contact me at {email}.",
        "The parcel for {order} came damaged. {name}, {phone}.",
        "Can you change the delivery address of {order} to {address}? Thanks, {name}",
    ],
    "billing": [
        "I was charged twice for order {order}. Please refund the second charge. {name}",
        "{name} here, the invoice for {order} has the wrong amount. Reach me at {email}.",
        "Please send the receipt for {order} to {email}, not to my old address.",
        "My card was declined but the money left my account. Call {phone} please.",
    ],
    "account": [
        "Please update my e-mail to {email}. Account holder {name}.",
        "I cannot log in since yesterday, reset link never arrives at {email}.",
        "Change my phone number on file to {phone}. Thanks, {name}",
        "Please close my account and delete my data. {name}, {email}",
    ],
    "product": [
        "The blender I bought with order {order} stopped working after a week.",
        "Is the {product} compatible with the older model? I want to order two.",
        "The {product} from order {order} is missing the charger. {name}",
        "How do I reset the {product} to factory settings?",
    ],
}
PRODUCTS = ["smart speaker", "coffee grinder", "desk lamp", "air purifier", "fitness band", "router",
            "electric kettle", "robot vacuum"]
CHANNELS = ["email", "chat", "phone", "web form"]


def make_tickets(rows: int, seed: int = SEED) -> pd.DataFrame:
    fake = Faker("en_US")
    Faker.seed(seed)
    rng = np.random.default_rng(seed)
    n_customers = max(1, rows * 2 // 3)
    customers = [dict(customer_id=f"C{100000 + i}", name=fake.name(), phone=fake.numerify("(###) ###-####"))
                 for i in range(n_customers)]
    for c in customers:
        first, last = c["name"].lower().split(" ")[:2]
        c["email"] = f"{first}.{last}{rng.integers(1, 99)}@{fake.free_email_domain()}"
        c["address"] = fake.street_address() + ", " + fake.city()
    out = []
    names = list(CATEGORIES)
    for i in range(rows):
        c = customers[int(rng.integers(n_customers))]
        category = names[int(rng.integers(len(names)))]
        template = CATEGORIES[category][int(rng.integers(len(CATEGORIES[category])))]
        body = template.format(name=c["name"], email=c["email"], phone=c["phone"], address=c["address"],
                               order=f"ORD-{int(rng.integers(100000, 999999))}",
                               product=PRODUCTS[int(rng.integers(len(PRODUCTS)))])
        created = pd.Timestamp("2025-01-01") + pd.Timedelta(minutes=int(rng.integers(0, 525600)))
        out.append(dict(ticket_id=f"T{200000 + i}", customer_id=c["customer_id"], customer_name=c["name"],
                        email=c["email"], phone=c["phone"], created_at=created.strftime("%Y-%m-%d %H:%M"),
                        channel=CHANNELS[int(rng.integers(len(CHANNELS)))], category=category, body=body))
    return pd.DataFrame(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "sample_data" / "tickets.csv"))
    args = parser.parse_args()
    frame = make_tickets(args.rows)
    frame.to_csv(args.out, index=False)
    print(f"wrote {len(frame):,} tickets to {args.out}")


if __name__ == "__main__":
    main()
