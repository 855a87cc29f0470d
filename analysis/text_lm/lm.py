"""The parent's handle on a causal language model that runs in the model worker.

`LanguageModel` tokenizes in this process (a checked tokenizer.json, data not code) and sends int
arrays to the worker, where `analysis.text_lm.session` runs the ONNX session. Texts are cut to
`max_tokens` tokens (and to the model's own `max_length` when its metadata states one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np

from analysis.text_lm.tokenizer import load_tokenizer

SESSION = "analysis.text_lm.session"
DEFAULT_MAX_TOKENS = 128
END_TOKENS = ("</s>", "<|endoftext|>", "<eos>", "<|end_of_text|>", "[SEP]")


def open_worker():
    """A model worker (a limited child process) for one audit; close it when done."""
    from analysis.models.sandbox import ModelWorker

    return ModelWorker()


@dataclass
class LanguageModel:
    worker: Any = field(repr=False)
    handle: Any = field(repr=False)
    tokenizer: Any = field(repr=False)
    max_tokens: int
    vocab_size: Optional[int]
    end_id: Optional[int] = None

    @classmethod
    def open(cls, worker, model: bytes, tokenizer: bytes, *, model_name: str = "model.onnx",
             tokenizer_name: str = "tokenizer.json", max_tokens: int = DEFAULT_MAX_TOKENS) -> "LanguageModel":
        tok = load_tokenizer(tokenizer, tokenizer_name)
        handle = worker.call(f"{SESSION}:open_causal_lm", model, model_name, activity="opening the model")
        info = worker.call(f"{SESSION}:describe", handle)
        limit = min(int(max_tokens), info["max_length"] or int(max_tokens))
        vocab = info["vocab_size"]
        if vocab is not None and tok.get_vocab_size() > vocab:
            from analysis.models.gate import ModelLoadError

            raise ModelLoadError(f"'{tokenizer_name}' has {tok.get_vocab_size():,} tokens but '{model_name}' "
                                 f"scores {vocab:,}; the tokenizer does not belong to this model.")
        end_id = next((tok.token_to_id(t) for t in END_TOKENS if tok.token_to_id(t) is not None), None)
        return cls(worker=worker, handle=handle, tokenizer=tok, max_tokens=limit, vocab_size=vocab, end_id=end_id)

    # ---- tokens
    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        return [e.ids[:self.max_tokens] for e in self.tokenizer.encode_batch([str(t) for t in texts])]

    def decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode([int(i) for i in ids], skip_special_tokens=True)

    def until_end(self, ids: Sequence[int]) -> list[int]:
        """`ids` up to (without) the first end-of-text token."""
        ids = [int(i) for i in ids]
        return ids[:ids.index(self.end_id)] if self.end_id in ids else ids

    @staticmethod
    def pad(rows: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
        lengths = np.array([len(r) for r in rows], dtype=np.int64)
        ids = np.zeros((len(rows), int(lengths.max(initial=1))), dtype=np.int64)
        for i, r in enumerate(rows):
            ids[i, :len(r)] = r
        return ids, lengths

    # ---- scores
    def token_statistics(self, rows: Sequence[Sequence[int]]) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Per-token log p, mu, sigma (see session.token_statistics) and the number of scored tokens per row."""
        ids, lengths = self.pad(rows)
        stats = self.worker.call(f"{SESSION}:token_statistics", self.handle, ids, lengths,
                                 activity="scoring documents")
        return stats, np.maximum(lengths - 1, 0)

    def log_likelihood(self, texts: Sequence[str]) -> np.ndarray:
        """log p(text) in nats, summed over its tokens after the first."""
        ids, lengths = self.pad(self.encode(texts))
        return self.worker.call(f"{SESSION}:sequence_log_likelihood", self.handle, ids, lengths,
                                activity="scoring texts")

    def generate(self, prompts: Sequence[Sequence[int]], steps: int, *, seed: int = 0,
                 greedy: bool = False) -> np.ndarray:
        prompts = np.asarray(prompts, dtype=np.int64)
        return self.worker.call(f"{SESSION}:generate", self.handle, prompts, int(steps), seed=int(seed),
                                greedy=bool(greedy), activity="generating text")
