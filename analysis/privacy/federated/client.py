"""The Flower client. It runs inside a Ray actor, so everything it needs is picklable and importable:
a frozen spec plus the client's rows, read from an .npz file the driver wrote (no DataFrame crosses).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from analysis.privacy.federated.model import _local_fit, _ModelSpec, _round_seed


@dataclass(frozen=True)
class _ClientSpec:
    model: _ModelSpec
    data_dir: str
    uniform_weights: bool                     # DP-FedAvg: unweighted average
    dp_noise: Optional[tuple[float, ...]]     # DP-SGD noise multiplier per client, or None
    dp_clip: Optional[float]


@functools.lru_cache(maxsize=8)
def _client_data(data_dir: str, partition_id: int) -> tuple[np.ndarray, np.ndarray]:
    with np.load(Path(data_dir) / f"client_{partition_id}.npz") as f:
        return f["x"], f["y"]


def _client_fn(spec: _ClientSpec, context):
    from flwr.client import NumPyClient

    partition_id = int(context.node_config["partition-id"])

    class Client(NumPyClient):
        def fit(self, parameters, config):
            server_round = int(config.get("server_round", 1))
            x, y = _client_data(spec.data_dir, partition_id)
            noise = spec.dp_noise[partition_id] if spec.dp_noise is not None else None
            weights, loss = _local_fit(spec.model, parameters, x, y,
                                       seed=_round_seed(spec.model.seed, partition_id, server_round),
                                       dp_noise=noise, dp_clip=spec.dp_clip)
            n = 1 if spec.uniform_weights else len(x)
            return weights, n, {"loss": loss, "n_examples": int(len(x))}

        def evaluate(self, parameters, config):  # evaluation is centralized on the server
            return 0.0, 1, {}

    return Client().to_client()
