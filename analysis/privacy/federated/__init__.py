"""Federated learning beside centralized training: FedAvg and DP-FedAvg in a Flower simulation.

What runs
- The loaded table is split into train/test rows (stratified by the label). The training rows are
  partitioned across K simulated clients (`partition_rows`): IID (a seeded random split), or by the
  values of a column (non-IID: each client holds rows with few values of that column).
- The model is the DP trade-off's Keras MLP (`analysis.models.keras_tabular.build_mlp_layers`) over
  the same preprocessing (`TabularPreprocessor`). **Simulation shortcut:** the preprocessor (category
  vocabularies, medians, means, standard deviations) is fitted once on the union of the clients'
  training rows and shared with every client. A real deployment would agree these statistics up
  front or compute them with federated analytics; they are aggregate statistics outside the DP
  guarantee below.
- Flower 1.23's simulation engine (`flwr.simulation.run_simulation`, ServerApp + ClientApp) runs the
  clients as Ray actors on this machine, CPU only. Ray is kept small (2 CPUs, 1 per client actor, a
  100 MB object store, no dashboard, worker logs not forwarded), started in its own temporary
  directory and shut down after the run; stray Ray processes of the run are ended by pid. Flower and
  Ray log lines are captured into the result (`log_tail`), not printed.
- Strategies are composed, not flagged: `FedAvg`, and DP-FedAvg = Flower's
  `DifferentialPrivacyServerSideFixedClipping(FedAvg(...))` with a fixed-denominator aggregation (clip
  each client's update to `clip_norm`, sum, divide by the expected clients per round m, not by the
  results received (McMahan et al. 2018), add Gaussian noise of std `noise_multiplier * clip_norm / m`).
  One client moves the aggregate by at most clip_norm / m, as the accountant assumes.
- Each round the server evaluates the global model on the held-out rows (utility per round). The
  final model goes through the membership-inference attacks (`analysis.attacks.audit.run_audit`,
  threshold family: members = training rows, non-members = held-out rows).
- Client-level epsilon: `analysis.privacy.federated_accounting.client_level_epsilon` (dp_accounting;
  Flower computes none). Optional DP-SGD inside each client (`client_dp=DPConfig(...)`) adds a
  sample-level epsilon, reported separately (`sample_epsilon`).
- `run_centralized` trains the same model on the pooled training rows for the same number of epochs
  (one "round" = `local_epochs` epochs, the Adam state restarted each round exactly as a single
  federated client's is), so FedAvg with one client and one round equals it up to float round-off.

Where things live (one concern per file; `from analysis.privacy.federated import X` works for every
name the old single module had):
- settings.py: FederatedSettings, the strategy names, FederatedCancelled.
- results.py: RoundMetrics, FederatedResult, FederatedComparison, protection_statement.
- partition.py: the train/held-out split, shared preprocessing, partition_rows.
- model.py: the Keras MLP, local training, held-out evaluation.
- client.py / strategies.py: the Flower client (in a Ray actor) and the server strategies.
- simulation.py: Ray and log hygiene (private small Ray, captured logs, stray processes).
- noise.py: client- and sample-level noise and accounting.
- assemble.py: attacks on the final model and the FederatedResult.
- run.py / centralized.py / compare.py: the entry points.
"""

# The private names are re-exported too, so code written against the single module keeps working.
from analysis.privacy.federated.assemble import _audit, _finish  # noqa: F401
from analysis.privacy.federated.centralized import run_centralized
from analysis.privacy.federated.client import _actor_run, _ActorRun, _client_fn, _ClientSpec  # noqa: F401
from analysis.privacy.federated.compare import compare_federated
from analysis.privacy.federated.model import (  # noqa: F401
    ModelCache, _build_model, _Evaluator, _f1, _fitted_model, _initial_weights, _local_fit, _ModelSpec,
    _roc_auc, _round_seed)
from analysis.privacy.federated.noise import _resolve_client_noise, _resolve_sample_noise  # noqa: F401
from analysis.privacy.federated.partition import (  # noqa: F401
    _MISSING, _encode, _label_values, _partition_by_value, _prepare, _Prepared, partition_rows)
from analysis.privacy.federated.results import (
    FederatedComparison, FederatedResult, RoundMetrics, protection_statement)
from analysis.privacy.federated.run import run_federated
from analysis.privacy.federated.settings import (  # noqa: F401
    DEFAULT_ATTACKS, DEFAULT_NOISE_MULTIPLIER, MODES, STRATEGIES, FederatedCancelled, FederatedSettings,
    _settings)
from analysis.privacy.federated.simulation import (  # noqa: F401
    _CAPTURED_LOGGERS, _LOG_TAIL, _RUN_LOCK, CLIENT_NUM_CPUS, RAY_DIRS_STARTED, RAY_NUM_CPUS,
    RAY_OBJECT_STORE_BYTES, RAY_TEMP_PREFIX, _captured_logs, _end_stragglers, _LogCapture, _seeded_globals,
    _small_ray, _telemetry_off, ray_processes)
from analysis.privacy.federated.strategies import (  # noqa: F401
    _fit_config, _recording_strategy, compose_strategy)
# The accounting stays in analysis/privacy/federated_accounting.py; the old module exported these too.
from analysis.privacy.federated_accounting import (
    ClientPrivacyAccounting, calibrate_client_noise, client_level_epsilon, default_client_delta)

__all__ = [
    "CLIENT_NUM_CPUS", "DEFAULT_ATTACKS", "DEFAULT_NOISE_MULTIPLIER", "MODES", "RAY_DIRS_STARTED",
    "RAY_NUM_CPUS", "RAY_OBJECT_STORE_BYTES", "RAY_TEMP_PREFIX", "STRATEGIES", "ClientPrivacyAccounting",
    "FederatedCancelled", "FederatedComparison", "FederatedResult", "FederatedSettings", "RoundMetrics",
    "calibrate_client_noise", "client_level_epsilon", "compare_federated",
    "compose_strategy", "default_client_delta", "partition_rows", "protection_statement", "ray_processes",
    "run_centralized", "run_federated",
]
