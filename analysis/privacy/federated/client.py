"""The Flower client. It runs inside a Ray actor, so everything it needs is picklable and importable:
a frozen spec plus the client's rows, read from an .npz file the driver wrote (no DataFrame crosses).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from analysis.privacy.federated.model import ModelCache, _local_fit, _ModelSpec, _round_seed


@dataclass(frozen=True)
class _ClientSpec:
    model: _ModelSpec
    data_dir: str
    uniform_weights: bool                     # DP-FedAvg: unweighted average
    dp_noise: Optional[tuple[float, ...]]     # DP-SGD noise multiplier per client, or None
    dp_clip: Optional[float]
    dp_poisson: bool = True                   # DP-SGD batches: Poisson (as accounted) or shuffled (approximation)


class _ActorRun:
    """What a client process keeps between Flower's calls for one run: clients' rows and the model cache."""

    def __init__(self, key: tuple[str, str]):
        self.key = key
        self.models = ModelCache()
        self._rows: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def rows(self, partition_id: int) -> tuple[np.ndarray, np.ndarray]:
        if partition_id not in self._rows:
            with np.load(Path(self.key[1]) / f"client_{partition_id}.npz") as f:
                self._rows[partition_id] = (f["x"], f["y"])
        return self._rows[partition_id]


# Set only inside a Ray actor, which belongs to one run's private Ray (its runtime environment carries
# PAD_RAY_DIR; the actor ends with that Ray). A new run's key replaces the old state; a client called
# outside an actor keeps nothing between calls.
_ACTOR_RUN: Optional[_ActorRun] = None


def _actor_run(data_dir: str) -> _ActorRun:
    global _ACTOR_RUN
    ray_dir = os.environ.get("PAD_RAY_DIR")
    if not ray_dir:
        return _ActorRun(("", data_dir))
    if _ACTOR_RUN is None or _ACTOR_RUN.key != (ray_dir, data_dir):
        _ACTOR_RUN = _ActorRun((ray_dir, data_dir))
    return _ACTOR_RUN


def _client_fn(spec: _ClientSpec, context):
    from flwr.client import NumPyClient

    partition_id = int(context.node_config["partition-id"])

    class Client(NumPyClient):
        def fit(self, parameters, config):
            server_round = int(config.get("server_round", 1))
            run = _actor_run(spec.data_dir)
            x, y = run.rows(partition_id)
            noise = spec.dp_noise[partition_id] if spec.dp_noise is not None else None
            weights, loss = _local_fit(spec.model, parameters, x, y,
                                       seed=_round_seed(spec.model.seed, partition_id, server_round),
                                       models=run.models, dp_noise=noise, dp_clip=spec.dp_clip,
                                       dp_poisson=spec.dp_poisson)
            n = 1 if spec.uniform_weights else len(x)
            return weights, n, {"loss": loss, "n_examples": int(len(x))}

        def evaluate(self, parameters, config):  # evaluation is centralized on the server
            return 0.0, 1, {}

    return Client().to_client()
