"""Ranking and rating metrics, the NCF evaluation protocols, and a popularity baseline scored the same way.

Protocols (one held-out movie per user, leave-one-out):

- sampled (He et al. 2017): the held-out movie is ranked among itself and the user's 99 sampled unrated
  candidates. HR@K = share of users whose movie lands in the top K, NDCG@K = mean of 1/log2(rank + 2).
- full catalogue: the held-out movie is ranked among every movie the user has not rated (everything the user
  rated except the held-out movie is excluded). Precision@K and Recall@K follow from the same ranks: with one
  relevant movie, precision@K = hit / K and recall@K = hit.

Ties are pessimistic: every other movie scored at least as high as the held-out movie counts as ahead of it,
so a model that scores everything alike ranks the movie last rather than first. NaN scores count as -inf.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from recommender.scoring import SeenIndex, masked_score_blocks, model_score_fn, score_pairs
from recommender.store import Location, join, read_json, read_table

Pairs = tuple[np.ndarray, np.ndarray]


# Metrics -------------------------------------------------------------------------------------------------


def hit_ratio_at_k(ranks: Any, k: int) -> float:
    """Share of held-out items whose 0-based rank is below ``k``."""
    ranks = _ranks(ranks)
    return float(np.mean(ranks < k))


def ndcg_at_k(ranks: Any, k: int) -> float:
    """Mean of 1 / log2(rank + 2) over held-out items ranked below ``k`` (0 for the rest)."""
    ranks = _ranks(ranks)
    gains = np.where(ranks < k, 1.0 / np.log2(np.minimum(ranks, k) + 2.0), 0.0)
    return float(np.mean(gains))


def precision_at_k(ranked: Sequence[Sequence[int]], relevant: Sequence[Iterable[int]], k: int) -> float:
    """Mean over users of |top k of ranked & relevant| / k."""
    hits = _hits_in_top_k(ranked, relevant, k)
    return float(np.mean(hits / k))


def recall_at_k(ranked: Sequence[Sequence[int]], relevant: Sequence[Iterable[int]], k: int) -> float:
    """Mean over users with relevant items of |top k of ranked & relevant| / |relevant|."""
    sizes = np.array([len(set(items)) for items in relevant], dtype=np.float64)
    hits = _hits_in_top_k(ranked, relevant, k)
    if not np.any(sizes > 0):
        raise ValueError("recall needs at least one user with a relevant item")
    return float(np.mean(hits[sizes > 0] / sizes[sizes > 0]))


def rmse(predicted: Any, actual: Any) -> float:
    predicted, actual = np.asarray(predicted, np.float64), np.asarray(actual, np.float64)
    if predicted.shape != actual.shape or predicted.size == 0:
        raise ValueError("rmse needs two non-empty arrays of the same shape")
    return float(np.sqrt(np.mean((predicted - actual) ** 2)))


def _ranks(ranks: Any) -> np.ndarray:
    ranks = np.asarray(ranks)
    if ranks.size == 0:
        raise ValueError("a metric needs at least one ranked item")
    if np.any(ranks < 0):
        raise ValueError("ranks are 0-based and non-negative")
    return ranks


def _hits_in_top_k(ranked: Sequence[Sequence[int]], relevant: Sequence[Iterable[int]], k: int) -> np.ndarray:
    if len(ranked) != len(relevant) or len(ranked) == 0:
        raise ValueError("need one relevant set per ranked list, and at least one list")
    if k < 1:
        raise ValueError("k must be positive")
    hits = [len(set(np.asarray(items)[:k].tolist()) & set(rel)) for items, rel in zip(ranked, relevant, strict=True)]
    return np.asarray(hits, dtype=np.float64)


# Protocols -----------------------------------------------------------------------------------------------


def sampled_ranks(score_fn: Any, test: Pairs, candidates: Pairs) -> np.ndarray:
    """Rank of each test movie among its user's candidates (candidates scored >= it count as ahead)."""
    test_users, test_movies = (np.asarray(column, dtype=np.int64) for column in test[:2])
    cand_users, cand_movies = (np.asarray(column, dtype=np.int64) for column in candidates[:2])
    row_of_user = _row_lookup(test_users, max(_max(test_users), _max(cand_users)) + 1)
    rows = row_of_user[cand_users]
    keep = rows >= 0
    rows, cand_movies = rows[keep], cand_movies[keep]
    keep = cand_movies != test_movies[rows]
    rows, cand_movies = rows[keep], cand_movies[keep]
    test_scores = _finite(score_pairs(score_fn, test_users, test_movies))
    cand_scores = _finite(score_pairs(score_fn, test_users[rows], cand_movies))
    ahead = cand_scores >= test_scores[rows]
    return np.bincount(rows, weights=ahead, minlength=len(test_users)).astype(np.int64)


def evaluate_sampled(score_fn: Any, test: Pairs, candidates: Pairs, k: int = 10) -> dict[str, float]:
    """HR@k and NDCG@k with each test movie ranked among itself and its user's sampled candidates."""
    ranks = sampled_ranks(score_fn, test, candidates)
    return {f"hr@{k}": hit_ratio_at_k(ranks, k), f"ndcg@{k}": ndcg_at_k(ranks, k)}


def full_catalogue_ranks(
    scorer: Any,
    n_movies: int,
    train_pairs: Pairs,
    test: Pairs,
    *,
    exclude: Pairs | None = None,
    batch_users: int | None = None,
) -> np.ndarray:
    """Rank of each test movie among all movies its user did not rate (train and ``exclude`` removed)."""
    test_users, test_movies = (np.asarray(column, dtype=np.int64) for column in test[:2])
    seen_users, seen_movies = (np.asarray(column, dtype=np.int64) for column in train_pairs[:2])
    if exclude is not None:
        seen_users = np.concatenate([seen_users, np.asarray(exclude[0], dtype=np.int64)])
        seen_movies = np.concatenate([seen_movies, np.asarray(exclude[1], dtype=np.int64)])
    n_users = max(_max(test_users), _max(seen_users)) + 1
    seen_keys = _pair_keys(seen_users, seen_movies, n_movies)
    keep = ~np.isin(seen_keys, _pair_keys(test_users, test_movies, n_movies))
    seen = SeenIndex.from_pairs(seen_users[keep], seen_movies[keep], n_users)
    ranks = np.empty(len(test_users), dtype=np.int64)
    for rows, scores in masked_score_blocks(scorer, test_users, n_movies, seen, batch_users):
        ranks[rows] = _rank_in_rows(scores, torch.from_numpy(test_movies[rows])).numpy()
    return ranks


def evaluate_full_catalogue(
    score_fn: Any,
    n_movies: int,
    train_pairs: Pairs,
    test: Pairs,
    k: int = 10,
    *,
    exclude: Pairs | None = None,
    batch_users: int | None = None,
) -> dict[str, float]:
    """HR, NDCG, precision and recall at k over the full catalogue of each user's unrated movies.

    ``score_fn`` may be a model, a popularity scorer or any pairwise function; pass the validation pairs as
    ``exclude`` so that only the test movie of everything the user rated stays rankable.
    """
    ranks = full_catalogue_ranks(score_fn, n_movies, train_pairs, test, exclude=exclude, batch_users=batch_users)
    hit = hit_ratio_at_k(ranks, k)
    return {
        f"hr@{k}_full": hit,
        f"ndcg@{k}_full": ndcg_at_k(ranks, k),
        f"precision@{k}": hit / k,
        f"recall@{k}": hit,
    }


def _rank_in_rows(scores: Tensor, targets: Tensor) -> Tensor:
    target_scores = scores.gather(1, targets.unsqueeze(1))
    # The target itself is counted by >=, hence the -1; a masked (-inf) target still ranks last.
    return (scores >= target_scores).sum(dim=1) - 1


def _pair_keys(users: np.ndarray, movies: np.ndarray, n_movies: int) -> np.ndarray:
    return users * n_movies + movies


def _row_lookup(users: np.ndarray, size: int) -> np.ndarray:
    if len(np.unique(users)) != len(users):
        raise ValueError("the protocol holds out one movie per user")
    lookup = np.full(size, -1, dtype=np.int64)
    lookup[users] = np.arange(len(users))
    return lookup


def _max(values: np.ndarray) -> int:
    return int(values.max()) if len(values) else -1


def _finite(scores: np.ndarray) -> np.ndarray:
    return np.nan_to_num(scores, nan=-np.inf)


# Popularity baseline -------------------------------------------------------------------------------------


class PopularityScorer:
    """Scores a movie by its number of train ratings, whoever the user; same interface as a score_fn."""

    def __init__(self, counts: np.ndarray) -> None:
        self.counts = np.asarray(counts, dtype=np.float32)

    @classmethod
    def from_ratings(cls, movies: np.ndarray, n_movies: int) -> PopularityScorer:
        return cls(np.bincount(np.asarray(movies, dtype=np.int64), minlength=n_movies))

    def __call__(self, users: Any, movies: Any) -> np.ndarray:
        return self.counts[_numpy(movies)]

    def score_all_movies(self, users: Tensor) -> Tensor:
        return torch.from_numpy(self.counts).unsqueeze(0).repeat(len(users), 1)


def _numpy(values: Any) -> np.ndarray:
    if isinstance(values, Tensor):
        return values.numpy()
    return np.asarray(values, dtype=np.int64)


# Run folders ---------------------------------------------------------------------------------------------


def read_meta(run_dir: Location) -> dict[str, Any]:
    return read_json(join(run_dir, "meta.json"))


def read_columns(path: Location, columns: Sequence[str]) -> tuple[np.ndarray, ...]:
    """Named columns of a Parquet file or Spark folder (``_SUCCESS`` and dot files are skipped), local or in the
    artefact store."""
    table = read_table(path, columns=list(columns))
    return tuple(table.column(name).to_numpy() for name in columns)


def read_pairs(path: Location) -> Pairs:
    return read_columns(path, ("user_idx", "movie_idx"))


def evaluate_run(*, run_dir: Location, model: nn.Module, k: int = 10) -> dict[str, float]:
    """Test metrics of ``model`` and of the popularity baseline (keys prefixed ``baseline_``), one flat dict.

    Keys: hr@k, ndcg@k (99 sampled candidates), hr@k_full, ndcg@k_full, precision@k, recall@k (full
    catalogue), test_users, and rmse for an explicit-rating model.
    """
    n_movies = int(read_meta(run_dir)["n_movies"])
    train_users, train_movies = read_pairs(join(run_dir, "train.parquet"))
    columns = ("user_idx", "movie_idx", "rating")
    test_users, test_movies, test_ratings = read_columns(join(run_dir, "test.parquet"), columns)
    test = (test_users, test_movies)
    context = {
        "n_movies": n_movies,
        "train": (train_users, train_movies),
        "test": test,
        "candidates": read_pairs(join(run_dir, "test_candidates.parquet")),
        "validation": read_pairs(join(run_dir, "validation.parquet")),
    }
    metrics = _protocol_metrics(model, model_score_fn(model), context, k)
    baseline = PopularityScorer.from_ratings(train_movies, n_movies)
    metrics |= {f"baseline_{key}": value for key, value in _protocol_metrics(baseline, baseline, context, k).items()}
    metrics["test_users"] = float(len(test_users))
    if getattr(model, "objective", "implicit") == "explicit":
        metrics["rmse"] = rmse(model_score_fn(model)(test_users, test_movies), test_ratings)
    return metrics


def _protocol_metrics(scorer: Any, score_fn: Any, context: dict[str, Any], k: int) -> dict[str, float]:
    sampled = evaluate_sampled(score_fn, context["test"], context["candidates"], k)
    full = evaluate_full_catalogue(
        scorer, context["n_movies"], context["train"], context["test"], k, exclude=context["validation"]
    )
    return sampled | full
