"""Tokenizers for causal language models: train a byte-pair tokenizer here, or check and load a
Hugging Face `tokenizer.json` from elsewhere.

A tokenizer.json is plain JSON, but the `tokenizers` library parses it in Rust: the file's size, its
nesting depth, its model type and the sizes of its vocabulary and merge list are checked first
(`check_tokenizer_json`), so a hostile file fails with our message before the library sees it.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from analysis.models.gate import ModelLoadError

MAX_TOKENIZER_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 32
MAX_VOCAB = 1_000_000
MAX_MERGES = 2_000_000
MODEL_TYPES = frozenset({"BPE", "WordPiece", "WordLevel", "Unigram"})
BOS, EOS, PAD, UNK = "<s>", "</s>", "<pad>", "<unk>"


def train_bpe(texts: Sequence[str], *, vocab_size: int = 1000) -> str:
    """A byte-level BPE tokenizer trained on `texts`, as tokenizer.json text.

    Digits are split one by one (a secret of d digits is d tokens, so every candidate of a canary has
    the same length); encoding adds <s> before and </s> after each text.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tokenizer = Tokenizer(models.BPE(unk_token=UNK))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                      pre_tokenizers.ByteLevel(add_prefix_space=False)])
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=int(vocab_size), special_tokens=[PAD, BOS, EOS, UNK],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator((str(t) for t in texts), trainer=trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A {EOS}", special_tokens=[(BOS, tokenizer.token_to_id(BOS)), (EOS, tokenizer.token_to_id(EOS))])
    return tokenizer.to_str()


def check_tokenizer_json(data: bytes, name: str) -> dict[str, Any]:
    """The parsed JSON after the limits; ModelLoadError (exit 2 in the CLI) otherwise."""
    if not data:
        raise ModelLoadError(f"'{name}' is empty.")
    if len(data) > MAX_TOKENIZER_BYTES:
        raise ModelLoadError(f"'{name}' is {len(data) / 2**20:,.0f} MB, over the tokenizer limit of "
                             f"{MAX_TOKENIZER_BYTES / 2**20:,.0f} MB.")
    depth = _max_depth(data)
    if depth > MAX_DEPTH:
        raise ModelLoadError(f"'{name}' nests JSON {depth} levels deep (limit {MAX_DEPTH}); not a tokenizer.json.")
    try:
        spec = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ModelLoadError(f"'{name}' is not JSON text (UTF-8); expected a Hugging Face tokenizer.json.") from None
    model = spec.get("model") if isinstance(spec, dict) else None
    if not isinstance(model, dict) or model.get("type") not in MODEL_TYPES:
        raise ModelLoadError(f"'{name}' is not a Hugging Face tokenizer.json: its model type is not one of "
                             f"{', '.join(sorted(MODEL_TYPES))}.")
    vocab = model.get("vocab")
    if not isinstance(vocab, (dict, list)) or len(vocab) > MAX_VOCAB:
        raise ModelLoadError(f"'{name}': the vocabulary is missing or has over {MAX_VOCAB:,} entries.")
    merges = model.get("merges", [])
    if not isinstance(merges, list) or len(merges) > MAX_MERGES:
        raise ModelLoadError(f"'{name}': the merge list is not a list or has over {MAX_MERGES:,} entries.")
    return spec


def load_tokenizer(data: bytes, name: str):
    """A `tokenizers.Tokenizer` from checked tokenizer.json bytes."""
    from tokenizers import Tokenizer

    check_tokenizer_json(data, name)
    try:
        tokenizer = Tokenizer.from_str(data.decode("utf-8"))
    except Exception as exc:
        raise ModelLoadError(f"'{name}' could not be read as a tokenizer ({type(exc).__name__}).") from None
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def _max_depth(data: bytes) -> int:
    """Nesting depth of JSON brackets, skipping strings; a linear scan, no parsing."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest
