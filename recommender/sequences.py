"""Each user's ratings as a time-ordered sequence of movies: Spark for a run folder, numpy for one user.

Order: timestamp ascending, ties broken by movie_idx ascending, the exact reverse of ``label_split``'s "latest
first" (ts descending, movie_idx descending), so a user's last movie in a sequence built from ``ratings.parquet``
is their test movie and the one before it the validation movie. Sequences keep the last ``length`` movies.

Run folder outputs (Parquet, one row per user; ``movies`` is ``array<int>``, oldest first), both the last
``max_len + 1`` movies (inputs and shifted targets for training; a model reads the last ``max_len``):
    train_sequences.parquet   from train.parquet (the model's training data and its validation/test input)
    sequences.parquet         from ratings.parquet (serving's input, and the training data of a refit on all
                              ratings)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .store import Location, join, read_table

if TYPE_CHECKING:  # pyspark is imported where Spark runs, so that the refresh's numpy path stays light
    from pyspark.sql import DataFrame, SparkSession

TRAIN_SEQUENCES = "train_sequences.parquet"
SEQUENCES = "sequences.parquet"


@dataclass(frozen=True)
class SequencesSummary:
    users: int
    seconds: float


def build_sequences(ratings: DataFrame, *, length: int) -> DataFrame:
    """``user_idx``, ``movies`` (the user's last ``length`` movies, oldest first) from user_idx, movie_idx, ts.

    ``array_sort`` over (ts, movie_idx) structs orders by ts, then movie_idx: one shuffle, no window.
    """
    from pyspark.sql import functions as F

    if length < 1:
        raise ValueError(f"length must be at least 1, got {length}")
    events = F.array_sort(
        F.collect_list(
            F.struct(F.col("ts").cast("long").alias("ts"), F.col("movie_idx").cast("int").alias("movie_idx"))
        )
    )
    recent = F.slice("events", F.greatest(F.size("events") - length + 1, F.lit(1)), length)
    return (
        ratings.groupBy(F.col("user_idx").cast("int").alias("user_idx"))
        .agg(events.alias("events"))
        .select("user_idx", F.transform(recent, lambda event: event["movie_idx"]).alias("movies"))
    )


def write_sequences(
    *, spark: SparkSession, run_dir: Location, source: str, out: str, length: int
) -> SequencesSummary:
    """Build the sequences of ``run_dir/source`` (user_idx, movie_idx, ts) and write them to ``run_dir/out``."""
    started = time.perf_counter()
    ratings = spark.read.parquet(join(run_dir, source))
    missing = {"user_idx", "movie_idx", "ts"} - set(ratings.columns)
    if missing:
        raise ValueError(f"{join(run_dir, source)} lacks the columns {sorted(missing)}")
    sequences = build_sequences(ratings, length=length)
    sequences.write.mode("overwrite").parquet(join(run_dir, out))
    users = spark.read.parquet(join(run_dir, out)).count()
    return SequencesSummary(users=users, seconds=time.perf_counter() - started)


def write_run_sequences(*, spark: SparkSession, run_dir: Location, max_len: int) -> tuple[SequencesSummary, ...]:
    """Both sequence files of a sampled run folder, the last ``max_len + 1`` movies of each user."""
    return (
        write_sequences(spark=spark, run_dir=run_dir, source="train.parquet", out=TRAIN_SEQUENCES, length=max_len + 1),
        write_sequences(spark=spark, run_dir=run_dir, source="ratings.parquet", out=SEQUENCES, length=max_len + 1),
    )


def read_sequences(path: Location) -> dict[int, np.ndarray]:
    """{user_idx: movies (int64, oldest first)} from a sequences Parquet file or Spark folder."""
    table = read_table(path, columns=["user_idx", "movies"])
    users = table.column("user_idx").to_numpy()
    lists = table.column("movies").combine_chunks()
    offsets, values = lists.offsets.to_numpy(), lists.values.to_numpy().astype(np.int64)
    return {int(user): values[offsets[i] : offsets[i + 1]] for i, user in enumerate(users)}


def user_sequence(movies: np.ndarray, stamps: np.ndarray, length: int) -> np.ndarray:
    """One user's last ``length`` movies, oldest first (ts ascending, then movie_idx ascending): the refresh's
    pure-numpy path, identical to ``build_sequences`` for that user."""
    movies, stamps = np.asarray(movies, dtype=np.int64), np.asarray(stamps, dtype=np.int64)
    if movies.shape != stamps.shape:
        raise ValueError("movies and stamps must have the same length")
    return movies[np.lexsort((movies, stamps))][len(movies) - min(length, len(movies)) :]


def sequences_from_arrays(
    users: np.ndarray, movies: np.ndarray, stamps: np.ndarray, length: int
) -> dict[int, np.ndarray]:
    """Every user's sequence from aligned arrays, in one sort (benchmarks and tests without Spark)."""
    users, movies, stamps = (np.asarray(column, dtype=np.int64) for column in (users, movies, stamps))
    order = np.lexsort((movies, stamps, users))
    users, movies = users[order], movies[order]
    starts = np.r_[0, np.flatnonzero(np.diff(users)) + 1] if len(users) else np.zeros(0, np.int64)
    stops = np.r_[starts[1:], len(users)] if len(users) else np.zeros(0, np.int64)
    return {
        int(users[start]): movies[max(start, stop - length) : stop] for start, stop in zip(starts, stops, strict=True)
    }
