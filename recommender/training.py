"""Training loops for the NCF models over a run folder written by the sampling step.

Run folder (Parquet files or Spark folders of part files):
    meta.json                        {"n_users": U, "n_movies": M, ...}; indexes are 0..U-1 and 0..M-1
    train.parquet                    user_idx, movie_idx, rating, ts: the training positives
    validation.parquet, test.parquet user_idx, movie_idx, rating: one held-out rating per user
    negatives.parquet/epoch=E/       user_idx, movie_idx: 4 unrated movies per train positive for epoch E
    validation_candidates.parquet,   user_idx, movie_idx: 99 unrated movies per held-out user
    test_candidates.parquet

Implicit training (He et al. 2017, section 4.1): each epoch is every train positive (label 1) plus that
epoch's negatives (label 0), shuffled, binary cross-entropy on logits, Adam. The run's negative epochs are
cycled when training runs longer. Early stopping watches validation HR@K over the validation candidates.
Explicit training: squared error on the train ratings, early stopping on validation RMSE.

L2 acts on the embedding rows of each batch only (``l2 * mean over pairs of the squared norms of the rows
the pair uses``), the per-example regularisation of SGD matrix factorisation: rows are shrunk in proportion
to how often they are used, and rows absent from a batch are left alone, which plain weight decay under
Adam would not do.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from recommender.evaluation import evaluate_sampled, read_columns, read_meta, read_pairs, rmse
from recommender.ncf import ModelConfig, PairModel, build_model
from recommender.scoring import model_score_fn, score_pairs
from recommender.store import Location, children, join

Progress = Callable[[int, int, dict[str, Any]], None]


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings; the tuned ones are ``DEFAULT_TRAIN_CONFIG``, the field defaults here are neutral.

    ``l2``: weight of the batch-embedding penalty (module docstring). ``patience``: epochs without a better
    validation score before stopping; <= 0 never stops early (the best epoch is still restored).
    ``threads``: torch's intra-op thread count for the run; <= 0 leaves it alone.
    """

    epochs: int
    batch_size: int
    lr: float
    l2: float = 0.0
    seed: int = 0
    threads: int = 0
    patience: int = 0
    eval_k: int = 10

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be positive")
        if self.lr <= 0 or self.l2 < 0:
            raise ValueError("lr must be positive and l2 non-negative")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        unknown = set(data) - {item.name for item in fields(cls)}
        if unknown:
            raise ValueError(f"unknown train config keys: {sorted(unknown)}")
        return cls(**data)


# Defaults, the one place they live. They aim at HR@10 >= 0.70 on MovieLens-1M (99 sampled negatives) with
# training inside ~3 minutes on 2 CPU cores:
# - GMF, not the MLP: without pre-training it is the strongest of the three in the published PyTorch
#   re-implementations (guoyang9/NCF README, factor 32, batch 256, lr 0.001, 20 epochs: GMF 0.706,
#   NeuMF 0.699, MLP 0.688; the authors' Keras MLP 0.692, NeuMF 0.701) and several times cheaper per sample.
#   Rendle et al. 2020 ("NCF vs. MF revisited") find the dot product beats learned MLP similarities on ML-1M.
# - 64 factors: HR@10 still grows with the factor count at 64 in the paper's factor study (section 4.2) and
#   in Rendle et al.'s (16 to 192 factors); early stopping on validation HR@10 catches the overfitting.
# - batch 4096, lr 0.004: 16x the reference batch of 256 with 4x its lr (square-root scaling for Adam,
#   Malladi et al. 2022; MLPerf's NCF likewise trains ML-20M at batch 1M with Adam lr 0.0045). Checked on
#   the ML-1M-shaped synthetic run (bench/bench_training.py --lr-scaling 6), validation HR@10 per epoch:
#   batch 256 / lr 0.001: 0.500 0.592 0.637 0.654 0.653 0.653 (146 s); batch 4096 / lr 0.004: 0.510 0.616
#   0.647 0.658 0.652 0.651 (19 s). At batch 4096, lr 0.001 lags far behind (GMF-32: 0.54 after 8 epochs).
# - l2: the reference results use none, and on the (dense) synthetic run 1e-4..1e-2 only lowered the peak;
#   but see below for real sparse data.
# - 20 epochs (the reference count; 2.5-5 s each for GMF-64 here), patience 5 so that a noisy plateau on
#   the way up does not stop the run.
# - 1 thread: on this 2-core box a second torch thread adds ~25% when the machine is idle (GMF-64 at batch
#   4096: ~2.5M vs ~1.9M samples/s) but collapses 10-50x when anything else wants a core (OpenMP threads
#   spin-wait for each other); one thread held 1.8-2.1M samples/s beside a busy Spark job.
DEFAULT_MODEL_CONFIG = ModelConfig(variant="gmf", embedding_dim=64, mlp_layers=(64, 32, 16, 8))
# - l2 0.02 (issue 6): on the real, sparse ML-1M sample (median 10 ratings a user) an unregularised GMF fell
#   below popularity (0.396 vs 0.410 HR@10); 0.01-0.02 lifted it to 0.42-0.43, 0.05 and above collapse the
#   embeddings (0.11). Measured with bench/bench_quality.py.
DEFAULT_TRAIN_CONFIG = TrainConfig(epochs=20, batch_size=4096, lr=0.004, l2=0.02, seed=2017, threads=1, patience=5)


@dataclass(frozen=True)
class EpochStats:
    epoch: int
    loss: float
    metrics: dict[str, float]
    seconds: float
    train_seconds: float
    samples: int
    samples_per_second: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TrainResult:
    """The model holds the best epoch's weights (epochs count from 1)."""

    model: PairModel
    model_config: ModelConfig
    train_config: TrainConfig
    best_epoch: int
    best_metrics: dict[str, float]
    history: list[EpochStats] = field(default_factory=list)
    seconds: float = 0.0
    samples_per_second: float = 0.0
    stopped_early: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Everything but the model, as JSON-ready values."""
        return {
            "model_config": self.model_config.to_dict(),
            "train_config": self.train_config.to_dict(),
            "best_epoch": self.best_epoch,
            "best_metrics": dict(self.best_metrics),
            "history": [stats.to_dict() for stats in self.history],
            "seconds": self.seconds,
            "samples_per_second": self.samples_per_second,
            "stopped_early": self.stopped_early,
        }


def train_implicit(
    *,
    run_dir: Location,
    model_config: ModelConfig,
    train_config: TrainConfig,
    progress: Progress | None = None,
) -> TrainResult:
    """Train on positives plus the run's sampled negatives; keep the epoch with the best validation HR@K."""
    if model_config.objective != "implicit":
        raise ValueError("train_implicit needs a model config with objective='implicit'")
    meta = read_meta(run_dir)
    positives = _tensors(read_pairs(join(run_dir, "train.parquet")))
    negatives = NegativeEpochs(join(run_dir, "negatives.parquet"))
    validation = read_pairs(join(run_dir, "validation.parquet"))
    candidates = read_pairs(join(run_dir, "validation_candidates.parquet"))
    k = train_config.eval_k

    def epoch_samples(epoch: int) -> tuple[Tensor, Tensor, Tensor]:
        neg_users, neg_movies = negatives.epoch(epoch - 1)
        labels = torch.cat([torch.ones(len(positives[0])), torch.zeros(len(neg_users))])
        return torch.cat([positives[0], neg_users]), torch.cat([positives[1], neg_movies]), labels

    def validate(model: PairModel) -> tuple[dict[str, float], tuple[float, ...] | None]:
        if len(validation[0]) == 0:
            return {}, None
        metrics = evaluate_sampled(model_score_fn(model), validation, candidates, k)
        return metrics, (metrics[f"hr@{k}"], metrics[f"ndcg@{k}"])

    return _fit(
        model_config,
        train_config,
        meta,
        epoch_samples=epoch_samples,
        loss_fn=F.binary_cross_entropy_with_logits,
        validate=validate,
        progress=progress,
    )


def train_explicit(
    *,
    run_dir: Location,
    model_config: ModelConfig,
    train_config: TrainConfig,
    progress: Progress | None = None,
) -> TrainResult:
    """Regress the train ratings (squared error); keep the epoch with the lowest validation RMSE."""
    if model_config.objective != "explicit":
        raise ValueError("train_explicit needs a model config with objective='explicit'")
    meta = read_meta(run_dir)
    columns = ("user_idx", "movie_idx", "rating")
    train_users, train_movies, train_ratings = read_columns(join(run_dir, "train.parquet"), columns)
    samples = (*_tensors((train_users, train_movies)), torch.from_numpy(train_ratings.astype(np.float32)))
    validation = read_columns(join(run_dir, "validation.parquet"), columns)

    def validate(model: PairModel) -> tuple[dict[str, float], tuple[float, ...] | None]:
        if len(validation[0]) == 0:
            return {}, None
        error = rmse(score_pairs(model_score_fn(model), validation[0], validation[1]), validation[2])
        return {"rmse": error}, (-error,)

    return _fit(
        model_config,
        train_config,
        meta,
        epoch_samples=lambda epoch: samples,
        loss_fn=F.mse_loss,
        validate=validate,
        progress=progress,
    )


class NegativeEpochs:
    """The ``epoch=E`` partitions of negatives.parquet, read one at a time and cycled."""

    def __init__(self, folder: Location) -> None:
        parts = {int(path.rsplit("=", 1)[1]): path for path in children(folder, prefix="epoch=")}
        if not parts:
            raise FileNotFoundError(f"no epoch=E partitions in {folder}")
        self.paths = [parts[epoch] for epoch in sorted(parts)]
        self._cached: tuple[int, tuple[Tensor, Tensor]] | None = None

    def __len__(self) -> int:
        return len(self.paths)

    def epoch(self, index: int) -> tuple[Tensor, Tensor]:
        """Negatives for 0-based training epoch ``index`` (partition ``index mod len(self)``)."""
        part = index % len(self.paths)
        if self._cached is None or self._cached[0] != part:
            self._cached = (part, _tensors(read_pairs(self.paths[part])))
        return self._cached[1]


Validate = Callable[[PairModel], tuple[dict[str, float], tuple[float, ...] | None]]


def _fit(
    model_config: ModelConfig,
    train_config: TrainConfig,
    meta: dict[str, Any],
    *,
    epoch_samples: Callable[[int], tuple[Tensor, Tensor, Tensor]],
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    validate: Validate,
    progress: Progress | None,
) -> TrainResult:
    started = time.perf_counter()
    with _torch_settings(train_config):
        model = build_model(model_config, int(meta["n_users"]), int(meta["n_movies"]))
        optimizer = make_optimizer(model, train_config)
        shuffler = torch.Generator().manual_seed(train_config.seed)
        result = TrainResult(model, model_config, train_config, best_epoch=0, best_metrics={})
        keeper = _BestEpoch(train_config.patience)
        for epoch in range(1, train_config.epochs + 1):
            samples = epoch_samples(epoch)
            stats, key = _run_epoch(epoch, model, optimizer, samples, train_config, shuffler, loss_fn, validate)
            result.history.append(stats)
            keeper.offer(epoch, key, stats.metrics, model)
            result.best_epoch, result.best_metrics, result.stopped_early = keeper.epoch, keeper.metrics, keeper.done
            if progress is not None:
                progress(epoch, train_config.epochs, _progress_info(stats, result))
            if keeper.done:
                break
        model.load_state_dict(keeper.state)
    model.eval()
    result.seconds = time.perf_counter() - started
    training_seconds = sum(stats.train_seconds for stats in result.history)
    result.samples_per_second = sum(stats.samples for stats in result.history) / max(training_seconds, 1e-9)
    return result


def _run_epoch(
    epoch: int,
    model: PairModel,
    optimizer: torch.optim.Optimizer,
    samples: tuple[Tensor, Tensor, Tensor],
    config: TrainConfig,
    shuffler: torch.Generator,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    validate: Validate,
) -> tuple[EpochStats, tuple[float, ...] | None]:
    started = time.perf_counter()
    loss = train_epoch(model, optimizer, samples, config, shuffler, loss_fn)
    train_seconds = time.perf_counter() - started
    metrics, key = validate(model)
    stats = EpochStats(
        epoch=epoch,
        loss=loss,
        metrics=metrics,
        seconds=time.perf_counter() - started,
        train_seconds=train_seconds,
        samples=len(samples[0]),
        samples_per_second=len(samples[0]) / max(train_seconds, 1e-9),
    )
    return stats, key


class _BestEpoch:
    """The best validation key so far (higher is better), a copy of its weights, and the patience count."""

    def __init__(self, patience: int) -> None:
        self.patience = patience
        self.key: tuple[float, ...] | None = None
        self.epoch, self.metrics, self.state, self.since = 0, {}, {}, 0

    @property
    def done(self) -> bool:
        return 0 < self.patience <= self.since

    def offer(self, epoch: int, key: tuple[float, ...] | None, metrics: dict[str, float], model: PairModel) -> None:
        # Without validation data (key None) every epoch counts as the best: the last one is kept.
        if key is None or self.key is None or key > self.key:
            self.key, self.epoch, self.metrics, self.since = key, epoch, metrics, 0
            self.state = _copy_state(model)
        else:
            self.since += 1


def make_optimizer(model: PairModel, config: TrainConfig) -> torch.optim.Optimizer:
    """Adam; the fused CPU kernel, since the dense update of the embedding tables dominates a step
    (about 8 ms of 14 for GMF at batch 4096 unfused, 1.4 ms fused)."""
    return torch.optim.Adam(model.parameters(), lr=config.lr, fused=True)


def train_epoch(
    model: PairModel,
    optimizer: torch.optim.Optimizer,
    samples: tuple[Tensor, Tensor, Tensor],
    config: TrainConfig,
    shuffler: torch.Generator,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
) -> float:
    """One pass in shuffled mini-batches; returns the mean data loss (the L2 term excluded)."""
    order = torch.randperm(len(samples[0]), generator=shuffler)
    users, movies, targets = (column[order] for column in samples)
    model.train()
    total = torch.zeros(())
    for start in range(0, len(users), config.batch_size):
        batch = slice(start, start + config.batch_size)
        optimizer.zero_grad(set_to_none=True)
        if config.l2 > 0:
            scores, penalty = model.forward_with_penalty(users[batch], movies[batch])
            loss = loss_fn(scores, targets[batch])
            (loss + config.l2 * penalty).backward()
        else:
            loss = loss_fn(model(users[batch], movies[batch]), targets[batch])
            loss.backward()
        optimizer.step()
        total += loss.detach() * len(targets[batch])
    return float(total) / len(users)


def _progress_info(stats: EpochStats, result: TrainResult) -> dict[str, Any]:
    return {
        "epoch": stats.epoch,
        "loss": stats.loss,
        **stats.metrics,
        "seconds": stats.seconds,
        "samples_per_second": stats.samples_per_second,
        "best_epoch": result.best_epoch,
        "stopped_early": result.stopped_early,
    }


def _copy_state(model: PairModel) -> dict[str, Tensor]:
    return {name: value.detach().clone() for name, value in model.state_dict().items()}


def _tensors(columns: tuple[np.ndarray, ...]) -> tuple[Tensor, ...]:
    return tuple(torch.from_numpy(np.asarray(column, dtype=np.int64)) for column in columns)


@contextlib.contextmanager
def _torch_settings(config: TrainConfig) -> Iterator[None]:
    """Seed, thread count and deterministic kernels for one training run; the caller's are restored."""
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        if config.threads > 0:
            torch.set_num_threads(config.threads)
        torch.use_deterministic_algorithms(True)
        try:
            yield
        finally:
            torch.set_num_threads(threads)
            torch.use_deterministic_algorithms(deterministic)
