"""ONNX models through onnxruntime (CPU), checked before a session is created.

Gate (`check_onnx(data, name, rows)`): size limit (`max_model_uncompressed_mb`), parsed without external
data, `onnx.checker`, only the `ai.onnx` (empty domain) and `ai.onnx.ml` operator sets, no local
functions, no tensor anywhere (initializers, attributes, subgraphs) with external data (an ONNX file
can name `../../etc/passwd` as the place of its weights), and no control flow (Loop / Scan / If /
SequenceMap: `check_control_flow`). Then `check_tensor_sizes` at the number of rows one onnxruntime
call gets (`scored_rows`: the rows to score, at most `onnx_batch_rows`; scoring runs in chunks of that
size): the batch dimension set to that count, shape inference with data propagation, no tensor over
`max_onnx_tensor_elements` (unknown dimensions counted as the rows, broadcasting followed), and no
size-setting op (ConstantOfShape, Expand, Tile, Range, HannWindow, TopK, ...: `SIZE_SETTING_OPS`) sized
by anything but tensor shapes and small constants.

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
from analysis.models.onnx_sizes import ShapeValues, output_elements

ALLOWED_DOMAINS = frozenset({"", "ai.onnx", "ai.onnx.ml"})
OUTPUT_READINGS = ("auto", "probabilities", "logits")
_TYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(int64)": np.int64,
          "tensor(int32)": np.int32, "tensor(bool)": np.bool_, "tensor(string)": object}


def check_onnx(data: bytes, name: str, rows: Optional[int] = None):
    """The parsed ModelProto after every check; ModelLoadError otherwise.

    `rows`: how many rows will be scored at most in one call (the real row count of the table). Sizes
    are checked at min(rows, `onnx_batch_rows`); give the same `rows` to `OnnxModel(batch_rows=...)`,
    which never gives onnxruntime more rows than that at once. None checks at `onnx_batch_rows`, the
    most any one call gets when `batch_rows` is None too."""
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
    check_control_flow(model, name)
    try:
        onnx.checker.check_model(model)
    except Exception as exc:
        raise ModelLoadError(f"'{name}' failed the ONNX checker ({type(exc).__name__}).") from None
    check_tensor_sizes(model, name, scored_rows(rows))
    return model


def scored_rows(rows: Optional[int] = None) -> int:
    """The most rows one onnxruntime call gets: `rows` capped at the setting `onnx_batch_rows`."""
    from analysis.settings import get_settings

    batch = max(1, int(get_settings().onnx_batch_rows))
    return batch if rows is None else max(1, min(int(rows), batch))


def check_control_flow(model, name: str) -> None:
    """Refuse any node holding a subgraph (Loop, Scan, If, SequenceMap): a model that is only scored has
    no need of them, and a Loop's trip count (2^62) or a Scan's length is a value, not a size."""
    for node in _nodes(model.graph):
        if any(attr.HasField("g") or len(attr.graphs) for attr in node.attribute):
            raise ModelLoadError(f"'{name}': {_node_label(node, node.output[0] if node.output else '?')} runs a "
                                 "subgraph (control flow); Loop, Scan, If and SequenceMap are refused in a model "
                                 "that is only scored.")


# Ops that make a tensor whose size comes from another input's VALUES, not from the data's size: a
# 326-byte file with ConstantOfShape [20000, 20000] asks onnxruntime for 1.6 GB; HannWindow(10^9) is a
# window of a billion values. Value: the inputs that set the output size. (Ops sized by attributes,
# RandomNormal / RandomUniform / Multinomial, get their full shape from shape inference and are covered by
# the size check; ops whose output is no larger than their inputs, Slice / Gather / NonZero / Compress,
# are bounded by those inputs.)
SIZE_SETTING_OPS = {"ConstantOfShape": (0,), "Expand": (1,), "Tile": (1,), "Range": (0, 1, 2), "Pad": (1,),
                    "Resize": (1, 2, 3), "Upsample": (1,), "OneHot": (1,), "MaxUnpool": (2,), "EyeLike": (0,),
                    "CenterCropPad": (1,), "Col2Im": (1, 2), "Reshape": (1,), "TopK": (1,),
                    "HannWindow": (0,), "HammingWindow": (0,), "BlackmanWindow": (0,), "DFT": (1,),
                    "STFT": (1, 3), "MelWeightMatrix": (0, 1, 2), "AffineGrid": (1,), "ImageDecoder": (0,)}
# A size input may only be computed from the shape of a tensor (Shape / Size) and small constants
# through these shape-plumbing ops: then its unknown dimensions are the batch's.
_SHAPE_PLUMBING = {"Gather": (0,), "Slice": (0,), "Concat": None, "Unsqueeze": (0,), "Squeeze": (0,),
                   "Cast": (0,), "Identity": (0,), "Reshape": (0,), "Flatten": (0,)}


def open_session(data: bytes, what: str):
    """An onnxruntime session for a checked model: one thread, CPU only, no arena or memory-pattern
    pre-planning (memory is taken per tensor as needed and given back). `what` names it in the error."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.enable_cpu_mem_arena = False
    options.enable_mem_pattern = False
    try:
        return ort.InferenceSession(data, sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ModelLoadError(f"onnxruntime could not open {what} ({type(exc).__name__}).") from None


def check_tensor_sizes(model, name: str, rows: int = 1) -> None:
    """Refuse a model whose tensors could be huge at `rows` rows, before onnxruntime allocates anything.

    Every unknown dimension of a graph input's first axis is set to `rows` (the batch), then shape
    inference with data propagation gives each tensor a shape: broadcasting, Shape(X) arithmetic and
    ConstantOfShape(Concat(n, n, n)) with n from Shape(X) come out with the real row count in them. A
    dimension still unknown counts as `rows` (it can only come from the data). Each tensor's product
    must stay within `max_onnx_tensor_elements`. A size-setting op (`SIZE_SETTING_OPS`) whose output
    size is still not fully known gets its size computed from the values of its size inputs
    (`onnx_sizes.output_elements`: shapes, constants, shape plumbing and arithmetic, evaluated); when
    that is not possible it must take its size inputs from tensor shapes and constants only
    (`_size_source_problem`), each constant within the limit."""
    import onnx

    from analysis.settings import get_settings

    limit = int(get_settings().max_onnx_tensor_elements)
    batch = onnx.ModelProto()
    batch.CopyFrom(model)
    initializers = {t.name for t in batch.graph.initializer}
    for value in batch.graph.input:
        if value.name in initializers or not value.type.HasField("tensor_type"):
            continue
        dims = value.type.tensor_type.shape.dim
        if len(dims) and not dims[0].HasField("dim_value"):
            dims[0].dim_value = rows
    try:
        inferred = onnx.shape_inference.infer_shapes(batch, strict_mode=False, data_prop=True)
    except Exception as exc:
        raise ModelLoadError(f"'{name}': ONNX shape inference failed ({type(exc).__name__}); the tensor sizes "
                             "cannot be checked.") from None
    producers = {out: node for node in _nodes(inferred.graph) for out in node.output if out}
    shapes = {}
    for graph in _graphs(inferred.graph):
        for value in (*graph.value_info, *graph.output):
            if value.type.HasField("tensor_type") and value.type.tensor_type.HasField("shape"):
                shapes[value.name] = [d.dim_value if d.HasField("dim_value") and d.dim_value >= 0 else None
                                      for d in value.type.tensor_type.shape.dim]
    constants = _constants(inferred.graph)
    known = dict(shapes)
    for value in inferred.graph.input:
        if value.type.HasField("tensor_type") and value.type.tensor_type.HasField("shape"):
            known[value.name] = [d.dim_value if d.HasField("dim_value") else None
                                 for d in value.type.tensor_type.shape.dim]
    for tensor in inferred.graph.initializer:
        known[tensor.name] = list(tensor.dims)
    values = ShapeValues(known, producers, constants)
    computed = {}
    for node in _nodes(inferred.graph):
        if node.op_type not in SIZE_SETTING_OPS:
            continue
        dims = [shapes.get(out) for out in node.output if out]
        if dims and all(d is not None and None not in d for d in dims):
            continue  # fully known: the size check below covers it
        elements = output_elements(node, values)  # what shape inference left open, from the size values
        if elements is not None:  # every value it came from is a shape or a constant
            if elements > limit:
                raise ModelLoadError(f"'{name}': {_node_label(node, node.output[0])} makes {elements:,} elements "
                                     f"with {rows:,} rows scored at once (its size computed from the shapes), over "
                                     f"the limit of {limit:,} (setting max_onnx_tensor_elements; rows at once: "
                                     "onnx_batch_rows).")
            computed[node.output[0]] = elements
            continue
        for index in SIZE_SETTING_OPS[node.op_type]:
            if index < len(node.input) and node.input[index]:
                problem = _size_source_problem(node.input[index], producers, constants, limit, set(),
                                               steps=node.op_type == "Range" and index == 2)
                if problem:
                    raise ModelLoadError(f"'{name}': {_node_label(node, node.output[0])} has an output size that "
                                         f"cannot be known before it runs ({problem}); refused (limit "
                                         f"{limit:,} elements, setting max_onnx_tensor_elements).")
    for tensor_name, dims in shapes.items():
        if tensor_name in computed:
            continue
        elements = int(np.prod([rows if d is None else d for d in dims], dtype=object)) if dims else 1
        if elements > limit:
            node = producers.get(tensor_name)
            raise ModelLoadError(f"'{name}': {_node_label(node, tensor_name)} makes a tensor of shape "
                                 f"{[d if d is not None else '?' for d in dims]} ({elements:,} elements with "
                                 f"{rows:,} rows scored at once, unknown dimensions counted as the rows), over "
                                 f"the limit of {limit:,} (setting max_onnx_tensor_elements; rows at once: "
                                 "onnx_batch_rows).")


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
    batch_rows: Optional[int] = None  # the `rows` given to check_onnx: never more rows per onnxruntime call

    def __post_init__(self) -> None:
        if self.output not in OUTPUT_READINGS:
            raise ModelLoadError(f"output reading must be one of {', '.join(OUTPUT_READINGS)}, got {self.output!r}")
        self.session = open_session(self.data, "the model")
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
        step = scored_rows(self.model.batch_rows)  # the row count check_onnx bounded every tensor at
        parts = []
        for start in range(0, len(features), step):
            outputs = self.model.session.run(None, self._feeds(features.iloc[start:start + step]))
            parts.append(probabilities(outputs, self.model.outputs, len(self.classes_), self.model.output))
        return np.concatenate(parts)


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
