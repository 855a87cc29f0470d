"""Typed results of the language-model audits. None holds a raw PII value: counts by type only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from analysis.attacks.metrics import AttackResult
from analysis.results import Result
from analysis.text_lm.canaries import TextCanaryResult


@dataclass(frozen=True)
class PiiTypeCount(Result):
    entity: str
    found: int                 # distinct values of this type in the generations
    in_training: int           # of which occur in the training (member) text
    in_non_members_only: int   # of which occur only in the held-out text: what a model that generalises makes


@dataclass(frozen=True)
class ExtractionResult(Result):
    """Sampled generations scanned with the PII engine. `pii_found` distinct values, `pii_in_training` of
    them verbatim in the training text; `pii_in_non_members_only` is the chance reference (plausible
    values a model can produce without having seen them)."""

    generated: int
    tokens_per_sample: int
    pii_found: int
    pii_in_training: int
    pii_in_non_members_only: int
    by_type: list[PiiTypeCount]
    seed: int


@dataclass(frozen=True)
class ReconstructionResult(Result):
    """A PII span masked in member sentences; the true value ranked among `candidates` values of its type
    by the model's likelihood of the whole sentence. Top-1 `accuracy` against `chance` = 1 / candidates;
    `non_member_accuracy` is the same test on held-out sentences (what context alone gives away)."""

    targets: int
    candidates: int
    accuracy: float
    chance: float
    non_member_targets: int
    non_member_accuracy: Optional[float]
    by_type: dict[str, dict[str, float]]
    seed: int


@dataclass(frozen=True)
class VerbatimResult(Result):
    """Share of member prefixes whose greedy continuation reproduces the next `suffix_tokens` tokens
    exactly; `non_member_share` is the same on held-out documents (templates the model may just know)."""

    prefix_tokens: int
    suffix_tokens: int
    documents: int
    share: float
    non_member_documents: int
    non_member_share: Optional[float]


@dataclass(frozen=True)
class TextAuditResult(Result):
    model: str
    members: int
    non_members: int
    attacks: list[AttackResult]
    baseline: AttackResult
    canaries: Optional[TextCanaryResult]
    extraction: Optional[ExtractionResult]
    reconstruction: Optional[ReconstructionResult]
    verbatim: Optional[VerbatimResult]
    seconds: float
    settings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def summary_json(self) -> dict[str, Any]:
        """The JSON of `privacy-audit text audit --json`."""
        def attack(a: AttackResult) -> dict:
            return {"name": a.name, "auc": a.auc, "tpr_at_fpr": a.tpr_at_fpr,
                    "tpr_ci": {k: list(v) for k, v in a.tpr_ci.items()}}

        out: dict[str, Any] = {
            "model": self.model, "members": self.members, "non_members": self.non_members,
            "attacks": [attack(a) for a in self.attacks], "baseline": attack(self.baseline),
            "canaries": None, "extraction": None, "reconstruction": None, "verbatim": None,
            "seconds": self.seconds, "notes": list(self.notes)}
        if self.canaries is not None:
            out["canaries"] = [{"repeats": c.repeats, "exposure": c.exposure, "rank": c.rank}
                               for c in self.canaries.canaries]
            out["secret_space_bits"] = self.canaries.secret_space_bits
        for key in ("extraction", "reconstruction", "verbatim"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value.to_dict()
        return out
