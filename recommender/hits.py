"""The seed's "hit" report: per user, the held-out movie, the model's top 10 and whether it was a hit."""

from dataclasses import dataclass

import numpy as np

from catalog.models import Movie

from .evaluation import read_columns, read_pairs
from .models import ModelVersion
from .sasrec_artifacts import load_any
from .scoring import top_k_unseen
from .snapshot import load_id_maps
from .store import join


@dataclass(frozen=True)
class HitReport:
    held_out: Movie | None  # None: the user had no test rating in that run (or was not in it)
    top: list[Movie]
    hit: bool


def hit_reports(*, version: ModelVersion, user_pks: list[int], k: int = 10) -> list[HitReport]:
    """Rank every movie the user did not rate in training (the full-catalogue protocol); keep the top k.

    The model is the run's held-out one (trained without each user's latest two ratings), not the refit that
    is served: the question is whether it would have found the movie the user rated next.
    """
    run_dir = version.run.data_uri
    model, _, _ = load_any(version.run.directory / "model")
    user_map, movie_map = load_id_maps(run_dir)
    index_of = {int(pk): i for i, pk in enumerate(user_map)}
    users = np.array([index_of[pk] for pk in user_pks if pk in index_of], dtype=np.int64)
    train, validation = read_pairs(join(run_dir, "train.parquet")), read_pairs(join(run_dir, "validation.parquet"))
    seen = (np.concatenate([train[0], validation[0]]), np.concatenate([train[1], validation[1]]))
    scoring = {"model": model}
    if getattr(model, "variant", "") == "sasrec":
        from .sasrec import SequenceScorer
        from .sasrec_training import extend_sequences, load_train_sequences

        max_len = model.config.max_len
        inputs = extend_sequences(load_train_sequences(run_dir, max_len), validation, max_len)
        scoring = {"score_fn": SequenceScorer(model, inputs)}
    top, _ = top_k_unseen(n_users=len(user_map), n_movies=len(movie_map), seen=seen, k=k, users=users, **scoring)
    test_users, test_movies = read_columns(join(run_dir, "test.parquet"), ("user_idx", "movie_idx"))
    held_out = dict(zip(test_users.tolist(), test_movies.tolist(), strict=True))
    shown = set(top[top >= 0].tolist()) | set(held_out.get(u, -1) for u in users.tolist()) - {-1}
    movies = Movie.objects.prefetch_related("genres").in_bulk([int(movie_map[m]) for m in shown])
    by_user = {}
    for row, user in enumerate(users.tolist()):
        test_movie = held_out.get(user)
        by_user[int(user_map[user])] = HitReport(
            held_out=movies[int(movie_map[test_movie])] if test_movie is not None else None,
            top=[movies[int(movie_map[m])] for m in top[row] if m >= 0],
            hit=test_movie is not None and bool(np.isin(test_movie, top[row])),
        )
    return [by_user.get(pk, HitReport(None, [], False)) for pk in user_pks]


def hit_sentence(*, label: str | int, report: HitReport) -> str:
    """The seed's verdict: "User 450, recommended movie 'Fast Times at Ridgemont High (1982)' (Genre: Comedy)
    was a hit!" (genres joined with "|" as in movies.dat)."""
    if report.held_out is None:
        return f"User {label} has no held-out movie in this run."
    movie = report.held_out
    genres = "|".join(genre.name for genre in movie.genres.all())
    if report.hit:
        return f"User {label}, recommended movie '{movie.title}' (Genre: {genres}) was a hit!"
    return f"User {label}, held-out movie '{movie.title}' (Genre: {genres}) was not in the top 10: a miss."
