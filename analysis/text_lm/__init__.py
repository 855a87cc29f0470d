"""Audit causal language models: a small model trained here (with or without DP-SGD) or one exported
elsewhere (ONNX + tokenizer.json), never running the model file's code in this process.

Modules: `tokenizer` (train a BPE tokenizer, check and load tokenizer.json), `session` (worker side:
the ONNX session, token log-probabilities, generation), `lm` (the parent's handle on a model in the
worker), `train` (the windowed token model, DP-SGD, ONNX export in `export`), `attacks` (membership
inference), `baseline` (the blind text-only classifier), `canaries` (canary kit and exposure),
`extraction`, `reconstruction`, `verbatim`, `audit` (all of them), `result` (typed results).
"""
