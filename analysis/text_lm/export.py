"""The windowed token model as an ONNX causal LM (input_ids, attention_mask -> logits), written with the
`onnx` helper API from the Keras weights (a dozen nodes; no converter package).

logits[b, t] = W2 . relu(W1 . concat(E[ids[b, t-C+1]], ..., E[ids[b, t]]) + b1) + b2, positions before
the start are the pad token. attention_mask is accepted (the Hugging Face interface) and unused: right
padding never reaches an earlier position through a causal window.
"""

from __future__ import annotations

import numpy as np

OPSET = 17


def window_lm_to_onnx(embedding: np.ndarray, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: np.ndarray,
                      *, context: int, pad_id: int, max_length: int) -> bytes:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    vocab, dim = embedding.shape
    windows = (np.arange(max_length)[:, None] + np.arange(context)[None, :]).astype(np.int64)
    inits = [numpy_helper.from_array(np.asarray(a, dtype=dt), name) for name, a, dt in [
        ("embedding", embedding, np.float32), ("w1", w1, np.float32), ("b1", b1, np.float32),
        ("w2", w2, np.float32), ("b2", b2, np.float32), ("windows", windows, np.int64),
        ("pads", np.array([0, context - 1, 0, 0]), np.int64), ("pad_value", np.array(pad_id), np.int64),
        ("zero", np.array([0]), np.int64), ("one", np.array([1]), np.int64),
        ("flat_shape", np.array([0, 0, context * dim]), np.int64)]]
    nodes = [
        helper.make_node("Pad", ["input_ids", "pads", "pad_value"], ["padded"], mode="constant"),
        helper.make_node("Shape", ["input_ids"], ["ids_shape"]),
        helper.make_node("Slice", ["ids_shape", "one", "one_end"], ["seq_len"]),
        helper.make_node("Slice", ["windows", "zero", "seq_len", "zero"], ["positions"]),
        helper.make_node("Gather", ["padded", "positions"], ["context_ids"], axis=1),   # (B, T, C)
        helper.make_node("Gather", ["embedding", "context_ids"], ["vectors"], axis=0),   # (B, T, C, D)
        helper.make_node("Reshape", ["vectors", "flat_shape"], ["flat"]),                 # (B, T, C*D)
        helper.make_node("MatMul", ["flat", "w1"], ["h_lin"]),
        helper.make_node("Add", ["h_lin", "b1"], ["h_pre"]),
        helper.make_node("Relu", ["h_pre"], ["hidden"]),
        helper.make_node("MatMul", ["hidden", "w2"], ["o_lin"]),
        helper.make_node("Add", ["o_lin", "b2"], ["logits"]),
    ]
    inits.append(numpy_helper.from_array(np.array([2], dtype=np.int64), "one_end"))
    graph = helper.make_graph(
        nodes, "window_lm",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "sequence", vocab])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="privacy-audit text train")
    model.ir_version = 8
    helper.set_model_props(model, {"max_length": str(max_length), "context": str(context)})
    onnx.checker.check_model(model)
    return model.SerializeToString()
