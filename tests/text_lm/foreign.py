"""A causal LM "exported from another framework": a bigram model written with the onnx helper API
(no code of analysis.text_lm.train), with a word-level tokenizer.json made with `tokenizers` directly."""

from __future__ import annotations

from collections import Counter

import numpy as np


def word_tokenizer_json(texts) -> str:
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    words = sorted({w for t in texts for w in t.split()})
    vocab = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, **{w: i + 4 for i, w in enumerate(words)}}
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.post_processor = processors.TemplateProcessing(single="<s> $A </s>",
                                                             special_tokens=[("<s>", 1), ("</s>", 2)])
    return tokenizer.to_str()


def bigram_onnx(token_rows, vocab_size: int, *, extra_inputs=(), opset_domain: str = "") -> bytes:
    """logits[b, t] = log of add-0.1 smoothed bigram counts of the rows following ids[b, t]."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    counts = np.full((vocab_size, vocab_size), 0.1)
    for row in token_rows:
        for a, b in zip(row[:-1], row[1:]):
            counts[a, b] += 1
    table = np.log(counts / counts.sum(1, keepdims=True)).astype(np.float32)
    nodes = [helper.make_node("Gather", ["table", "input_ids"], ["logits"], axis=0, domain=opset_domain)]
    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"])
              for n in ("input_ids", "attention_mask", *extra_inputs)]
    graph = helper.make_graph(nodes, "bigram", inputs,
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                                             ["batch", "sequence", vocab_size])],
                              [numpy_helper.from_array(table, "table")])
    opsets = [helper.make_opsetid("", 17)] + ([helper.make_opsetid(opset_domain, 1)] if opset_domain else [])
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 8
    return model.SerializeToString()


def bigram_for(members) -> tuple[bytes, bytes]:
    from tokenizers import Tokenizer

    tokenizer_json = word_tokenizer_json(members)
    tok = Tokenizer.from_str(tokenizer_json)
    rows = [e.ids for e in tok.encode_batch(list(members))]
    return bigram_onnx(rows, tok.get_vocab_size()), tokenizer_json.encode()
