"""The size of a Keras model from its config.json alone, checked before Keras builds anything.

Keras allocates every weight while it rebuilds a model: `Dense(units=1e8)` asks for 1.9 GB and
`CategoryEncoding(num_tokens=2e9)` for more before any check of ours could run after it. `check_keras_size`
walks the layers of the (already allow-listed) config, follows each layer's inputs (Sequential: the
previous layer; Functional: `inbound_nodes`), and computes for each layer its output width (values per
row: Dense units, Embedding input_length x output_dim, CategoryEncoding num_tokens, Conv filters x steps,
RepeatVector n x width, Reshape / EinsumDense target shape, ...) and its parameter count (Dense
in x units + units, Embedding input_dim x output_dim, recurrent layers, normalisation, ...). A layer
acting on a sequence is counted as if it saw all values of a row at once, so the counts are upper bounds.
Refused above `max_keras_params` (total) or `max_keras_layer_width` (any layer), naming the layer.
"""

from __future__ import annotations

from typing import Any

from analysis.models.archive import ModelLoadError, _shown
from analysis.settings import get_settings

_KEEP_WIDTH = frozenset({"Dropout", "AlphaDropout", "GaussianDropout", "GaussianNoise", "SpatialDropout1D",
                         "ActivityRegularization", "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax",
                         "ThresholdedReLU", "Flatten", "Permute", "Masking", "Rescaling", "UnitNormalization",
                         "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "MaxPooling1D",
                         "AveragePooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling1D", "Dot"})


def _int(value: Any, layer: str, key: str, name: str) -> int:
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value < 0 \
            or value > 1e15:
        raise ModelLoadError(f"'{name}': layer {_shown(layer)!r} has {key} that is not a size; refused.")
    return int(value)


def _product(values: Any, layer: str, key: str, name: str) -> int:
    if not isinstance(values, (list, tuple)):
        return _int(values, layer, key, name)
    total = 1
    for value in values:
        total *= _int(value, layer, key, name)
    return total


def _inbound_names(layer: dict) -> list[str]:
    """Names of the layers feeding `layer` in a Functional config (Keras 2 lists and Keras 3 dicts)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            if len(node) >= 3 and isinstance(node[0], str) and isinstance(node[1], int):
                found.append(node[0])
                return
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            history = node.get("keras_history")
            if isinstance(history, list) and history and isinstance(history[0], str):
                found.append(history[0])
                return
            for item in node.values():
                walk(item)

    walk(layer.get("inbound_nodes", []))
    return found


def layer_size(class_name: str, config: dict, width_in: int, label: str, name: str) -> tuple[int, int]:
    """(output width, parameter count) of one layer given the values per row reaching it."""
    get = lambda key: _int(config.get(key), label, key, name)  # noqa: E731
    if class_name == "InputLayer":
        shape = config.get("batch_input_shape") or config.get("batch_shape") or [None] + list(config.get("shape") or [])
        return _product(list(shape)[1:], label, "input shape", name), 0
    if class_name == "Dense":
        units = get("units")
        return units, width_in * units + units
    if class_name == "EinsumDense":
        out = _product(config.get("output_shape"), label, "output_shape", name)
        return out, width_in * out + out
    if class_name == "Embedding":
        length = _int(config.get("input_length"), label, "input_length", name)
        return max(length, width_in) * get("output_dim"), get("input_dim") * get("output_dim")
    if class_name == "CategoryEncoding":
        return get("num_tokens"), 0
    if class_name == "Discretization":
        bins = config.get("bin_boundaries")
        return width_in, (len(bins) + 1 if isinstance(bins, list) else get("num_bins"))
    if class_name == "Conv1D":
        filters, kernel = get("filters"), _product(config.get("kernel_size"), label, "kernel_size", name)
        return max(width_in, 1) * filters, kernel * width_in * filters + filters
    if class_name in ("SimpleRNN", "GRU", "LSTM"):
        units, gates = get("units"), {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}[class_name]
        steps = width_in if config.get("return_sequences") else 1
        return steps * units, gates * (width_in * units + units * units + 2 * units)
    if class_name in ("Bidirectional", "TimeDistributed"):
        inner = config.get("layer") or {}
        width, params = layer_size(str(inner.get("class_name")), inner.get("config") or {}, width_in, label, name)
        return (2 * width, 2 * params) if class_name == "Bidirectional" else (width, params)
    if class_name == "RepeatVector":
        return get("n") * width_in, 0
    if class_name == "Reshape":
        return _product(config.get("target_shape"), label, "target_shape", name), 0
    if class_name in ("BatchNormalization", "LayerNormalization", "Normalization", "PReLU"):
        return width_in, 4 * width_in + 1
    if class_name == "Concatenate":
        return width_in, 0  # width_in is already the sum of the inputs
    return width_in, 0  # _KEEP_WIDTH and anything else on the allow-list: no larger than its input


def check_keras_size(config: dict, name: str) -> tuple[int, int]:
    """(parameter count, largest layer width) of an allow-listed Keras config; ModelLoadError over the limits."""
    settings = get_settings()
    max_params, max_width = int(settings.max_keras_params), int(settings.max_keras_layer_width)
    inner = config.get("config") if isinstance(config.get("config"), dict) else {}
    layers = inner.get("layers") or []
    if not isinstance(layers, list):
        raise ModelLoadError(f"'{name}' lists no layers.")
    sequential = config.get("class_name") == "Sequential"
    if sequential and inner.get("build_input_shape"):
        previous = _product(list(inner["build_input_shape"])[1:], "(model)", "build_input_shape", name)
    else:
        previous = 1
    widths: dict[str, int] = {}
    total, largest = 0, previous
    for index, layer in enumerate(layers):
        if not isinstance(layer, dict):
            continue
        layer_config = layer.get("config") if isinstance(layer.get("config"), dict) else {}
        label = str(layer.get("name") or layer_config.get("name") or f"layer {index}")
        class_name = str(layer.get("class_name"))
        if class_name in ("Sequential", "Functional", "Model"):
            params, width = check_keras_size(layer, name)
            widths[label], previous, total = width, width, total + params
            continue
        if sequential:
            width_in = previous
        else:
            inputs = [widths.get(n, 1) for n in _inbound_names(layer)]
            width_in = sum(inputs) if class_name == "Concatenate" else max(inputs, default=1)
        width, params = layer_size(class_name, layer_config, width_in, label, name)
        total += params
        largest = max(largest, width)
        if width > max_width:
            raise ModelLoadError(f"'{name}': layer {_shown(label)!r} ({_shown(class_name)}) outputs {width:,} values "
                                 f"per row, over the limit of {max_width:,} (setting max_keras_layer_width); "
                                 "refused before Keras allocates it.")
        if total > max_params:
            raise ModelLoadError(f"'{name}': the model has {total:,} or more parameters by layer {_shown(label)!r} "
                                 f"({_shown(class_name)}), over the limit of {max_params:,} (setting "
                                 "max_keras_params); refused before Keras allocates them.")
        widths[label], previous = width, width
    return total, largest
