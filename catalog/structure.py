"""How MovieLens-style ratings are laid out in time: the statistics the generator must match (issue 9).

- ``consecutive_same_genre``: share of a user's consecutive ratings (ts order, ties by movie id) whose movies
  share a genre; ``random_same_genre``: the same for two random ratings of the same user, one pair drawn per
  consecutive pair so that both shares weigh users alike. Real data: about 0.50-0.65 against 0.43-0.51.
- ``first_day``: share of ratings given within 24 hours of the user's first rating.
- ``same_second``: share of consecutive ratings given in the same second as the one before.
- ``latest_within_minute``: share of users whose latest rating came within a minute of the one before.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from catalog.generation import GENRES


@dataclass(frozen=True)
class SequenceStructure:
    users: int
    ratings: int
    consecutive_same_genre: float
    random_same_genre: float
    first_day: float
    same_second: float
    latest_within_minute: float
    median_ratings_per_user: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def read_movielens_folder(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """(ratings int64 [n, 4]: user, movie, stars, ts; genres bool [max movie id + 1, 18]) of an ML-1M folder."""
    folder = Path(folder)
    rows = folder.joinpath("ratings.dat").read_bytes().decode("latin-1").split("\n")
    ratings = np.array([row.split("::") for row in rows if row], dtype=np.int64).reshape(-1, 4)
    movies = [row.split("::") for row in folder.joinpath("movies.dat").read_bytes().decode("latin-1").splitlines()]
    column = {genre: i for i, genre in enumerate(GENRES)}
    genres = np.zeros((max(int(row[0]) for row in movies) + 1, len(GENRES)), dtype=bool)
    for movie_id, _title, names in movies:
        for name in names.split("|"):
            if name in column:
                genres[int(movie_id), column[name]] = True
    return ratings, genres


def sequence_structure(ratings: np.ndarray, genres: np.ndarray, seed: int = 0) -> SequenceStructure:
    """The statistics of the module docstring for ratings [n, 4] (user, movie, stars, ts) and a genre matrix."""
    users, movies, stamps = ratings[:, 0], ratings[:, 1], ratings[:, 3]
    order = np.lexsort((movies, stamps, users))
    users, movies, stamps = users[order], movies[order], stamps[order]
    starts = np.r_[0, np.flatnonzero(np.diff(users)) + 1]
    counts = np.diff(np.r_[starts, len(users)])
    same_user = users[1:] == users[:-1]
    consecutive = (genres[movies[1:]] & genres[movies[:-1]]).any(axis=1)[same_user]
    # One random pair of the same user per consecutive pair.
    owner = np.repeat(np.arange(len(starts)), counts)[1:][same_user]
    rng = np.random.default_rng(seed)
    first = starts[owner] + (rng.random(len(owner)) * counts[owner]).astype(np.int64)
    second = (
        starts[owner]
        + (first - starts[owner] + 1 + (rng.random(len(owner)) * (counts[owner] - 1)).astype(np.int64)) % counts[owner]
    )
    random_pairs = (genres[movies[first]] & genres[movies[second]]).any(axis=1)
    gaps = (stamps[1:] - stamps[:-1])[same_user]
    last = starts + counts - 1
    several = counts >= 2
    return SequenceStructure(
        users=len(starts),
        ratings=len(users),
        consecutive_same_genre=float(consecutive.mean()),
        random_same_genre=float(random_pairs.mean()),
        first_day=float(np.mean(stamps - np.repeat(stamps[starts], counts) < 86_400)),
        same_second=float(np.mean(gaps == 0)),
        latest_within_minute=float(np.mean((stamps[last] - stamps[last - 1] < 60)[several])),
        median_ratings_per_user=float(np.median(counts)),
    )
