"""The refit for serving: once the held-out run has chosen the epoch count and reported its metrics, the same
configuration is trained again on every rating of the snapshot, so that the lists people see come from a model
that has seen their latest (most telling) ratings.

Negatives for the refit are drawn here with numpy, uniformly among the movies each user never rated, like the
Spark sampler's (which draws them for the held-out run): the refit's epoch count is only known after the
held-out training, and a second Spark job would cost more in start-up than the draw itself (about 0.3 s per
epoch of 4 M negatives at ML-1M size).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .evaluation import read_columns, read_meta
from .ncf import ModelConfig
from .store import Location, join
from .training import TrainConfig, TrainResult, _fit

MAX_ROUNDS = 64


def draw_unrated(
    users: np.ndarray, rated_keys: np.ndarray, n_movies: int, per_positive: int, rng: np.random.Generator
) -> np.ndarray:
    """``per_positive`` movies per entry of ``users``, each uniform among the movies that user never rated.

    ``rated_keys`` are the sorted ``user * n_movies + movie`` keys of every rating (rejection sampling: each
    round redraws only the rated hits, so a user who rated 60% of the catalogue costs a few more rounds).
    """
    owners = np.repeat(np.asarray(users, dtype=np.int64), per_positive)
    movies = rng.integers(0, n_movies, size=len(owners), dtype=np.int64)
    todo = np.arange(len(owners))
    for _ in range(MAX_ROUNDS):
        keys = owners[todo] * n_movies + movies[todo]
        found = np.searchsorted(rated_keys, keys)
        hit = (found < len(rated_keys)) & (rated_keys[np.minimum(found, len(rated_keys) - 1)] == keys)
        todo = todo[hit]
        if len(todo) == 0:
            return movies
        movies[todo] = rng.integers(0, n_movies, size=len(todo), dtype=np.int64)
    raise ValueError(f"could not draw unrated movies for {len(todo)} slots: some user rated nearly every movie")


def refit_implicit(
    *, run_dir: Location, model_config: ModelConfig, train_config: TrainConfig, negatives: int, progress=None
) -> TrainResult:
    """Train ``train_config.epochs`` epochs on every rating (positives) plus fresh unrated negatives."""
    meta = read_meta(run_dir)
    n_movies = int(meta["n_movies"])
    users, movies = read_columns(join(run_dir, "ratings.parquet"), ("user_idx", "movie_idx"))
    users, movies = users.astype(np.int64), movies.astype(np.int64)
    rated_keys = np.sort(users * n_movies + movies)
    positives = torch.from_numpy(users), torch.from_numpy(movies)

    def epoch_samples(epoch: int) -> tuple[Tensor, Tensor, Tensor]:
        rng = np.random.default_rng([train_config.seed, 7919, epoch])
        drawn = draw_unrated(users, rated_keys, n_movies, negatives, rng)
        neg_users = positives[0].repeat_interleave(negatives)
        labels = torch.cat([torch.ones(len(users)), torch.zeros(len(drawn))])
        return torch.cat([positives[0], neg_users]), torch.cat([positives[1], torch.from_numpy(drawn)]), labels

    return _fit(model_config, train_config, meta, epoch_samples=epoch_samples,
                loss_fn=F.binary_cross_entropy_with_logits, validate=_no_validation, progress=progress)  # fmt: skip


def refit_explicit(
    *, run_dir: Location, model_config: ModelConfig, train_config: TrainConfig, progress=None
) -> TrainResult:
    """Regress every rating's stars for ``train_config.epochs`` epochs."""
    users, movies, stars = read_columns(join(run_dir, "ratings.parquet"), ("user_idx", "movie_idx", "rating"))
    samples = (
        torch.from_numpy(users.astype(np.int64)),
        torch.from_numpy(movies.astype(np.int64)),
        torch.from_numpy(stars.astype(np.float32)),
    )
    return _fit(model_config, train_config, read_meta(run_dir), epoch_samples=lambda epoch: samples,
                loss_fn=F.mse_loss, validate=_no_validation, progress=progress)  # fmt: skip


def _no_validation(model) -> tuple[dict, None]:
    return {}, None  # every epoch counts as the best: the last one is kept


Progress = Callable[[int, int, dict], None]
