"""ONNX models through onnxruntime (CPU), checked before a session is created.

Gate (`check_onnx`): size limit (`max_model_uncompressed_mb`), parsed without external data,
`onnx.checker`, only the `ai.onnx` (empty domain) and `ai.onnx.ml` operator sets, no local functions,
and no tensor anywhere (initializers, attributes, subgraphs) with external data: an ONNX file can
name `../../etc/passwd` as the place of its weights.

Input mapping (stated in `describe_inputs`, the page and the result):
- several inputs, or one input named like a table column: each input is the column of that name
  (skl2onnx pipelines with raw string and numeric columns), shape (n, 1), in the input's type;
- one other input: the table's numeric feature columns in table order (or `columns`, a list the user
  gives), as one (n, k) matrix.
Outputs: the probability output (a ZipMap sequence of maps, or a tensor named like "prob"), else the
only float tensor output, read as probabilities when every row is in [0, 1] and sums to 1 and as
logits (softmax) otherwise; `output="probabilities"` / `"logits"` forces one reading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
import pandas as pd

from analysis.models.gate import ModelLoadError, _shown, check_file_size

ALLOWED_DOMAINS = frozenset({"", "ai.onnx", "ai.onnx.ml"})
OUTPUT_READINGS = ("auto", "probabilities", "logits")
_TYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(int64)": np.int64,
          "tensor(int32)": np.int32, "tensor(bool)": np.bool_, "tensor(string)": object}


def check_onnx(data: bytes, name: str):
    """The parsed ModelProto after every check; ModelLoadError otherwise."""
    import onnx

    check_file_size(data, name)
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:
        raise ModelLoadError(f"'{name}' is not an ONNX model ({type(exc).__name__}).") from None
    if model.functions:
        raise ModelLoadError(f"'{name}' defines its own functions ({len(model.functions)}); only standard "
                             "ONNX operators are allowed.")
    domains = {o.domain for o in model.opset_import} | {n.domain for n in _nodes(model.graph)}
    custom = sorted(d for d in domains if d not in ALLOWED_DOMAINS)
    if custom:
        raise ModelLoadError(f"'{name}' uses operators from domain(s) {', '.join(_shown(d) for d in custom)}; "
                             "only the standard ai.onnx and ai.onnx.ml operators are allowed.")
    for tensor in _tensors(model.graph):
        if tensor.data_location == onnx.TensorProto.EXTERNAL or len(tensor.external_data):
            where = next((e.value for e in tensor.external_data if e.key == "location"), "?")
            raise ModelLoadError(f"'{name}' keeps tensor '{_shown(tensor.name)}' in an external file "
                                 f"('{_shown(where)}'); external data is refused, export the model as one file.")
    try:
        onnx.checker.check_model(model)
    except Exception as exc:
        raise ModelLoadError(f"'{name}' failed the ONNX checker ({type(exc).__name__}).") from None
    return model


def _graphs(graph):
    yield graph
    for node in graph.node:
        for attr in node.attribute:
            if attr.HasField("g"):
                yield from _graphs(attr.g)
            for sub in attr.graphs:
                yield from _graphs(sub)


def _nodes(graph):
    for g in _graphs(graph):
        yield from g.node


def _tensors(graph):
    for g in _graphs(graph):
        yield from g.initializer
        for sparse in g.sparse_initializer:
            yield sparse.values
            yield sparse.indices
        for node in g.node:
            for attr in node.attribute:
                if attr.HasField("t"):
                    yield attr.t
                yield from attr.tensors


def suggest_recipe(model) -> str:
    """A reference recipe from the graph: tree ensembles -> gradient boosting, linear -> logistic
    regression, MatMul / Gemm stacks -> the Keras MLP."""
    ops = {n.op_type for n in _nodes(model.graph)}
    if ops & {"TreeEnsembleClassifier", "TreeEnsembleRegressor", "TreeEnsemble"}:
        return "gradient_boosting"
    if "LinearClassifier" in ops:
        return "logistic_regression"
    if ops & {"MatMul", "Gemm"}:
        return "keras_mlp"
    return "logistic_regression"


@dataclass
class OnnxModel:
    """A checked ONNX model: `bind` maps table columns to its inputs; `recipe` trains reference models."""

    data: bytes = field(repr=False)
    suggested_recipe: str
    zipmap_classes: Optional[list] = None
    columns: Optional[list[str]] = None  # user-given columns for a single tensor input
    output: str = "auto"
    reference_recipe: Optional[str] = None

    def __post_init__(self) -> None:
        if self.output not in OUTPUT_READINGS:
            raise ModelLoadError(f"output reading must be one of {', '.join(OUTPUT_READINGS)}, got {self.output!r}")
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(self.data, sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise ModelLoadError(f"onnxruntime could not open the model ({type(exc).__name__}).") from None
        self.inputs = [(i.name, i.type, list(i.shape)) for i in self.session.get_inputs()]
        self.outputs = [(o.name, o.type) for o in self.session.get_outputs()]

    def by_name(self, features: pd.DataFrame) -> bool:
        return len(self.inputs) > 1 or self.inputs[0][0] in features.columns

    def describe_inputs(self) -> str:
        if len(self.inputs) > 1:
            inputs = f"ONNX inputs by name: {', '.join(n for n, _, _ in self.inputs)}"
        elif self.columns:
            inputs = f"one ONNX input '{self.inputs[0][0]}' fed columns {', '.join(self.columns)} in this order"
        else:
            inputs = (f"ONNX input '{self.inputs[0][0]}': the column of that name, or else the numeric feature "
                      "columns in table order (missing as 0)")
        return f"{inputs}; output: {self.describe_output()}"

    def describe_output(self) -> str:
        for output_name, kind in self.outputs:
            if kind.startswith("seq(map("):
                return f"class probabilities from the ZipMap output '{output_name}'"
        reading = {"auto": "probabilities if every row sums to 1, else logits (softmax)",
                   "probabilities": "probabilities", "logits": "logits (softmax)"}[self.output]
        return f"the float tensor output read as {reading}"

    def bind(self, features: pd.DataFrame, labels: np.ndarray, name: str) -> "OnnxClassifier":
        if self.by_name(features):
            missing = [n for n, _, _ in self.inputs if n not in features.columns]
            if missing:
                raise ModelLoadError(f"the model '{name}' expects inputs {[n for n, _, _ in self.inputs]}; the data "
                                     f"lacks {missing} (available columns: {list(map(str, features.columns))})")
            columns = None
        else:
            from analysis.models.loading import numeric_columns

            columns = list(self.columns) if self.columns else numeric_columns(features)
            absent = [c for c in columns if c not in features.columns]
            width = self.inputs[0][2][-1] if self.inputs[0][2] else None
            if absent:
                raise ModelLoadError(f"the model '{name}': column(s) {absent} are not in the data "
                                     f"(available: {list(map(str, features.columns))})")
            if isinstance(width, int) and width != len(columns):
                raise ModelLoadError(f"the model '{name}' has one input '{self.inputs[0][0]}' of width {width}, but "
                                     f"{len(columns)} columns would feed it ({', '.join(columns)}); give the "
                                     "column list the model was trained on")
        classes = self.zipmap_classes
        if classes is None:
            labels = np.asarray(labels)
            classes = np.unique(labels.astype(str) if labels.dtype.kind in "OUT" else labels)
        return OnnxClassifier(self, columns, np.asarray(classes))

    def recipe(self, name: str):
        from analysis.models.recipes import get_recipe

        chosen = self.reference_recipe or self.suggested_recipe
        return ForeignReferenceRecipe(get_recipe(chosen), source=f"ONNX file {name}", chosen=chosen,
                                      suggested=self.suggested_recipe)


def zipmap_classes(model) -> Optional[list]:
    """Class labels of a ZipMap output (the node's attribute), or None."""
    for node in model.graph.node:
        if node.op_type == "ZipMap":
            for attr in node.attribute:
                if attr.name == "classlabels_int64s" and attr.ints:
                    return list(attr.ints)
                if attr.name == "classlabels_strings" and attr.strings:
                    return [s.decode() for s in attr.strings]
    return None


class OnnxClassifier:
    """A FittedModel over raw feature columns backed by an onnxruntime session."""

    def __init__(self, model: OnnxModel, columns: Optional[list[str]], classes: np.ndarray):
        self.model = model
        self.columns = columns
        self.classes_ = classes

    def _feeds(self, features: pd.DataFrame) -> dict[str, np.ndarray]:
        feeds = {}
        if self.columns is None:
            for input_name, kind, _ in self.model.inputs:
                series = features[input_name]
                dtype = _TYPES.get(kind, np.float32)
                if dtype is object:
                    values = series.astype(object).where(series.notna(), "").astype(str).to_numpy(dtype=object)
                else:
                    values = pd.to_numeric(series).astype("float64").fillna(0.0).to_numpy().astype(dtype)
                feeds[input_name] = values.reshape(-1, 1)
            return feeds
        from analysis.models.loading import numeric_matrix

        input_name, kind, _ = self.model.inputs[0]
        feeds[input_name] = numeric_matrix(features, self.columns).astype(_TYPES.get(kind, np.float32))
        return feeds

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        if len(features) == 0:
            return np.zeros((0, len(self.classes_)))
        outputs = self.model.session.run(None, self._feeds(features))
        return probabilities(outputs, self.model.outputs, len(self.classes_), self.model.output)


def probabilities(outputs: list, declared: list[tuple[str, str]], n_classes: int, reading: str) -> np.ndarray:
    """Class probabilities from a session's outputs (see module doc)."""
    for value, (_, kind) in zip(outputs, declared):
        if kind.startswith("seq(map("):
            return np.asarray([[row[k] for k in row] for row in value], dtype=np.float64)
    tensors = [(np.asarray(v), n) for v, (n, k) in zip(outputs, declared)
               if k in ("tensor(float)", "tensor(double)")]
    named = [t for t in tensors if "prob" in t[1].lower()]
    if not tensors:
        raise ValueError("the ONNX model has no float output to read probabilities from")
    out = (named or tensors)[0][0].astype(np.float64)
    out = out.reshape(-1, 1) if out.ndim == 1 else out.reshape(out.shape[0], -1)
    if out.shape[1] == 1 and n_classes == 2:
        p = out[:, 0]
        if reading == "logits" or (reading == "auto" and ((p < 0) | (p > 1)).any()):
            p = 1.0 / (1.0 + np.exp(-p))
        return np.column_stack([1.0 - p, p])
    looks_like_proba = bool((out >= 0).all() and (out <= 1).all() and np.allclose(out.sum(axis=1), 1, atol=1e-3))
    if reading == "logits" or (reading == "auto" and not looks_like_proba):
        shifted = out - out.max(axis=1, keepdims=True)
        out = np.exp(shifted)
    return out / np.clip(out.sum(axis=1, keepdims=True), 1e-12, None)


@dataclass(frozen=True)
class ForeignReferenceRecipe:
    """A recipe trained for the reference models of a foreign model; describe() records which and why."""

    inner: Any = field(repr=False)
    source: str = ""
    chosen: str = ""
    suggested: str = ""

    @property
    def name(self) -> str:
        return f"{self.chosen} (reference for {self.source})"

    def fit(self, features, labels, *, seed: int, progress=None):
        return self.inner.fit(features, labels, seed=seed, progress=progress)

    def describe(self) -> dict[str, Any]:
        return {"recipe": self.chosen, "reference_for": self.source, "suggested_from_graph": self.suggested,
                "settings": self.inner.describe(),
                "note": "reference models use a recipe chosen for the ONNX graph, not the model's own training; "
                        "attacks are weaker when the reference architecture differs from the target's"}
