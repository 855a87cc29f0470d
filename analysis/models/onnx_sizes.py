"""How many elements a value-sized ONNX op makes, from the values of its size inputs, when shape
inference left its output shape open.

ONNX shape inference does not propagate every shape computation: `Tile(x, Concat(n, 1))` with n from
`Shape(x)` comes out as [?, ?] although its size is N^2 x width. With the rows fixed (`check_tensor_sizes`)
every tensor shape that feeds a `Shape` is known, so the size inputs (built from `Shape` / `Size`,
constants, shape plumbing and integer arithmetic) can be evaluated here with NumPy on a few integers,
and the output size computed per op. None when a value cannot be evaluated (a shape still unknown).
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np

_ARITHMETIC: dict[str, Callable] = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Max": np.maximum,
                                    "Min": np.minimum, "Div": lambda a, b: np.floor_divide(a, np.where(b == 0, 1, b))}


class ShapeValues:
    """Values of shape-computation tensors, evaluated on demand (memoised)."""

    def __init__(self, shapes: dict, producers: dict, constants: dict):
        self.shapes, self.producers, self.constants = shapes, producers, constants
        self.cache: dict[str, Optional[np.ndarray]] = {}

    def shape(self, tensor: str) -> Optional[list]:
        dims = self.shapes.get(tensor)
        return dims if dims is not None and None not in dims else None

    def value(self, tensor: str, depth: int = 0) -> Optional[np.ndarray]:
        if tensor in self.cache:
            return self.cache[tensor]
        self.cache[tensor] = None  # a cycle or a deep chain evaluates to "unknown"
        result = self._evaluate(tensor, depth) if depth < 64 else None
        if result is not None and result.size > 64:
            result = None  # not a shape
        self.cache[tensor] = result
        return result

    def _evaluate(self, tensor: str, depth: int) -> Optional[np.ndarray]:
        if tensor in self.constants:
            value = self.constants[tensor]()
            return None if value is None or value.dtype.kind not in "iuf" else np.asarray(value)
        node = self.producers.get(tensor)
        if node is None:
            return None
        args = [self.value(i, depth + 1) if i else None for i in node.input]
        attrs = {a.name: a for a in node.attribute}
        op = node.op_type
        if op == "Shape":
            dims = self.shape(node.input[0])
            if dims is None:
                return None
            start = attrs["start"].i if "start" in attrs else 0
            end = attrs["end"].i if "end" in attrs else len(dims)
            return np.asarray(dims[start:end], dtype=np.int64)
        if op == "Size":
            dims = self.shape(node.input[0])
            return None if dims is None else np.asarray(int(np.prod(dims, dtype=object)), dtype=np.int64)
        if args and args[0] is None:
            return None
        if op in ("Identity", "Cast", "Squeeze", "Unsqueeze", "Flatten", "Reshape"):
            return args[0].ravel() if op != "Identity" and args[0].ndim else args[0]
        if op == "Gather":
            return None if args[1] is None else np.take(args[0].ravel(), args[1].astype(np.int64), mode="clip")
        if op == "Slice":
            if any(a is None for a in args[1:3]):
                return None
            step = int(args[4].ravel()[0]) if len(args) > 4 and args[4] is not None else 1
            return args[0].ravel()[int(args[1].ravel()[0]):int(args[2].ravel()[0]):step or 1]
        if op == "Concat":
            return None if any(a is None for a in args) else np.concatenate([a.ravel() for a in args])
        if op in _ARITHMETIC and len(args) == 2 and args[1] is not None:
            return _ARITHMETIC[op](args[0].astype(np.float64), args[1].astype(np.float64))
        return None


def output_elements(node, values: ShapeValues) -> Optional[int]:
    """Elements of the (first) output of a value-sized op, or None when they cannot be computed."""
    op = node.op_type
    ins = list(node.input) + [""] * 4
    value = lambda i: values.value(ins[i]) if ins[i] else None  # noqa: E731
    shape = lambda i: values.shape(ins[i]) if ins[i] else None  # noqa: E731
    prod = lambda dims: int(np.prod([max(int(d), 0) for d in np.ravel(dims)], dtype=object))  # noqa: E731
    data = shape(0)
    if op in ("ConstantOfShape", "HannWindow", "HammingWindow", "BlackmanWindow"):
        size = value(0)
        return None if size is None else prod(size)
    if op == "Expand":
        target = value(1)
        if data is None or target is None:
            return None
        rank = max(len(data), target.size)
        left = [1] * (rank - len(data)) + list(data)
        right = [1] * (rank - target.size) + [int(v) for v in target.ravel()]
        return prod([max(a, b) for a, b in zip(left, right)])
    if op == "Tile":
        reps = value(1)
        return None if data is None or reps is None or reps.size != len(data) else prod(np.multiply(data, reps))
    if op == "Pad":
        pads = value(1)
        if data is None or pads is None or pads.size != 2 * len(data):
            return None
        return prod(np.add(data, pads[:len(data)] + pads[len(data):]))
    if op == "Range":
        start, limit, delta = value(0), value(1), value(2)
        if start is None or limit is None or delta is None or float(delta.ravel()[0]) == 0:
            return None
        return max(int(np.ceil((float(limit.ravel()[0]) - float(start.ravel()[0])) / float(delta.ravel()[0]))), 0)
    if op in ("Resize", "Upsample"):
        sizes = value(3) if op == "Resize" else None
        if sizes is not None and sizes.size:
            return prod(sizes)
        scales = value(2) if op == "Resize" else value(1)
        if data is None or scales is None or scales.size != len(data):
            return None
        return prod(np.ceil(np.multiply(data, scales)))
    if op == "OneHot":
        depth = value(1)
        return None if data is None or depth is None else prod(data) * prod(depth)
    if op in ("Reshape", "TopK", "EyeLike"):
        return None if data is None else prod(data)  # no larger than the input
    return None
