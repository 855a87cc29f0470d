"""Worker side: a causal language model in ONNX, opened and run only inside the model worker.

The functions here take and return plain data (bytes, int arrays, numbers) so the parent can call
them through `ModelWorker.call("analysis.text_lm.session:<function>", ...)`; `open_causal_lm` returns
`keep(session)`, a handle the parent passes back.

Interface of a causal LM (what Hugging Face Optimum's `--task text-generation` and `torch.onnx.export`
of a causal LM write): input `input_ids` int64 [batch, sequence], optional `attention_mask` int64 and
`position_ids` int64 of the same shape; the first output is `logits` float [batch, sequence, vocab],
where `logits[:, t]` scores token t + 1. Other inputs (a KV cache, `past_key_values.*`) are refused:
export without cache (`text-generation`, not `text-generation-with-past`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.models.gate import ModelLoadError, _shown

KNOWN_INPUTS = ("input_ids", "attention_mask", "position_ids")
SCORE_BATCH = 64


@dataclass
class CausalLMSession:
    session: Any
    inputs: list[str]
    output: str
    vocab_size: int | None
    max_length: int | None


def open_causal_lm(data: bytes, name: str):
    """Check `data` with the ONNX gate, open it in onnxruntime and keep the session in the worker."""
    from analysis.models.sandbox import keep

    return keep(load_causal_lm(data, name))


def load_causal_lm(data: bytes, name: str) -> CausalLMSession:
    from analysis.models.onnx_model import check_onnx, open_session

    # Tensor sizes are checked with every dynamic dimension at the rows scored at once (SCORE_BATCH): the
    # gate counts each unknown dimension as that many, which covers batch x sequence as long as the
    # sequence (at most 128 tokens) is not much longer than the batch; onnxruntime never gets more rows.
    model = check_onnx(data, name, rows=SCORE_BATCH)
    metadata = {p.key: p.value for p in model.metadata_props}
    session = open_session(data, f"'{name}'")
    inputs = {i.name: i for i in session.get_inputs()}
    if "input_ids" not in inputs:
        raise ModelLoadError(f"'{name}' is not a causal language model: it has no 'input_ids' input "
                             f"(inputs: {', '.join(_shown(n) for n in sorted(inputs)[:5])}).")
    extra = sorted(set(inputs) - set(KNOWN_INPUTS))
    if extra:
        raise ModelLoadError(f"'{name}' takes inputs besides input_ids / attention_mask / position_ids "
                             f"({', '.join(_shown(n) for n in extra[:5])}); export it without a KV cache "
                             "(optimum-cli export onnx --task text-generation).")
    for input_name, spec in inputs.items():
        if spec.type != "tensor(int64)" or len(spec.shape) != 2:
            raise ModelLoadError(f"'{name}': input '{_shown(input_name)}' must be int64 of shape [batch, sequence].")
    outputs = session.get_outputs()
    logits = next((o for o in outputs if o.name == "logits"), outputs[0])
    if logits.type not in ("tensor(float)", "tensor(double)", "tensor(float16)") or len(logits.shape) != 3:
        raise ModelLoadError(f"'{name}': output '{_shown(logits.name)}' must be float logits of shape "
                             "[batch, sequence, vocabulary].")
    vocab = logits.shape[2] if isinstance(logits.shape[2], int) else None
    max_length = int(metadata["max_length"]) if metadata.get("max_length", "").isdigit() else None
    return CausalLMSession(session=session, inputs=list(inputs), output=logits.name, vocab_size=vocab,
                           max_length=max_length)


def describe(lm: CausalLMSession) -> dict:
    return {"inputs": list(lm.inputs), "output": lm.output, "vocab_size": lm.vocab_size,
            "max_length": lm.max_length}


def _logits(lm: CausalLMSession, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    feed = {"input_ids": ids.astype(np.int64)}
    if "attention_mask" in lm.inputs:
        feed["attention_mask"] = mask.astype(np.int64)
    if "position_ids" in lm.inputs:
        feed["position_ids"] = np.maximum(np.cumsum(mask, axis=1) - 1, 0).astype(np.int64)
    logits = np.asarray(lm.session.run([lm.output], feed)[0], dtype=np.float32)
    if logits.ndim != 3 or logits.shape[:2] != ids.shape:
        raise ModelLoadError(f"the model returned logits of shape {list(logits.shape)} for input ids of shape "
                             f"{list(ids.shape)}; expected [batch, sequence, vocabulary].")
    return logits


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def sequence_log_likelihood(lm: CausalLMSession, ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """log p(row) in nats for each right-padded row of `ids` with `lengths` real tokens: the sum of
    log p(ids[t+1] | ids[..t]) (the first token is given). Cheaper than `token_statistics`."""
    ids = np.asarray(ids, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    out = np.zeros(len(ids))
    mask = (np.arange(ids.shape[1])[None, :] < lengths[:, None]).astype(np.int64)
    for start in range(0, len(ids), SCORE_BATCH):
        rows = slice(start, start + SCORE_BATCH)
        width = int(max(lengths[rows].max(), 1))
        logits = _logits(lm, ids[rows, :width], mask[rows, :width])[:, :-1]
        _check_vocab(logits, ids[rows])
        top = logits.max(-1, keepdims=True)
        lse = np.log(np.exp(logits - top).sum(-1)) + top[..., 0]
        target = np.take_along_axis(logits, ids[rows, 1:width, None], axis=-1)[..., 0]
        out[rows] = np.where(mask[rows, 1:width].astype(bool), target - lse, 0.0).sum(1)
    return out


def _check_vocab(logits: np.ndarray, ids: np.ndarray) -> None:
    if logits.shape[-1] <= int(ids.max(initial=0)):
        raise ModelLoadError(f"the tokenizer gives token id {int(ids.max())} but the model's vocabulary "
                             f"has {logits.shape[-1]} entries; tokenizer and model do not match.")


def token_statistics(lm: CausalLMSession, ids: np.ndarray, lengths: np.ndarray) -> dict[str, np.ndarray]:
    """For each right-padded row of `ids` (n, T) with `lengths` real tokens, per position t < T - 1:
    `logp` = log p(ids[t+1] | ids[..t]) (nats), and the mean `mu` and standard deviation `sigma` of
    log p(v | ids[..t]) over the vocabulary under the model's own distribution (Min-K%++). Positions at or
    past a row's length - 1 are 0."""
    ids = np.asarray(ids, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    n, width = ids.shape
    out = {k: np.zeros((n, max(width - 1, 0)), dtype=np.float32) for k in ("logp", "mu", "sigma")}
    mask = (np.arange(width)[None, :] < lengths[:, None]).astype(np.int64)
    for start in range(0, n, SCORE_BATCH):
        rows = slice(start, start + SCORE_BATCH)
        batch_width = int(max(lengths[rows].max(), 1))
        logp_all = _log_softmax(_logits(lm, ids[rows, :batch_width], mask[rows, :batch_width]))[:, :-1]
        _check_vocab(logp_all, ids[rows])
        target = ids[rows, 1:batch_width]
        logp = np.take_along_axis(logp_all, target[..., None], axis=-1)[..., 0]
        probs = np.exp(logp_all)
        mu = (probs * logp_all).sum(-1)
        sigma = np.sqrt(np.maximum((probs * logp_all**2).sum(-1) - mu**2, 0.0))
        valid = mask[rows, 1:batch_width].astype(bool)
        for key, value in (("logp", logp), ("mu", mu), ("sigma", sigma)):
            out[key][rows, :batch_width - 1] = np.where(valid, value, 0.0)
    return out


def generate(lm: CausalLMSession, prompts: np.ndarray, steps: int, *, seed: int = 0, greedy: bool = False,
             temperature: float = 1.0, top_k: int = 40) -> np.ndarray:
    """`steps` new tokens after each row of `prompts` (n, P), all rows the same length: greedy, or sampled
    (seeded) from the top-k tokens at the temperature. Returns int64 (n, steps). No KV cache: each step
    reruns the sequence, which is what an export without cache allows."""
    rng = np.random.default_rng([int(seed), 2323])
    seqs = np.asarray(prompts, dtype=np.int64)
    new = np.zeros((len(seqs), int(steps)), dtype=np.int64)
    for step in range(int(steps)):
        window = seqs if lm.max_length is None else seqs[:, -lm.max_length:]
        chunks = []
        for start in range(0, len(window), SCORE_BATCH):
            part = window[start:start + SCORE_BATCH]
            chunks.append(_logits(lm, part, np.ones_like(part))[:, -1])
        last = np.concatenate(chunks)
        if greedy:
            chosen = last.argmax(-1)
        else:
            k = min(int(top_k), last.shape[-1])
            top = np.argpartition(-last, k - 1, axis=-1)[:, :k]
            scaled = np.take_along_axis(last, top, axis=-1) / max(float(temperature), 1e-6)
            p = np.exp(scaled - scaled.max(-1, keepdims=True))
            p /= p.sum(-1, keepdims=True)
            pick = (p.cumsum(-1) < rng.random((len(p), 1))).sum(-1).clip(max=k - 1)
            chosen = top[np.arange(len(top)), pick]
        new[:, step] = chosen
        seqs = np.concatenate([seqs, chosen[:, None]], axis=1)
    return new
