"""What crosses between the app and the model worker: plain values and arrays, never a pickle.

A message is a JSON header followed by binary blobs, framed by `multiprocessing.connection`
(`send_bytes` / `recv_bytes`). Values: None, bool, int, float, str, bytes, lists, tuples, dicts,
NumPy arrays (`np.save` with `allow_pickle=False`; object arrays only when every item is a plain
scalar), pandas DataFrames and Series (Arrow IPC, app -> worker only), and `Remote` handles to objects
the worker keeps. The app decodes the worker's replies with `allow_frames=False`: a worker that a
model file took over can send nothing but JSON and `.npy` arrays, which NumPy parses in Python.
"""

from __future__ import annotations

import io
import json
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

_PLAIN = (type(None), bool, int, float, str)
MAX_HEADER_BYTES = 64 * 1024 * 1024


class WireError(ValueError):
    """A message that does not decode (a value of an unsupported type, or damaged bytes)."""


@dataclass(frozen=True)
class Remote:
    """A handle to an object that lives in the worker (a loaded model, a fitted reference model)."""

    id: int


def encode(value: Any) -> bytes:
    """One message: 4-byte header length, the JSON header, then each blob with an 8-byte length."""
    blobs: list[bytes] = []
    header = json.dumps(_pack(value, blobs)).encode()
    parts = [struct.pack("<I", len(header)), header]
    for blob in blobs:
        parts += [struct.pack("<Q", len(blob)), blob]
    return b"".join(parts)


def decode(message: bytes, *, allow_frames: bool) -> Any:
    view = memoryview(message)
    try:
        (size,) = struct.unpack_from("<I", view, 0)
        if size > MAX_HEADER_BYTES:
            raise WireError("message header too large")
        header = json.loads(bytes(view[4:4 + size]))
        blobs, offset = [], 4 + size
        while offset < len(view):
            (length,) = struct.unpack_from("<Q", view, offset)
            offset += 8
            if offset + length > len(view):
                raise WireError("truncated message")
            blobs.append(view[offset:offset + length])
            offset += length
    except (struct.error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireError(f"damaged message ({type(exc).__name__})") from None
    return _unpack(header, blobs, allow_frames)


def _pack(value: Any, blobs: list[bytes]) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, Remote):
        return {"t": "ref", "id": value.id}
    if isinstance(value, (bytes, bytearray, memoryview)):
        blobs.append(bytes(value))
        return {"t": "bytes", "b": len(blobs) - 1}
    if isinstance(value, (list, tuple)):
        return {"t": "list" if isinstance(value, list) else "tuple", "v": [_pack(v, blobs) for v in value]}
    if isinstance(value, dict):
        return {"t": "dict", "k": [_pack(k, blobs) for k in value], "v": [_pack(v, blobs) for v in value.values()]}
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            items = value.ravel().tolist()
            if not all(isinstance(item, _PLAIN) for item in items):
                raise WireError("an object array holds values that are not plain scalars")
            return {"t": "objarray", "shape": list(value.shape), "v": items}
        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)
        blobs.append(buffer.getvalue())
        return {"t": "ndarray", "b": len(blobs) - 1}
    if isinstance(value, pd.Series):
        return {"t": "series", "frame": _pack(value.to_frame(name=value.name if value.name is not None else 0),
                                                  blobs)}
    if isinstance(value, pd.DataFrame):
        import pyarrow as pa

        frame = value.copy(deep=False)
        names = [str(c) for c in frame.columns]
        frame.columns = [f"c{i}" for i in range(frame.shape[1])]  # any label, duplicates included
        sink = pa.BufferOutputStream()
        table = pa.Table.from_pandas(frame, preserve_index=True)
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        blobs.append(sink.getvalue().to_pybytes())
        return {"t": "frame", "b": len(blobs) - 1, "columns": [_pack(c, blobs) for c in value.columns],
                "names": names}
    raise WireError(f"a {type(value).__name__} cannot be sent to or from the model worker")


def _unpack(node: Any, blobs: list, allow_frames: bool) -> Any:
    if isinstance(node, _PLAIN):
        return node
    if isinstance(node, list):  # JSON lists only appear inside tagged nodes
        raise WireError("untagged list")
    if not isinstance(node, dict):
        raise WireError("unknown node")
    tag = node.get("t")
    if tag == "ref":
        return Remote(int(node["id"]))
    if tag == "bytes":
        return bytes(blobs[node["b"]])
    if tag in ("list", "tuple"):
        items = [_unpack(v, blobs, allow_frames) for v in node["v"]]
        return items if tag == "list" else tuple(items)
    if tag == "dict":
        keys = [_unpack(k, blobs, allow_frames) for k in node["k"]]
        return dict(zip(keys, (_unpack(v, blobs, allow_frames) for v in node["v"])))
    if tag == "objarray":
        items = node["v"]
        if not all(isinstance(item, _PLAIN) for item in items):
            raise WireError("an object array holds values that are not plain scalars")
        array = np.empty(len(items), dtype=object)
        array[:] = items
        return array.reshape(node["shape"])
    if tag == "ndarray":
        try:
            return np.load(io.BytesIO(blobs[node["b"]]), allow_pickle=False)
        except ValueError as exc:
            raise WireError(f"damaged array ({type(exc).__name__})") from None
    if tag in ("frame", "series") and not allow_frames:
        raise WireError("the model worker may send back arrays, not tables")
    if tag == "series":
        frame = _unpack(node["frame"], blobs, allow_frames)
        return frame.iloc[:, 0]
    if tag == "frame":
        import pyarrow as pa

        with pa.ipc.open_stream(pa.py_buffer(blobs[node["b"]])) as reader:
            frame = reader.read_all().to_pandas()
        frame.columns = [_unpack(c, blobs, allow_frames) for c in node["columns"]]
        return frame
    raise WireError(f"unknown node type {tag!r}")
