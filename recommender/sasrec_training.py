"""Train and evaluate SASRec over a run folder written by the sampling step (see ``recommender.training``).

Training data: ``train_sequences.parquet`` (``recommender.sequences``; built in numpy from ``train.parquet`` when
the Spark stage has not written it): each user's training movies in time order, the last ``max_len + 1``. Every
position predicts the movie after it (inputs ``seq[:-1]``, targets ``seq[1:]``), with softmax cross-entropy over
the whole catalogue (Kang & McAuley use one sampled negative with BCE; the full softmax converges in far fewer
epochs and ranks better, as the team measured on ML-1M, and a catalogue of a few thousand movies makes it cheap).
Adam, lr 0.001, betas (0.9, 0.98), as in the paper.

Validation: after each epoch each validation user's training sequence scores their validation movie among
``validation_candidates`` with ``evaluate_sampled``, the protocol of the NCF variants; the best epoch's weights
are kept, with ``patience`` epochs of no gain stopping the run. Test: the input is the training sequence plus
the validation movie (everything before the test movie), scored sampled (1 + 99) and over the full catalogue.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from recommender.evaluation import (
    PopularityScorer,
    evaluate_full_catalogue,
    evaluate_sampled,
    read_columns,
    read_meta,
    read_pairs,
)
from recommender.sasrec import SASRec, SASRecConfig, SequenceScorer, encode_sequences
from recommender.sequences import SEQUENCES, TRAIN_SEQUENCES, read_sequences, sequences_from_arrays
from recommender.store import Location, exists, join
from recommender.training import _torch_settings

Progress = Callable[[int, int, dict[str, Any]], None]
Sequences = dict[int, np.ndarray]


@dataclass(frozen=True)
class SASRecTrainConfig:
    """Optimisation settings. ``patience`` <= 0 never stops early; ``threads`` <= 0 leaves torch's count alone."""

    epochs: int = 30
    batch_size: int = 128
    lr: float = 0.001
    seed: int = 0
    threads: int = 0
    patience: int = 5
    eval_k: int = 10

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be positive")
        if self.lr <= 0:
            raise ValueError("lr must be positive")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SASRecTrainConfig:
        unknown = set(data) - {item.name for item in fields(cls)}
        if unknown:
            raise ValueError(f"unknown SASRec train config keys: {sorted(unknown)}")
        return cls(**data)


# Defaults (bench/bench_sequence.py measures them): the paper's ML-1M shape (2 blocks, 64 wide, dropout 0.2) with
# the sequence cut from 200 to 50 recent movies: the cost of a step is dominated by the catalogue softmax at
# every position, so 50 positions is 4x cheaper than 200, and most of the signal is in the latest session
# (generated ML-1M size, sampled / full HR@10: L=20 0.739 / 0.351 in 220 s, L=50 0.774 / 0.367 in 386 s,
# L=100 0.778 / 0.380 in 897 s, over the 10-minute retrain budget). lr 0.003 and batches of 32 users (189 Adam
# steps an epoch at ML-1M size) reach the plateau in about 10 epochs; lr 0.001 at batch 128 crawled (0.62
# validation HR@10 after 4 epochs on an earlier calibration of the generated data). 1 thread: as for NCF, a
# second one collapses when the other core is busy.
DEFAULT_SASREC_CONFIG = SASRecConfig(max_len=50, hidden=64, blocks=2, heads=1, dropout=0.2)
DEFAULT_SASREC_TRAIN_CONFIG = SASRecTrainConfig(epochs=15, batch_size=32, lr=0.003, seed=2018, threads=1, patience=3)


@dataclass
class SASRecTrainResult:
    """The model holds the best epoch's weights (epochs count from 1)."""

    model: SASRec
    model_config: SASRecConfig
    train_config: SASRecTrainConfig
    best_epoch: int = 0
    best_metrics: dict[str, float] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    stopped_early: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_config": self.model_config.to_dict(),
            "train_config": self.train_config.to_dict(),
            "best_epoch": self.best_epoch,
            "best_metrics": dict(self.best_metrics),
            "history": list(self.history),
            "seconds": self.seconds,
            "stopped_early": self.stopped_early,
        }


Validate = Callable[[SASRec], tuple[dict[str, float], tuple[float, ...] | None]]


def training_tensors(sequences: Sequences, max_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs, targets), ``[U, max_len]`` tokens each, for every sequence of 2 or more movies."""
    usable = [np.asarray(seq)[-(max_len + 1) :] for seq in sequences.values() if len(seq) >= 2]
    if not usable:
        raise ValueError("no user has two training ratings: nothing to learn an order from")
    return encode_sequences([seq[:-1] for seq in usable], max_len), encode_sequences(
        [seq[1:] for seq in usable], max_len
    )


def fit_sasrec(
    sequences: Sequences,
    n_movies: int,
    model_config: SASRecConfig,
    train_config: SASRecTrainConfig,
    *,
    validate: Validate | None = None,
    progress: Progress | None = None,
) -> SASRecTrainResult:
    """Train on ``sequences`` ({user: movies oldest first}); keep the epoch with the best ``validate`` key.

    Without ``validate`` every epoch runs and the last one is kept (the refit on all ratings).
    """
    started = time.perf_counter()
    inputs, targets = training_tensors(sequences, model_config.max_len)
    with _torch_settings(train_config):
        model = SASRec(model_config, n_movies)
        optimizer = torch.optim.Adam(model.parameters(), lr=train_config.lr, betas=(0.9, 0.98))
        shuffler = torch.Generator().manual_seed(train_config.seed)
        result = SASRecTrainResult(model, model_config, train_config)
        best_key, best_state, since = None, None, 0
        for epoch in range(1, train_config.epochs + 1):
            epoch_started = time.perf_counter()
            loss = _train_epoch(model, optimizer, inputs, targets, train_config.batch_size, shuffler)
            train_seconds = time.perf_counter() - epoch_started
            metrics, key = validate(model) if validate is not None else ({}, None)
            stats = {"epoch": epoch, "loss": loss, **metrics, "train_seconds": train_seconds}
            stats["seconds"] = time.perf_counter() - epoch_started
            result.history.append(stats)
            if key is None or best_key is None or key > best_key:
                best_key, best_state, since = key, _copy_state(model), 0
                result.best_epoch, result.best_metrics = epoch, metrics
            else:
                since += 1
            result.stopped_early = 0 < train_config.patience <= since
            if progress is not None:
                progress(epoch, train_config.epochs, {**stats, "best_epoch": result.best_epoch})
            if result.stopped_early:
                break
        model.load_state_dict(best_state)
    model.eval()
    result.seconds = time.perf_counter() - started
    return result


def _train_epoch(
    model: SASRec,
    optimizer: torch.optim.Optimizer,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    batch_size: int,
    shuffler: torch.Generator,
) -> float:
    """One pass over the users in shuffled batches; mean cross-entropy per predicted position."""
    model.train()
    order = torch.randperm(len(inputs), generator=shuffler)
    total, count = torch.zeros((), dtype=torch.float64), 0
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        # Columns that are padding in every row of the batch are dropped: positions are counted from the right,
        # so the result is the same, and short sequences cost what they hold.
        width = int((targets[batch] != 0).sum(dim=1).max())
        batch_inputs, batch_targets = inputs[batch, -width:], targets[batch, -width:]
        present = batch_targets != 0
        states = model.hidden_states(batch_inputs)[present]
        loss = F.cross_entropy(model.movie_logits(states), batch_targets[present] - 1)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += loss.detach().double() * len(states)
        count += len(states)
    return float(total) / max(count, 1)


def _copy_state(model: SASRec) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in model.state_dict().items()}


# Run folders ---------------------------------------------------------------------------------------------


def load_train_sequences(run_dir: Location, length: int, *, all_ratings: bool = False) -> Sequences:
    """The Spark stage's ``train_sequences.parquet`` (``sequences.parquet`` with ``all_ratings``) or, where it is
    absent, the same built in numpy from train.parquet (ratings.parquet)."""
    name, source = (SEQUENCES, "ratings.parquet") if all_ratings else (TRAIN_SEQUENCES, "train.parquet")
    path = join(run_dir, name)
    if exists(path):
        return {user: movies[-length:] for user, movies in read_sequences(path).items()}
    users, movies, stamps = read_columns(join(run_dir, source), ("user_idx", "movie_idx", "ts"))
    return sequences_from_arrays(users, movies, stamps, length)


def extend_sequences(sequences: Sequences, pairs: tuple[np.ndarray, np.ndarray], length: int) -> Sequences:
    """A copy of ``sequences`` with each (user, movie) pair appended (the held-out movie that came next)."""
    extended = dict(sequences)
    for user, movie in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True):
        previous = extended.get(user, np.zeros(0, np.int64))
        extended[user] = np.append(previous, movie)[-length:]
    return extended


def train_sasrec(
    *,
    run_dir: Location,
    model_config: SASRecConfig = DEFAULT_SASREC_CONFIG,
    train_config: SASRecTrainConfig = DEFAULT_SASREC_TRAIN_CONFIG,
    progress: Progress | None = None,
) -> SASRecTrainResult:
    """Train on the run's training sequences, early-stopped on validation HR@K (then NDCG@K) over the
    validation candidates."""
    n_movies = int(read_meta(run_dir)["n_movies"])
    sequences = load_train_sequences(run_dir, model_config.max_len + 1)
    validation = read_pairs(join(run_dir, "validation.parquet"))
    candidates = read_pairs(join(run_dir, "validation_candidates.parquet"))
    k = train_config.eval_k

    def validate(model: SASRec) -> tuple[dict[str, float], tuple[float, ...] | None]:
        if len(validation[0]) == 0:
            return {}, None
        metrics = evaluate_sampled(SequenceScorer(model, sequences), validation, candidates, k)
        return metrics, (metrics[f"hr@{k}"], metrics[f"ndcg@{k}"])

    return fit_sasrec(sequences, n_movies, model_config, train_config, validate=validate, progress=progress)


def refit_sasrec(
    *,
    run_dir: Location,
    model_config: SASRecConfig,
    train_config: SASRecTrainConfig,
    epochs: int,
    progress: Progress | None = None,
) -> SASRecTrainResult:
    """The refit on all ratings for serving: ``epochs`` (the held-out run's best epoch) over every user's whole
    sequence, no validation, the last epoch kept. Optional for SASRec: serving already reads every rating up to
    the snapshot as input; the refit also lets the latest two movies of each user shape the movie embeddings."""
    sequences = load_train_sequences(run_dir, model_config.max_len + 1, all_ratings=True)
    config = replace(train_config, epochs=max(int(epochs), 1), patience=0)
    return fit_sasrec(sequences, int(read_meta(run_dir)["n_movies"]), model_config, config, progress=progress)


def evaluate_sasrec_run(*, run_dir: Location, model: SASRec, k: int = 10) -> dict[str, float]:
    """Test metrics of ``model`` beside the popularity baseline (``baseline_`` keys): the keys of
    ``recommender.evaluation.evaluate_run`` (hr@k, ndcg@k sampled; hr@k_full, ndcg@k_full, precision@k,
    recall@k over all unrated movies; test_users). Each test user's input is everything before the test movie."""
    n_movies = int(read_meta(run_dir)["n_movies"])
    max_len = model.config.max_len
    train = read_pairs(join(run_dir, "train.parquet"))
    validation = read_pairs(join(run_dir, "validation.parquet"))
    test = read_pairs(join(run_dir, "test.parquet"))
    candidates = read_pairs(join(run_dir, "test_candidates.parquet"))
    inputs = extend_sequences(load_train_sequences(run_dir, max_len), validation, max_len)
    metrics: dict[str, float] = {}
    baseline = PopularityScorer.from_ratings(train[1], n_movies)
    for prefix, scorer in (("", SequenceScorer(model, inputs)), ("baseline_", baseline)):
        found = evaluate_sampled(scorer, test, candidates, k)
        found |= evaluate_full_catalogue(scorer, n_movies, train, test, k, exclude=validation)
        metrics |= {f"{prefix}{key}": value for key, value in found.items()}
    metrics["test_users"] = float(len(test[0]))
    return metrics
