"""A user's model file, opened in the model worker; the app holds only handles and plain results.

`open_model(data, name, ...)` -> `RemoteLoadedModel`, with the same surface the attacks use from
`loading.LoadedModel`: `bind(frame, label)` gives a `RemoteModel` (a `FittedModel`: `classes_`,
`predict_proba`), `recipe()` a `RemoteRecipe` whose reference models are trained and scored in workers.
`inspect_file(data, name)` is `loading.inspect_model` run in a worker (the .skops types to confirm).

The functions named `worker_*` run inside the worker (analysis/models/sandbox.py); the classes run in
the app. The app pre-checks only what needs no parser: the extension (pickles refused) and the size.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Optional, Sequence

import numpy as np
import pandas as pd

from analysis.models.sandbox import ModelWorker, WorkerIdleClosed, keep
from analysis.progress import ProgressCallback, report

_MODULE = "analysis.models.remote"


# ------------------------------------------------------------------------------------------------
# Worker side: module-level functions taking and returning plain values (or kept objects).


def worker_inspect(data: bytes, name: str) -> dict:
    from dataclasses import asdict

    from analysis.models.loading import inspect_model

    return asdict(inspect_model(data, name))


def worker_load(data: bytes, name: str, options: dict) -> tuple:
    from analysis.models.loading import load_model

    loaded = load_model(data, name, **options)
    return keep(loaded), {"name": loaded.name, "kind": loaded.kind, "fingerprint": loaded.fingerprint,
                          "trusted_types": list(loaded.trusted_types), "inputs": loaded.input_description(),
                          "recipe": loaded.recipe().describe()}


def worker_bind(loaded, frame: pd.DataFrame, label: str) -> tuple:
    from analysis.attacks.scores import forest_size

    model = loaded.bind(frame, label)
    return keep(model), {"classes": np.asarray(model.classes_), "forest_trees": forest_size(model)}


def worker_predict_proba(model, features: pd.DataFrame) -> np.ndarray:
    return np.asarray(model.predict_proba(features), dtype=np.float64)


def worker_fit(loaded, features: pd.DataFrame, labels: np.ndarray, seed: int) -> tuple:
    from analysis.attacks.scores import forest_size

    model = loaded.recipe().fit(features, labels, seed=seed)
    return keep(model), {"classes": np.asarray(model.classes_), "forest_trees": forest_size(model)}


def worker_fit_and_score(loaded, features: pd.DataFrame, labels: np.ndarray, train_rows: np.ndarray,
                         seed: int) -> tuple:
    from analysis.attacks.reference import ReferenceTask, fit_and_score

    return fit_and_score(ReferenceTask(recipe=loaded.recipe(), features=features, labels=labels,
                                       train_rows=train_rows, seed=seed))


# ------------------------------------------------------------------------------------------------
# App side.


def _precheck(data: bytes, name: str) -> None:
    from analysis.models import gate
    from analysis.models.loading import CONVERT_HINT, ModelLoadError, _kind

    kind = _kind(name)  # unknown extensions and pickles are refused by name
    gate.check_file_size(data, name)
    if data[:1] == b"\x80":
        raise ModelLoadError(f"'{name}' is a pickle, not a {kind} file. {CONVERT_HINT}")


def inspect_file(data: bytes, name: str, *, progress: Optional[ProgressCallback] = None):
    """`loading.inspect_model`, run in a short-lived worker (skops type lists, Keras config checks)."""
    from analysis.models.loading import ModelInspection

    data = bytes(data)
    _precheck(data, name)
    with ModelWorker() as worker:
        fields = worker.call(f"{_MODULE}:worker_inspect", data, name, activity="checking the model file",
                             progress=progress)
    return ModelInspection(**fields)


def open_model(data: bytes, name: str, *, trusted_types: Optional[list[str]] = None,
               onnx_columns: Optional[list[str]] = None, onnx_output: str = "auto",
               reference_recipe: Optional[str] = None,
               progress: Optional[ProgressCallback] = None) -> "RemoteLoadedModel":
    """Load a model file in a new worker (the gate runs there too); ModelLoadError when it is refused,
    crashes, hangs or passes a limit."""
    data = bytes(data)
    _precheck(data, name)
    options = {"trusted_types": list(trusted_types or []), "onnx_columns": list(onnx_columns) if onnx_columns else None,
               "onnx_output": onnx_output, "reference_recipe": reference_recipe}
    worker = ModelWorker()
    try:
        handle, meta = worker.call(f"{_MODULE}:worker_load", data, name, options, activity="loading the model",
                                   progress=progress)
    except BaseException:
        worker.close()
        raise
    return RemoteLoadedModel(worker, handle, meta, data, options)


class RemoteLoadedModel:
    """A model file loaded in its worker; what `loading.LoadedModel` offers, by handle.

    A worker left unused is closed (setting PRIVACY_AUDIT_WORKER_IDLE_SECONDS); the next use loads the file
    again in a new worker (`generation` counts the loads) and each bound model binds its rows again."""

    def __init__(self, worker: ModelWorker, handle, meta: dict, data: bytes, options: dict):
        self.worker, self.handle = worker, handle
        self.generation = 0
        self.name, self.kind = meta["name"], meta["kind"]
        self.fingerprint = meta["fingerprint"]
        self.trusted_types = list(meta["trusted_types"])
        self.inputs = meta["inputs"]
        self.recipe_settings = meta["recipe"]
        self._data, self._options = data, options  # to open more workers for reference models

    @property
    def isolation(self) -> dict:
        return dict(self.worker.isolation)

    def ensure_open(self) -> None:
        """Load the file again if its worker was closed for being idle (the same checks run there again)."""
        if self.worker.idle:
            again = open_model(self._data, self.name, **self._options)
            self.worker, self.handle = again.worker, again.handle
            self.generation += 1
        self.worker.last_used = time.monotonic()  # the call that follows is not closed under it

    def call(self, target: str, *args: Any, activity: str) -> Any:
        """`worker.call` on the loaded file's worker, loading it again first if it was closed for being idle."""
        self.ensure_open()
        return self.worker.call(target, *args, activity=activity)

    def input_description(self) -> str:
        return self.inputs

    def bind(self, frame: pd.DataFrame, label: str) -> "RemoteModel":
        handle, meta = self.call(f"{_MODULE}:worker_bind", self.handle, frame, label,
                                 activity="checking the model against the data")
        return RemoteModel(self, handle, meta, bound_to=(frame, label))

    def recipe(self) -> "RemoteRecipe":
        return RemoteRecipe(self)

    def close(self) -> None:
        self.worker.close()

    def reopen(self) -> "RemoteLoadedModel":
        """The same file in a new worker (for parallel reference models)."""
        return open_model(self._data, self.name, **self._options)


class RemoteModel:
    """A bound model in the worker: `predict_proba` sends the rows there and gets the array back.
    `bound_to`: the (rows, label) of `bind`, to bind again after the file was loaded again (a reference model
    trained in the worker has none: it lives only as long as its worker)."""

    def __init__(self, loaded: RemoteLoadedModel, handle, meta: dict, bound_to: Optional[tuple] = None):
        self.loaded, self.handle = loaded, handle
        self.classes_ = np.asarray(meta["classes"])
        self.forest_trees = meta.get("forest_trees")  # read by attacks.scores.forest_size
        self.name = loaded.name
        self._bound_to, self._generation = bound_to, loaded.generation

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        self.loaded.ensure_open()
        worker = self.loaded.worker
        if self._generation != self.loaded.generation:
            if self._bound_to is None:
                raise WorkerIdleClosed("this reference model's worker was closed after it was left unused; run "
                                       "the audit again")
            self.handle = worker.call(f"{_MODULE}:worker_bind", self.loaded.handle, *self._bound_to,
                                      activity="checking the model against the data")[0]
            self._generation = self.loaded.generation
        return worker.call(f"{_MODULE}:worker_predict_proba", self.handle, features, activity="scoring records")


class RemoteRecipe:
    """Retrains the loaded model's kind with the file's parameters, in workers only."""

    def __init__(self, loaded: RemoteLoadedModel):
        self.loaded = loaded
        self.name = str(loaded.recipe_settings.get("recipe", f"retrain of {loaded.name}"))

    def describe(self) -> dict[str, Any]:
        return dict(self.loaded.recipe_settings)

    def fit(self, features: pd.DataFrame, labels: np.ndarray, *, seed: int, progress=None) -> RemoteModel:
        handle, meta = self.loaded.call(f"{_MODULE}:worker_fit", self.loaded.handle, features, np.asarray(labels),
                                        int(seed), activity="training a reference model")
        return RemoteModel(self.loaded, handle, meta)

    def fit_and_score_all(self, tasks: Sequence, *, n_jobs: int, progress: Optional[ProgressCallback],
                          label: str) -> list:
        """Each reference task (`attacks.reference.ReferenceTask`) trained and scored in a worker: the
        loaded one plus up to n_jobs - 1 more opened on the same file; results in task order."""
        tasks = list(tasks)
        self.loaded.ensure_open()
        loaded_models = [self.loaded]
        try:
            for _ in range(max(0, min(n_jobs, len(tasks)) - 1)):
                loaded_models.append(self.loaded.reopen())
            return _run_spread(loaded_models, tasks, progress, label)
        finally:
            for extra in loaded_models[1:]:
                extra.close()


def _run_spread(loaded_models: list[RemoteLoadedModel], tasks: list, progress, label: str) -> list:
    results: list = [None] * len(tasks)
    errors: list[BaseException] = []
    lock = threading.Lock()
    pending = list(range(len(tasks)))
    done = [0]

    def serve(loaded: RemoteLoadedModel) -> None:
        while True:
            with lock:
                if not pending or errors:
                    return
                index = pending.pop(0)
            task = tasks[index]
            try:
                results[index] = loaded.worker.call(
                    f"{_MODULE}:worker_fit_and_score", loaded.handle, task.features, task.labels, task.train_rows,
                    int(task.seed), activity="training a reference model", progress=progress)
            except BaseException as exc:  # the first error stops the others and is raised below
                with lock:
                    errors.append(exc)
                return
            with lock:
                done[0] += 1
                report(progress, done[0] / len(tasks), f"{label} {done[0]}/{len(tasks)} (model worker)")

    threads = [threading.Thread(target=serve, args=(m,), daemon=True) for m in loaded_models[1:]]
    for thread in threads:
        thread.start()
    serve(loaded_models[0])
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results

