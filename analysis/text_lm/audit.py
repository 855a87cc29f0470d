"""The full audit of a causal language model: membership inference (with the blind baseline), canary
exposure, PII extraction, PII reconstruction and verbatim memorization, one `TextAuditResult`.

The model (and a reference model) run in one model worker for the whole audit; tokenizing, the PII
engine and the metrics run here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from analysis.progress import report, scaled
from analysis.results import Result
from analysis.text_lm.attacks import document_scores, membership_attacks
from analysis.text_lm.baseline import blind_baseline
from analysis.text_lm.canaries import CanaryKit, canary_exposure
from analysis.text_lm.extraction import pii_extraction
from analysis.text_lm.lm import LanguageModel, open_worker
from analysis.text_lm.reconstruction import pii_reconstruction
from analysis.text_lm.result import TextAuditResult
from analysis.text_lm.verbatim import TooShort, verbatim_memorization

BASELINE_WARNING_AUC = 0.6


@dataclass(frozen=True)
class AuditSettings(Result):
    max_documents: int = 1000          # members and non-members each, a seeded random sample
    max_tokens: int = 128
    extraction_samples: int = 200
    extraction_tokens: int = 40
    reconstruction_targets: int = 100
    reconstruction_candidates: int = 10
    verbatim_prefix: int = 8
    verbatim_suffix: int = 8
    verbatim_documents: int = 200
    max_exact_canary_space: int = 10_000
    seed: int = 0


def _sample(texts: Sequence[str], limit: int, seed: int, salt: int) -> list[str]:
    texts = [str(t) for t in texts if str(t).strip()]
    if len(texts) <= limit:
        return texts
    keep = np.sort(np.random.default_rng([seed, salt]).choice(len(texts), size=limit, replace=False))
    return [texts[i] for i in keep]


def run_text_audit(model: bytes, tokenizer: bytes, members: Sequence[str], non_members: Sequence[str], *,
                   canaries: Optional[CanaryKit] = None, reference_model: Optional[bytes] = None,
                   reference_tokenizer: Optional[bytes] = None, settings: AuditSettings = AuditSettings(),
                   model_name: str = "model.onnx", tokenizer_name: str = "tokenizer.json",
                   pii: bool = True, progress=None) -> TextAuditResult:
    """Audit `model` (ONNX causal LM bytes) with its `tokenizer` (tokenizer.json bytes).

    members / non_members: documents the model was / was not trained on, ideally drawn at random from one
    pool (the blind baseline tells when they were not). `pii=False` skips extraction and reconstruction
    (they load the PII engine)."""
    start = time.perf_counter()
    seed = settings.seed
    members = _sample(members, settings.max_documents, seed, 1)
    non_members = _sample(non_members, settings.max_documents, seed, 2)
    if len(members) < 2 or len(non_members) < 2:
        raise ValueError(f"need at least 2 member and 2 non-member documents, got {len(members)} and {len(non_members)}")
    notes: list[str] = []
    with open_worker() as worker:
        report(progress, 0.01, "opening the model")
        lm = LanguageModel.open(worker, model, tokenizer, model_name=model_name, tokenizer_name=tokenizer_name,
                                max_tokens=settings.max_tokens)
        reference = None
        if reference_model is not None:
            reference = LanguageModel.open(worker, reference_model, reference_tokenizer or tokenizer,
                                           model_name="reference model", max_tokens=settings.max_tokens)
        report(progress, 0.05, "scoring members and non-members")
        scores = []
        for texts in (members, non_members):
            stats, counts = lm.token_statistics(lm.encode(texts))
            ref = reference.token_statistics(reference.encode(texts)) if reference is not None else None
            scores.append(document_scores(texts, stats, counts, ref))
        attacks = membership_attacks(*scores)
        report(progress, 0.25, "blind baseline")
        baseline = blind_baseline(members, non_members, seed=seed)
        if baseline.auc > BASELINE_WARNING_AUC:
            notes.append(f"The text alone separates members from non-members (blind baseline AUC "
                         f"{baseline.auc:.2f}): the two sets differ, so attack figures overstate leakage.")
        canary_result = None
        if canaries is not None:
            canary_result = canary_exposure(lm, canaries, max_exact=settings.max_exact_canary_space, seed=seed,
                                            progress=scaled(progress, 0.3, 0.55))
        report(progress, 0.55, "verbatim continuations")
        verbatim = None
        try:
            verbatim = verbatim_memorization(lm, members, non_members, prefix_tokens=settings.verbatim_prefix,
                                             suffix_tokens=settings.verbatim_suffix,
                                             documents=settings.verbatim_documents, seed=seed)
        except TooShort as exc:
            notes.append(str(exc))
        extraction = reconstruction = None
        if pii:
            from analysis.pii.engine import get_engine

            report(progress, 0.65, "sampling generations for PII")
            engine = get_engine()
            extraction = pii_extraction(lm, members, non_members, samples=settings.extraction_samples,
                                        steps=settings.extraction_tokens, seed=seed, engine=engine)
            report(progress, 0.8, "reconstructing masked PII")
            reconstruction = pii_reconstruction(lm, members, non_members, targets=settings.reconstruction_targets,
                                                candidates=settings.reconstruction_candidates, seed=seed,
                                                engine=engine)
    report(progress, 1.0, "done")
    return TextAuditResult(model=model_name, members=len(members), non_members=len(non_members), attacks=attacks,
                           baseline=baseline, canaries=canary_result, extraction=extraction,
                           reconstruction=reconstruction, verbatim=verbatim,
                           seconds=time.perf_counter() - start, settings=settings.to_dict(), notes=notes)


def train_and_audit(texts: Sequence[str], *, epsilon: Optional[float] = None,
                    canary_repeats: Optional[Sequence[int]] = (1, 4, 16), secret_space_size: int = 10_000,
                    epochs: int = 8, max_rows: Optional[int] = None, pii: bool = True, max_documents: int = 1000,
                    seed: int = 0, progress=None) -> TextAuditResult:
    """Train the small model here on `texts` (a random half, plus canaries) and audit it through the same
    path an uploaded model takes (ONNX in the model worker). The page and the CI gate's step call this."""
    from analysis.text_lm.train import TrainSettings, train_text_lm

    trained = train_text_lm(texts, epsilon=epsilon, canary_repeats=canary_repeats or None,
                            secret_space_size=secret_space_size, seed=seed,
                            settings=TrainSettings(epochs=int(epochs), max_rows=max_rows),
                            progress=scaled(progress, 0.0, 0.4))
    name = "model trained here" + (f" (DP-SGD, epsilon {epsilon:g})" if epsilon is not None else "")
    return run_text_audit(trained.model_onnx, trained.tokenizer_json.encode(), trained.members, trained.non_members,
                          canaries=trained.canaries, pii=pii, model_name=name,
                          settings=AuditSettings(max_documents=int(max_documents), seed=seed),
                          progress=scaled(progress, 0.4, 1.0))
