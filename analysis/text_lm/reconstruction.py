"""PII reconstruction (Lukas et al. 2023): mask a PII span in a training sentence and rank the true value
among candidates of the same type by the model's likelihood of the whole sentence.

Targets are spans the PII engine finds in a sample of member texts (names, e-mail addresses, phone
numbers). Candidates: the true value, values of the same type found in the table's other texts, and
Faker decoys in the value's own format (digits redrawn for numbers, the same domain for e-mail). Top-1
accuracy is compared with chance (1 / candidates) and with the same test on held-out sentences, where
the model can only use the context (an e-mail spelled from the name in the same sentence, say).
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Sequence

import numpy as np

from analysis.text_lm.result import ReconstructionResult

ENTITIES = ("PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER")
MIN_VALUE_CHARS = 4


def decoy(value: str, entity: str, fake, rng: random.Random) -> str:
    """A made-up value in the format of `value`."""
    if entity == "PERSON":
        return fake.name()
    if entity == "EMAIL_ADDRESS" and "@" in value:
        return f"{fake.user_name()}@{value.split('@', 1)[1]}"
    return "".join(str(rng.randrange(10)) if ch.isdigit() else ch for ch in value)


def _spans(texts: Sequence[str], engine) -> list[tuple[int, str, int, int]]:
    from analysis.pii.text import analyze_texts

    out = []
    for i, (text, found) in enumerate(zip(texts, analyze_texts(list(texts), engine=engine, entities=list(ENTITIES)))):
        for entity, start, end, *_rest in found:  # (entity, start, end, score[, method])
            if end - start >= MIN_VALUE_CHARS:
                out.append((i, entity, start, end))
    return out


def _accuracy(lm, texts, spans, pool, candidates, fake, rng) -> tuple[list[bool], list[str]]:
    hits, kinds = [], []
    for i, entity, start, end in spans:
        text = texts[i]
        true = text[start:end]
        others = [v for v in pool[entity] if v != true]
        rng.shuffle(others)
        chosen = others[:(candidates - 1) // 2]
        while len(chosen) < candidates - 1:
            made = decoy(true, entity, fake, rng)
            if made != true and made not in chosen:
                chosen.append(made)
        lines = [text[:start] + v + text[end:] for v in [true] + chosen]
        scores = lm.log_likelihood(lines)
        hits.append(bool(scores[0] > scores[1:].max()))
        kinds.append(entity)
    return hits, kinds


def pii_reconstruction(lm, members: Sequence[str], non_members: Sequence[str], *, targets: int = 100,
                       candidates: int = 10, scan_texts: int = 200, seed: int = 0, engine=None) -> ReconstructionResult:
    from faker import Faker

    rng = random.Random(seed)
    np_rng = np.random.default_rng([seed, 2329])
    sample_m = [members[i] for i in np_rng.permutation(len(members))[:scan_texts]]
    sample_n = [non_members[i] for i in np_rng.permutation(len(non_members))[:scan_texts]]
    spans_m, spans_n = _spans(sample_m, engine), _spans(sample_n, engine)
    pool: dict[str, set] = defaultdict(set)
    for texts, spans in ((sample_m, spans_m), (sample_n, spans_n)):
        for i, entity, start, end in spans:
            pool[entity].add(texts[i][start:end])
    pool = {k: sorted(v) for k, v in pool.items()}
    fake = Faker("en_US")
    fake.seed_instance(seed)

    def pick(spans):  # one span per text, at most `targets`
        per_text = {}
        for span in spans:
            per_text.setdefault(span[0], span)
        chosen = list(per_text.values())
        rng.shuffle(chosen)
        return chosen[:targets]

    hits, kinds = _accuracy(lm, sample_m, pick(spans_m), pool, candidates, fake, rng)
    if not hits:
        raise ValueError("no name, e-mail address or phone number was found in the member texts to reconstruct")
    hits_n, _ = _accuracy(lm, sample_n, pick(spans_n), pool, candidates, fake, rng)
    by_type: dict[str, dict[str, float]] = {}
    for entity in sorted(set(kinds)):
        chosen = [h for h, k in zip(hits, kinds) if k == entity]
        by_type[entity] = {"targets": len(chosen), "accuracy": float(np.mean(chosen))}
    return ReconstructionResult(targets=len(hits), candidates=int(candidates), accuracy=float(np.mean(hits)),
                                chance=1.0 / candidates, non_member_targets=len(hits_n),
                                non_member_accuracy=float(np.mean(hits_n)) if hits_n else None,
                                by_type=by_type, seed=int(seed))
