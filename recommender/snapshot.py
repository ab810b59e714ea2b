"""Write the ratings of the database to Parquet for one run, with the id maps beside them.

The run folder is a location in the artefact store (``recommender.store``: a local path or a URI). Layout (the
contract the Spark and PyTorch stages read):
    ratings.parquet  user_idx int32, movie_idx int32, rating float32, ts int64
    users.parquet    user_idx int32, user_id int64 (catalog user pk)
    movies.parquet   movie_idx int32, movie_id int64 (catalog movie pk)
    meta.json        n_users, n_movies, n_ratings
"""

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from django.db import connection

from catalog.models import Rating

from .store import Location, join, read_table, write_json, write_table

CHUNK_ROWS = 100_000


@dataclass(frozen=True)
class Snapshot:
    directory: Location
    n_users: int
    n_movies: int
    n_ratings: int


def snapshot_ratings(*, run_dir: Location) -> Snapshot:
    """One consistent read of every rating (a single query, fetched in chunks), then Parquet."""
    users, movies, stars, stamps = _read_ratings()
    if len(users) == 0:
        raise ValueError("there are no ratings to train on: import MovieLens first")
    return write_snapshot(run_dir=run_dir, users=users, movies=movies, stars=stars, stamps=stamps)


def write_snapshot(
    *, run_dir: Location, users: np.ndarray, movies: np.ndarray, stars: np.ndarray, stamps: np.ndarray
) -> Snapshot:
    """Write aligned rating columns (user and movie ids as stored) as the run folder's snapshot files."""
    user_ids, user_idx = np.unique(users, return_inverse=True)
    movie_ids, movie_idx = np.unique(movies, return_inverse=True)
    ratings = pa.table(
        {
            "user_idx": user_idx.astype(np.int32),
            "movie_idx": movie_idx.astype(np.int32),
            "rating": stars.astype(np.float32),
            "ts": stamps.astype(np.int64),
        }
    )
    write_table(ratings, join(run_dir, "ratings.parquet"))
    write_table(_id_map("user", user_ids), join(run_dir, "users.parquet"))
    write_table(_id_map("movie", movie_ids), join(run_dir, "movies.parquet"))
    snapshot = Snapshot(run_dir, len(user_ids), len(movie_ids), len(users))
    meta = {"n_users": snapshot.n_users, "n_movies": snapshot.n_movies, "n_ratings": snapshot.n_ratings}
    write_json(meta, join(run_dir, "meta.json"))
    return snapshot


def load_id_maps(run_dir: Location) -> tuple[np.ndarray, np.ndarray]:
    """(user pk by user_idx, movie pk by movie_idx)."""
    users = read_table(join(run_dir, "users.parquet")).column("user_id").to_numpy()
    movies = read_table(join(run_dir, "movies.parquet")).column("movie_id").to_numpy()
    return users, movies


def _read_ratings() -> tuple[np.ndarray, ...]:
    qn = connection.ops.quote_name
    columns = ", ".join(qn(c) for c in ("user_id", "movie_id", "stars", "timestamp"))
    chunks = []
    with connection.chunked_cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {qn(Rating._meta.db_table)}")
        while rows := cursor.fetchmany(CHUNK_ROWS):
            chunks.append(np.array(rows, dtype=np.float64))  # half stars; ids and seconds stay exact below 2**53
    data = np.concatenate(chunks) if chunks else np.empty((0, 4), dtype=np.float64)
    ids_and_stamps = data[:, [0, 1, 3]].astype(np.int64)
    return ids_and_stamps[:, 0], ids_and_stamps[:, 1], data[:, 2], ids_and_stamps[:, 2]


def _id_map(kind: str, ids: np.ndarray) -> pa.Table:
    return pa.table({f"{kind}_idx": np.arange(len(ids), dtype=np.int32), f"{kind}_id": ids.astype(np.int64)})
