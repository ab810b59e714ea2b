"""Spark sequence builder: time order, ties as in the split, truncation, the run-folder files, the numpy twin."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import functions as F

from recommender.sampling import label_split
from recommender.sequences import (
    SEQUENCES,
    TRAIN_SEQUENCES,
    build_sequences,
    read_sequences,
    sequences_from_arrays,
    user_sequence,
    write_run_sequences,
)

pytestmark = pytest.mark.spark

SCHEMA = "user_idx int, movie_idx int, rating float, ts long"


def _collect(df) -> dict[int, list[int]]:
    return {row.user_idx: list(row.movies) for row in df.collect()}


def test_orders_by_time_then_movie(spark) -> None:
    rows = [(0, 9, 4.0, 30), (0, 3, 4.0, 10), (0, 7, 4.0, 10), (0, 1, 4.0, 40), (0, 5, 4.0, 10), (1, 2, 3.0, 5)]
    sequences = _collect(build_sequences(spark.createDataFrame(rows, SCHEMA), length=10))
    assert sequences == {0: [3, 5, 7, 9, 1], 1: [2]}


def test_keeps_the_latest_movies(spark) -> None:
    rows = [(0, movie, 4.0, 100 - movie) for movie in range(12)]  # movie 11 is the oldest
    sequences = _collect(build_sequences(spark.createDataFrame(rows, SCHEMA), length=4))
    assert sequences == {0: [3, 2, 1, 0]}
    with pytest.raises(ValueError, match="at least 1"):
        build_sequences(spark.createDataFrame(rows, SCHEMA), length=0)


def _tied_ratings(seed: int = 4) -> tuple[np.ndarray, ...]:
    """60 users, many ratings in the same second (timestamps from a range of 6 values)."""
    rng = np.random.default_rng(seed)
    users, movies = [], []
    for user in range(60):
        rated = rng.choice(40, size=rng.integers(1, 25), replace=False)
        users.append(np.full(len(rated), user))
        movies.append(rated)
    users_arr, movies_arr = np.concatenate(users), np.concatenate(movies)
    return users_arr, movies_arr, rng.integers(0, 6, size=len(users_arr)) + 1_000


def test_last_movies_are_the_split_test_and_validation_movies(spark) -> None:
    users, movies, stamps = _tied_ratings()
    ratings = spark.createDataFrame(
        [(int(u), int(m), 4.0, int(t)) for u, m, t in zip(users, movies, stamps, strict=True)], SCHEMA
    )
    sequences = _collect(build_sequences(ratings, length=50))
    labelled = label_split(ratings)
    held = {
        (row.user_idx, row.split): row.movie_idx
        for row in labelled.where(F.col("split") != "train").select("user_idx", "movie_idx", "split").collect()
    }
    assert sum(len(seq) for seq in sequences.values()) == len(users)
    for user, sequence in sequences.items():
        if len(sequence) >= 2:
            assert held[(user, "test")] == sequence[-1]
        if len(sequence) >= 3:
            assert held[(user, "validation")] == sequence[-2]
    # The train split's sequence is the full sequence without its last two movies.
    train_only = _collect(build_sequences(labelled.where(F.col("split") == "train"), length=50))
    for user, sequence in sequences.items():
        if len(sequence) >= 3:
            assert train_only[user] == sequence[:-2]


@pytest.mark.parametrize("length", [1, 3, 50])
def test_numpy_twins_match_spark(spark, length: int) -> None:
    users, movies, stamps = _tied_ratings(seed=length)
    ratings = spark.createDataFrame(
        [(int(u), int(m), 4.0, int(t)) for u, m, t in zip(users, movies, stamps, strict=True)], SCHEMA
    )
    from_spark = _collect(build_sequences(ratings, length=length))
    from_numpy = sequences_from_arrays(users, movies, stamps, length)
    assert from_spark == {user: seq.tolist() for user, seq in from_numpy.items()}
    for user in range(60):
        mine = users == user
        assert user_sequence(movies[mine], stamps[mine], length).tolist() == from_spark[user]


def test_run_folder_files(spark, tmp_path: Path) -> None:
    users, movies, stamps = _tied_ratings()
    table = pa.table(
        {
            "user_idx": pa.array(users, pa.int32()),
            "movie_idx": pa.array(movies, pa.int32()),
            "rating": pa.array(np.full(len(users), 4.0), pa.float32()),
            "ts": pa.array(stamps, pa.int64()),
        }
    )
    pq.write_table(table, tmp_path / "ratings.parquet")
    (tmp_path / "meta.json").write_text(json.dumps({"n_users": 60, "n_movies": 40, "n_ratings": len(users)}))
    split = label_split(spark.read.parquet(str(tmp_path / "ratings.parquet")))
    split.where(F.col("split") == "train").drop("split").write.parquet(str(tmp_path / "train.parquet"))
    train_summary, all_summary = write_run_sequences(spark=spark, run_dir=tmp_path, max_len=4)
    assert all_summary.users == 60
    served = read_sequences(tmp_path / SEQUENCES)
    trained = read_sequences(tmp_path / TRAIN_SEQUENCES)
    expected = sequences_from_arrays(users, movies, stamps, 5)
    assert {u: s.tolist() for u, s in served.items()} == {u: s.tolist() for u, s in expected.items()}
    assert train_summary.users == len(trained) and max(len(seq) for seq in trained.values()) == 5
    assert all(seq.dtype == np.int64 for seq in served.values())
