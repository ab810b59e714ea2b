"""Synthetic run folders in the layout the Spark sampling step writes (see recommender.training).

The ratings come from a latent-factor model with a popularity term: user u picks movie i with probability
proportional to exp(popularity_i + p_u . q_i) (Gumbel top-k sampling, without replacement), so a model that
learns the factors beats a popularity ranking, and the popularity ranking beats chance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SEED = 20170403


def seeded_rng(offset: int = 0) -> np.random.Generator:
    """The suite's random generator: fixed seed, so failures reproduce."""
    return np.random.default_rng(SEED + offset)


@dataclass(frozen=True)
class Ratings:
    users: np.ndarray
    movies: np.ndarray
    ratings: np.ndarray
    ts: np.ndarray
    n_users: int
    n_movies: int


def latent_factor_ratings(
    rng: np.random.Generator,
    *,
    n_users: int,
    n_movies: int,
    median_per_user: int,
    min_per_user: int = 20,
    max_per_user: int | None = None,
    factors: int = 16,
    affinity_scale: float = 2.0,
    popularity_scale: float = 1.0,
) -> Ratings:
    """Ratings whose choice of movies follows exp(popularity + p_u . q_i); every user rates >= min_per_user."""
    max_per_user = max_per_user or n_movies // 2
    counts = rng.lognormal(np.log(median_per_user), 0.9, size=n_users).astype(np.int64)
    counts = np.clip(counts, min_per_user, max_per_user)
    popularity = rng.normal(0.0, popularity_scale, size=n_movies)
    entry_sd = np.sqrt(affinity_scale / np.sqrt(factors))  # so that p_u . q_i has sd affinity_scale
    user_factors = rng.normal(0.0, entry_sd, size=(n_users, factors))
    movie_factors = rng.normal(0.0, entry_sd, size=(n_movies, factors))
    chunks = [
        _pick_movies(rng, start, user_factors, movie_factors, popularity, counts) for start in range(0, n_users, 1024)
    ]
    users = np.concatenate([chunk[0] for chunk in chunks])
    movies = np.concatenate([chunk[1] for chunk in chunks])
    affinity = np.concatenate([chunk[2] for chunk in chunks])
    stars = _stars(rng, affinity)
    ts = 956_000_000 + rng.permutation(len(users)).astype(np.int64) * 17
    return Ratings(users, movies, stars, ts, n_users, n_movies)


def _pick_movies(rng, start, user_factors, movie_factors, popularity, counts):
    stop = min(start + 1024, len(user_factors))
    affinity = user_factors[start:stop] @ movie_factors.T + popularity
    keys = affinity + rng.gumbel(size=affinity.shape)
    order = np.argsort(-keys, axis=1)
    take = np.arange(order.shape[1]) < counts[start:stop, None]
    rows, cols = np.nonzero(take)
    movies = order[rows, cols]
    return (rows + start).astype(np.int32), movies.astype(np.int32), affinity[rows, movies]


def _stars(rng: np.random.Generator, affinity: np.ndarray) -> np.ndarray:
    z = (affinity - affinity.mean()) / (affinity.std() + 1e-9)
    return np.clip(np.round(3.6 + 0.9 * z + rng.normal(0, 0.6, size=z.shape)), 1, 5).astype(np.float32)


def block_ratings(rng: np.random.Generator, *, users_per_group: int = 20, movies_per_block: int = 10) -> Ratings:
    """Two user groups, each rating only (most of) its own block of movies: group A = first half."""
    users, movies = [], []
    for group in range(2):
        block = np.arange(movies_per_block) + group * movies_per_block
        for user in range(users_per_group):
            liked = rng.choice(block, size=movies_per_block - 2, replace=False)
            users.append(np.full(len(liked), user + group * users_per_group))
            movies.append(liked)
    users_arr = np.concatenate(users).astype(np.int32)
    movies_arr = np.concatenate(movies).astype(np.int32)
    stars = np.where(movies_arr < movies_per_block, 5.0, 4.0).astype(np.float32)
    ts = 956_000_000 + rng.permutation(len(users_arr)).astype(np.int64)
    return Ratings(users_arr, movies_arr, stars, ts, 2 * users_per_group, 2 * movies_per_block)


def write_run_folder(
    root: Path,
    data: Ratings,
    rng: np.random.Generator,
    *,
    negative_epochs: int = 3,
    negatives_per_positive: int = 4,
    candidates: int = 99,
    hold_out: bool = True,
) -> Path:
    """Write meta.json and the Parquet folders; the latest rating per user is test, the one before validation."""
    root.mkdir(parents=True, exist_ok=True)
    rated = np.zeros((data.n_users, data.n_movies), dtype=bool)
    rated[data.users, data.movies] = True
    train, validation, test = _leave_one_out(data) if hold_out else (np.arange(len(data.users)), [], [])
    _write(root / "train.parquet", _ratings_table(data, train, with_ts=True))
    _write(root / "validation.parquet", _ratings_table(data, validation))
    _write(root / "test.parquet", _ratings_table(data, test))
    for name, held in (("validation_candidates", validation), ("test_candidates", test)):
        cand_users, cand_movies = _candidates(rng, rated, data.users[held], candidates)
        _write(root / f"{name}.parquet", _pairs_table(cand_users, cand_movies))
    for epoch in range(negative_epochs):
        neg_users, neg_movies = sample_negatives(rng, rated, data.users[train], negatives_per_positive)
        _write(root / "negatives.parquet" / f"epoch={epoch}", _pairs_table(neg_users, neg_movies))
    meta = {"n_users": data.n_users, "n_movies": data.n_movies, "negative_epochs": negative_epochs}
    (root / "meta.json").write_text(json.dumps(meta))
    return root


def _leave_one_out(data: Ratings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.lexsort((-data.ts, data.users))
    sorted_users = data.users[order]
    first = np.r_[True, sorted_users[1:] != sorted_users[:-1]]
    position = np.arange(len(order)) - np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
    return order[position >= 2], order[position == 1], order[position == 0]


def sample_negatives(
    rng: np.random.Generator, rated: np.ndarray, users: np.ndarray, per_positive: int
) -> tuple[np.ndarray, np.ndarray]:
    """``per_positive`` uniformly drawn movies per positive that its user never rated (rejection sampling)."""
    neg_users = np.repeat(users, per_positive)
    neg_movies = rng.integers(0, rated.shape[1], size=len(neg_users))
    bad = np.flatnonzero(rated[neg_users, neg_movies])
    while len(bad):
        neg_movies[bad] = rng.integers(0, rated.shape[1], size=len(bad))
        bad = bad[rated[neg_users[bad], neg_movies[bad]]]
    return neg_users.astype(np.int32), neg_movies.astype(np.int32)


def _candidates(rng, rated, users, count):
    if len(users) == 0:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    keys = rng.random((len(users), rated.shape[1]))
    keys[rated[users]] = np.inf
    count = min(count, rated.shape[1] - 1)
    picked = np.argpartition(keys, count - 1, axis=1)[:, :count]
    valid = np.isfinite(np.take_along_axis(keys, picked, axis=1))
    rows = np.broadcast_to(users[:, None], picked.shape)
    return rows[valid].astype(np.int32), picked[valid].astype(np.int32)


def _ratings_table(data: Ratings, rows, *, with_ts: bool = False) -> pa.Table:
    rows = np.asarray(rows, dtype=np.int64)
    columns = {
        "user_idx": pa.array(data.users[rows], pa.int32()),
        "movie_idx": pa.array(data.movies[rows], pa.int32()),
        "rating": pa.array(data.ratings[rows], pa.float32()),
    }
    if with_ts:
        columns["ts"] = pa.array(data.ts[rows], pa.int64())
    return pa.table(columns)


def _pairs_table(users: np.ndarray, movies: np.ndarray) -> pa.Table:
    return pa.table({"user_idx": pa.array(users, pa.int32()), "movie_idx": pa.array(movies, pa.int32())})


def _write(folder: Path, table: pa.Table) -> None:
    # Spark's layout: a folder of part files plus an empty _SUCCESS marker.
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / "part-00000.parquet")
    (folder / "_SUCCESS").touch()


def synthetic_run(root: Path, seed: int = 0, **sizes: int) -> Path:
    """A small latent-factor run folder (defaults: 400 users x 300 movies, median 40 ratings a user)."""
    rng = seeded_rng(seed)
    options = {"n_users": 400, "n_movies": 300, "median_per_user": 40} | sizes
    return write_run_folder(root, latent_factor_ratings(rng, **options), rng)


def movielens_like_run(root: Path, seed: int = 1, negative_epochs: int = 20, **shape) -> Path:
    """An ML-1M-shaped run folder: 6,040 users x 3,706 movies, ~1M ratings, 20 to 2,300 a user.

    32 latent factors; the popularity spread is set so that ranking by popularity gets HR@10 ~0.46 under the
    99-candidate protocol (ItemPop: 0.454 on the real data, He et al. 2017) and a trained GMF ~0.65-0.66,
    a little under what GMF reaches on the real data (~0.70).
    """
    rng = np.random.default_rng(seed)
    options = {
        "n_users": 6040,
        "n_movies": 3706,
        "median_per_user": 110,
        "max_per_user": 2300,
        "factors": 32,
        "popularity_scale": 1.4,
        "affinity_scale": 1.5,
    }
    ratings = latent_factor_ratings(rng, **(options | shape))
    return write_run_folder(root, ratings, rng, negative_epochs=negative_epochs)
