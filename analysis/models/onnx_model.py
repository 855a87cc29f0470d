"""ONNX models through onnxruntime (CPU), checked before a session is created.

Gate (`check_onnx`): size limit (`max_model_uncompressed_mb`), parsed without external data,
`onnx.checker`, only the `ai.onnx` (empty domain) and `ai.onnx.ml` operator sets, no local functions,
and no tensor anywhere (initializers, attributes, subgraphs) with external data: an ONNX file can
name `../../etc/passwd` as the place of its weights. Then `check_tensor_sizes`: no tensor over
`max_onnx_tensor_elements` by shape inference, and no size-setting op (ConstantOfShape, Expand, Tile,
Range, ...) sized by anything but tensor shapes and small constants.

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
    check_tensor_sizes(model, name)
    return model


# Ops that make a tensor whose size comes from another input's values, not from the data's size: a
# 326-byte file with ConstantOfShape [20000, 20000] asks onnxruntime for 1.6 GB. Value: the inputs
# that set the output size.
SIZE_SETTING_OPS = {"ConstantOfShape": (0,), "Expand": (1,), "Tile": (1,), "Range": (0, 1, 2), "Pad": (1,),
                    "Resize": (1, 2, 3), "Upsample": (1,), "OneHot": (1,), "MaxUnpool": (2,), "EyeLike": (0,),
                    "CenterCropPad": (1,), "Col2Im": (1, 2)}
# A size input may only be computed from the shape of a tensor (Shape / Size) and small constants
# through these shape-plumbing ops: then its unknown dimensions are the batch's.
_SHAPE_PLUMBING = {"Gather": (0,), "Slice": (0,), "Concat": None, "Unsqueeze": (0,), "Squeeze": (0,),
                   "Cast": (0,), "Identity": (0,), "Reshape": (0,), "Flatten": (0,)}


def check_tensor_sizes(model, name: str) -> None:
    """Refuse a model whose tensors could be huge, before onnxruntime allocates anything.

    Shape inference (with data propagation) gives each tensor a shape; the product of its known
    dimensions (unknown ones, the batch, count as 1) must stay within `max_onnx_tensor_elements`. A
    size-setting op (`SIZE_SETTING_OPS`) whose output size is not fully known must take its size inputs
    from tensor shapes and constants only (`_size_source_problem`), each constant within the limit."""
    import onnx

    from analysis.settings import get_settings

    limit = int(get_settings().max_onnx_tensor_elements)
    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except Exception as exc:
        raise ModelLoadError(f"'{name}': ONNX shape inference failed ({type(exc).__name__}); the tensor sizes "
                             "cannot be checked.") from None
    producers = {out: node for node in _nodes(inferred.graph) for out in node.output if out}
    shapes = {}
    for graph in _graphs(inferred.graph):
        for value in (*graph.value_info, *graph.output):
            if value.type.HasField("tensor_type") and value.type.tensor_type.HasField("shape"):
                shapes[value.name] = [d.dim_value if d.HasField("dim_value") else None
                                      for d in value.type.tensor_type.shape.dim]
    for tensor_name, dims in shapes.items():
        known = int(np.prod([d for d in dims if d is not None], dtype=object)) if dims else 1
        if known > limit:
            node = producers.get(tensor_name)
            raise ModelLoadError(f"'{name}': {_node_label(node, tensor_name)} makes a tensor of shape "
                                 f"{[d if d is not None else '?' for d in dims]} ({known:,} elements), over the "
                                 f"limit of {limit:,} (setting max_onnx_tensor_elements).")
    constants = _constants(inferred.graph)
    for node in _nodes(inferred.graph):
        if node.op_type not in SIZE_SETTING_OPS:
            continue
        dims = [shapes.get(out) for out in node.output if out]
        if dims and all(d is not None and None not in d for d in dims):
            continue  # fully known: the size check above covered it
        for index in SIZE_SETTING_OPS[node.op_type]:
            if index < len(node.input) and node.input[index]:
                problem = _size_source_problem(node.input[index], producers, constants, limit, set(),
                                               steps=node.op_type == "Range" and index == 2)
                if problem:
                    raise ModelLoadError(f"'{name}': {_node_label(node, node.output[0])} has an output size that "
                                         f"cannot be known before it runs ({problem}); refused (limit "
                                         f"{limit:,} elements, setting max_onnx_tensor_elements).")


def _node_label(node, tensor_name: str) -> str:
    if node is None:
        return f"tensor '{_shown(tensor_name)}'"
    return f"node '{_shown(node.name or tensor_name)}' ({node.op_type})"


def _constants(graph) -> dict:
    """Initializer and Constant-node values by name, read lazily (callables)."""
    from onnx import numpy_helper

    values = {}
    for g in _graphs(graph):
        for tensor in g.initializer:
            values[tensor.name] = lambda t=tensor: numpy_helper.to_array(t)
        for node in g.node:
            if node.op_type == "Constant" and node.output:
                values[node.output[0]] = lambda n=node: _constant_value(n)
    return values


def _constant_value(node):
    from onnx import numpy_helper

    for attr in node.attribute:
        if attr.name == "value":
            return numpy_helper.to_array(attr.t)
        if attr.name in ("value_int", "value_float"):
            return np.asarray([attr.i if attr.name == "value_int" else attr.f])
        if attr.name in ("value_ints", "value_floats"):
            return np.asarray(list(attr.ints if attr.name == "value_ints" else attr.floats))
    return None  # sparse or string constants: not a size


def _size_source_problem(tensor_name: str, producers: dict, constants: dict, limit: int, seen: set,
                         steps: bool = False):
    """None when `tensor_name` comes from tensor shapes (Shape / Size) and constants within `limit`
    through shape plumbing; else why not. `steps`: a Range delta, whose constants must be at least 1 in
    size (a step of 1e-9 over [0, 1) is a billion elements)."""
    if tensor_name in seen:
        return None
    seen.add(tensor_name)
    if tensor_name in constants:
        value = constants[tensor_name]()
        if value is None or value.dtype.kind not in "iuf" or not np.isfinite(value).all():
            return f"its size input '{_shown(tensor_name)}' is not a number"
        size = int(np.prod([max(1, int(abs(v))) for v in value.ravel()], dtype=object)) if value.size else 1
        if size > limit:
            return f"its size input '{_shown(tensor_name)}' asks for {size:,} elements"
        if steps and (np.abs(value) < 1).any():
            return f"its step '{_shown(tensor_name)}' is below 1"
        return None
    node = producers.get(tensor_name)
    if node is None:
        return f"its size input '{_shown(tensor_name)}' is a model input"
    if node.op_type in ("Shape", "Size"):
        return None
    if node.op_type not in _SHAPE_PLUMBING:
        return f"its size input '{_shown(tensor_name)}' is computed by a {node.op_type} node"
    indices = _SHAPE_PLUMBING[node.op_type] or range(len(node.input))
    for index in indices:
        if index < len(node.input) and node.input[index]:
            problem = _size_source_problem(node.input[index], producers, constants, limit, seen, steps)
            if problem:
                return problem
    return None


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
        # No arena or memory-pattern pre-planning: memory is taken per tensor as needed and given back.
        options.enable_cpu_mem_arena = False
        options.enable_mem_pattern = False
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
            from analysis.models.columns import numeric_columns

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
        from analysis.models.columns import numeric_matrix

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
