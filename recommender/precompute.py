"""What a version serves, computed from its serving models: each user's ranked list with a reason per movie
and the predicted stars, every movie's nearest movies, and the small numpy file the web reads stars from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from .ncf import PairModel
from .scoring import SeenIndex, model_score_fn, score_pairs, top_k_unseen

LIKED_STARS = 4  # a reason names a movie the user liked when there is one
SIMILAR_PER_MOVIE = 20
STARS_FILE = "stars.npz"


@dataclass(frozen=True)
class UserLists:
    movies: np.ndarray  # int64 [U, k] movie idx, -1 where no candidate was left
    scores: np.ndarray  # float32 [U, k]
    because: np.ndarray  # int64 [U, k] movie idx of the rated movie most like it, -1 for none
    stars: np.ndarray  # float32 [U, k] predicted stars, NaN where unknown


def normalised_movie_space(model) -> Tensor:
    with torch.no_grad():
        return torch.nn.functional.normalize(model.movie_space().detach().float(), dim=1)


def because_of(space: Tensor, recommended: np.ndarray, rated: np.ndarray, rated_stars: np.ndarray) -> np.ndarray:
    """For each recommended movie, the rated movie nearest to it (cosine), among the liked ones if any."""
    if len(rated) == 0:
        return np.full(len(recommended), -1, dtype=np.int64)
    liked = rated_stars >= LIKED_STARS
    pool = rated[liked] if liked.any() else rated
    valid = recommended >= 0
    out = np.full(len(recommended), -1, dtype=np.int64)
    if valid.any():
        sims = space[torch.from_numpy(recommended[valid])] @ space[torch.from_numpy(pool)].T
        out[valid] = pool[sims.argmax(dim=1).numpy()]
    return out


def user_lists(
    *,
    model: PairModel,
    star_model: PairModel | None,
    users: np.ndarray,
    rated: tuple[np.ndarray, np.ndarray, np.ndarray],
    n_users: int,
    k: int,
    sequences: dict[int, np.ndarray] | None = None,
) -> UserLists:
    """Ranked lists for ``users`` (indexes) from ``model``; ``rated`` is (user, movie, stars) of every rating.

    With ``sequences`` (a sequence model's input: each user's latest movies, oldest first) the model scores the
    next movie after each sequence, and a reason names the recent movie nearest to the recommended one.
    """
    seen = SeenIndex.from_pairs(rated[0], rated[1], n_users)
    order = np.argsort(rated[0], kind="stable")
    stars_by_row = np.asarray(rated[2])[order]
    if sequences is not None:
        from .sasrec import SequenceScorer, closest_recent

        scorer = SequenceScorer(model, sequences)
        movies, scores = top_k_unseen(score_fn=scorer, n_users=n_users, n_movies=model.n_movies, seen=seen, k=k,
                                      users=users)  # fmt: skip
    else:
        movies, scores = top_k_unseen(model=model, n_users=n_users, n_movies=model.n_movies, seen=seen, k=k,
                                      users=users)  # fmt: skip
    space = normalised_movie_space(model)
    because = np.full(movies.shape, -1, dtype=np.int64)
    for row, user in enumerate(users.tolist()):
        if sequences is not None:
            valid = movies[row] >= 0
            because[row][valid] = closest_recent(model, sequences.get(user, np.zeros(0, np.int64)), movies[row][valid])
            continue
        start, stop = seen.indptr[user], seen.indptr[user + 1]
        because[row] = because_of(space, movies[row], seen.movies[start:stop], stars_by_row[start:stop])
    stars = np.full(movies.shape, np.nan, dtype=np.float32)
    if star_model is not None:
        valid = movies >= 0
        pair_users = np.repeat(users, movies.shape[1]).reshape(movies.shape)[valid]
        stars[valid] = score_pairs(model_score_fn(star_model), pair_users, movies[valid])
    return UserLists(movies, scores, because, stars)


def similar_movies(model: PairModel, k: int = SIMILAR_PER_MOVIE, block: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Each movie's ``k`` nearest other movies by cosine in the model's movie space: (idx [M, k], sims [M, k])."""
    space = normalised_movie_space(model)
    n = len(space)
    k = min(k, n - 1)
    neighbours = np.empty((n, k), dtype=np.int64)
    sims = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, block):
        scores = space[start : start + block] @ space.T
        rows = torch.arange(len(scores))
        scores[rows, rows + start] = -torch.inf
        values, indexes = torch.topk(scores, k, dim=1)
        neighbours[start : start + block], sims[start : start + block] = indexes.numpy(), values.numpy()
    return neighbours, sims


def export_star_model(star_model: PairModel, path: Path, *, user_ids: np.ndarray, movie_ids: np.ndarray) -> Path:
    """The explicit MLP as plain arrays (numpy reads them; the web process never imports torch)."""
    state = {name: value.detach().float().numpy() for name, value in star_model.state_dict().items()}
    np.savez(path, user_ids=user_ids, movie_ids=movie_ids, **{name.replace(".", "__"): v for name, v in state.items()})
    return path
