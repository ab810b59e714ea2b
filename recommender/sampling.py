"""Leave-one-out split and negative sampling on Spark DataFrames (the NCF paper's protocol).

Reads ``ratings.parquet`` and ``meta.json`` from a run folder (a local path or an artefact store URI, see
``recommender.store``; Spark is given the URI) and writes, beside them, the Parquet folders
``train``, ``validation``, ``test``, ``negatives`` (partitioned by epoch), ``validation_candidates`` and
``test_candidates`` (each ``<name>.parquet``). Training negatives are drawn among the movies absent from the
user's training ratings (so a held-out movie can be one), evaluation candidates among the movies the user
never rated.

Sampling needs no rejection. With a user's distinct rated movies sorted, s_0 < s_1 < ..., the offsets
a_i = s_i - i count the unrated movies below s_i, and the j-th unrated movie (0-based) is j + #{i : a_i <= j},
found by a binary search over the offsets. Hashing (seed, user, positive, epoch, k) to j in [0, n_unrated) thus
draws a uniform unrated movie in O(log n_rated): exactly one per slot, never a rated one, and a user who rated 60%
of the catalogue costs the same as anyone else. Eval candidates pick distinct indices j with Floyd's algorithm,
then map them the same way. Everything is a pure function of column values, so the output does not depend on the
number of partitions or executors.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import NamedTuple

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from .store import Location, join, read_json, spark_uri

RATINGS_FILE = "ratings.parquet"
META_FILE = "meta.json"

# Salts keep the three hash streams independent of each other.
NEGATIVE_SALT, VALIDATION_SALT, TEST_SALT = 0, 1, 2


@dataclass(frozen=True)
class SamplingSummary:
    train_rows: int
    validation_rows: int
    test_rows: int
    negative_rows: int
    validation_candidate_rows: int
    test_candidate_rows: int
    seconds: float


class Split(NamedTuple):
    train: DataFrame  # user_idx, movie_idx, rating, ts
    validation: DataFrame  # user_idx, movie_idx, rating
    test: DataFrame  # user_idx, movie_idx, rating


@dataclass(frozen=True)
class ProfileStats:
    """Small aggregates over the user profiles: enough to size every output without counting it."""

    users: int
    ratings: int
    test_users: int
    validation_users: int
    max_rated: int
    validation_candidates: int
    test_candidates: int


def read_ratings(spark: SparkSession, run_dir: Location) -> DataFrame:
    return spark.read.parquet(join(run_dir, RATINGS_FILE)).select(
        F.col("user_idx").cast("int"),
        F.col("movie_idx").cast("int"),
        F.col("rating").cast("float"),
        F.col("ts").cast("long"),
    )


def read_n_movies(run_dir: Location) -> int:
    return int(read_json(join(run_dir, META_FILE))["n_movies"])


def label_split(ratings: DataFrame) -> DataFrame:
    """Add `split`: a user's latest rating is "test", the second-latest "validation", the rest "train".

    Latest means ts descending, ties broken by movie_idx descending. A user needs 2 ratings for a test row and 3
    for a validation row; a user with one rating keeps it for training.
    """
    latest_first = Window.partitionBy("user_idx").orderBy(F.col("ts").desc(), F.col("movie_idx").desc())
    whole_user = latest_first.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    ranked = ratings.withColumns({"_rank": F.row_number().over(latest_first), "_n": F.count(F.lit(1)).over(whole_user)})
    rank, n = F.col("_rank"), F.col("_n")
    split = F.when((rank == 1) & (n >= 2), "test").when((rank == 2) & (n >= 3), "validation").otherwise("train")
    return ranked.withColumn("split", split).drop("_rank", "_n")


def split_frames(labelled: DataFrame) -> Split:
    def part(name: str, *columns: str) -> DataFrame:
        return labelled.where(F.col("split") == name).select(*columns)

    return Split(
        train=part("train", "user_idx", "movie_idx", "rating", "ts"),
        validation=part("validation", "user_idx", "movie_idx", "rating"),
        test=part("test", "user_idx", "movie_idx", "rating"),
    )


def leave_one_out(ratings: DataFrame) -> Split:
    return split_frames(label_split(ratings))


def user_profiles(ratings: DataFrame, *, n_movies: int) -> DataFrame:
    """One row per user: n_ratings, n_rated (distinct), n_unrated, movie range, and the offsets array."""
    rated = ratings.groupBy("user_idx").agg(
        F.count(F.lit(1)).alias("n_ratings"), F.array_sort(F.collect_set("movie_idx")).alias("rated")
    )
    return rated.select(
        "user_idx",
        "n_ratings",
        F.size("rated").alias("n_rated"),
        (F.lit(n_movies) - F.size("rated")).alias("n_unrated"),
        F.array_min("rated").alias("first_movie"),
        F.array_max("rated").alias("last_movie"),
        F.transform("rated", lambda movie, i: movie - i).alias("offsets"),
    )


def profile_stats(profiles: DataFrame, *, n_movies: int, eval_negatives: int) -> ProfileStats:
    """Aggregate the profiles (one small job) and reject inputs the sampler cannot serve."""
    n = F.col("n_ratings")
    candidates = F.least(F.lit(eval_negatives), F.col("n_unrated"))
    row = profiles.agg(
        F.count(F.lit(1)).alias("users"),
        F.sum(n).alias("ratings"),
        F.count_if(n >= 2).alias("test_users"),
        F.count_if(n >= 3).alias("validation_users"),
        F.max("n_rated").alias("max_rated"),
        F.sum(F.when(n >= 3, candidates)).alias("validation_candidates"),
        F.sum(F.when(n >= 2, candidates)).alias("test_candidates"),
        F.min(F.when(F.col("n_unrated") <= 0, F.col("user_idx"))).alias("full_user"),
        F.min(F.when(n != F.col("n_rated"), F.col("user_idx"))).alias("duplicate_user"),
        F.min("first_movie").alias("first_movie"),
        F.max("last_movie").alias("last_movie"),
    ).first()
    _reject_bad_input(row.asDict(), n_movies)
    return ProfileStats(**{field: int(row[field] or 0) for field in ProfileStats.__dataclass_fields__})


def _reject_bad_input(row: dict, n_movies: int) -> None:
    if not row["users"]:
        raise ValueError("ratings.parquet has no ratings")
    if row["first_movie"] < 0 or row["last_movie"] >= n_movies:
        found = f"{row['first_movie']}..{row['last_movie']}"
        raise ValueError(f"movie_idx must lie in 0..{n_movies - 1} (meta.json n_movies), found {found}")
    if row["duplicate_user"] is not None:
        raise ValueError(f"user_idx {row['duplicate_user']} rated the same movie more than once")
    if row["full_user"] is not None:
        raise ValueError(
            f"user_idx {row['full_user']} rated all {n_movies} movies: no negative can be sampled for that user"
        )


def draw_index(bound: Column, *keys: Column | str) -> Column:
    """A deterministic pseudo-random int in [0, bound) from the hash of `keys`."""
    return F.pmod(F.xxhash64(*keys), bound).cast("int")


def with_unrated_movie(df: DataFrame, *, index: str, out: str, max_rated: int) -> DataFrame:
    """Add `out`: the `index`-th (0-based) movie the row's user has not rated, from the row's `offsets`.

    `out` = index + #{offsets <= index}, the count found by a binary search of max_rated.bit_length() fixed
    power-of-two steps (one projection each: the position feeds the next step's probe).
    """
    df = df.withColumn("_pos", F.lit(0))
    for bit in reversed(range(max_rated.bit_length())):
        step = 1 << bit
        probe = F.get(F.col("offsets"), F.col("_pos") + (step - 1))  # NULL past the end: no step
        df = df.withColumn("_pos", F.col("_pos") + F.when(probe <= F.col(index), step).otherwise(0))
    return df.withColumn(out, (F.col(index) + F.col("_pos")).cast("int")).drop("_pos")


def _sampling_side(profiles: DataFrame) -> DataFrame:
    """The profiles every sampling row looks up: about 4 bytes per rating (4 MB for ML-1M), so broadcast."""
    return F.broadcast(profiles.select("user_idx", "n_unrated", "offsets"))


def sample_negatives(
    train: DataFrame, profiles: DataFrame, *, epochs: range, per_positive: int, seed: int, max_rated: int
) -> DataFrame:
    """For every train positive, epoch and k < per_positive: one movie the user never rated.

    Columns user_idx, positive_idx, epoch, k, movie_idx. Drawn with replacement (as in the NCF paper) from the
    hash of (seed, user, positive, epoch, k). A one-epoch range makes `epoch` a literal.
    """
    if not epochs or per_positive < 1:
        raise ValueError(f"need at least one epoch and one negative per positive, got {epochs}, {per_positive}")
    if len(epochs) == 1:
        epoch = F.lit(epochs.start)
    else:
        epoch = F.explode(F.sequence(F.lit(epochs.start), F.lit(epochs.stop - 1)))
    slots = (
        train.select("user_idx", F.col("movie_idx").alias("positive_idx"))
        .join(_sampling_side(profiles), "user_idx")
        .withColumn("epoch", epoch)
        .withColumn("k", F.explode(F.sequence(F.lit(0), F.lit(per_positive - 1))))
    )
    keys = (F.lit(seed).cast("long"), F.lit(NEGATIVE_SALT), "user_idx", "positive_idx", "epoch", "k")
    slots = slots.withColumn("_index", draw_index(F.col("n_unrated"), *keys))
    sampled = with_unrated_movie(slots, index="_index", out="movie_idx", max_rated=max_rated)
    return sampled.select("user_idx", "positive_idx", "epoch", "k", "movie_idx")


def sample_candidates(
    users: DataFrame, profiles: DataFrame, *, count: int, seed: int, salt: int, max_rated: int
) -> DataFrame:
    """For each user in `users`: min(count, n_unrated) distinct movies the user never rated (all of them if fewer).

    Floyd's algorithm picks the distinct indices into the user's unrated movies: for j in n-k..n-1 draw t in
    [0, j] and keep t, or j if t is already kept. Columns user_idx, movie_idx.
    """
    n = F.col("n_unrated")
    k = F.least(F.lit(count), n)

    def keep(chosen: Column, j: Column) -> Column:
        t = draw_index(j + 1, F.lit(seed).cast("long"), F.lit(salt), F.col("user_idx"), j)
        return F.array_append(chosen, F.when(F.array_contains(chosen, t), j).otherwise(t))

    indices = F.aggregate(F.sequence(n - k, n - 1), F.array().cast("array<int>"), keep)
    picked = (
        users.select("user_idx")
        .join(_sampling_side(profiles), "user_idx")
        .select("user_idx", "offsets", F.explode(indices).alias("_index"))
    )
    return with_unrated_movie(picked, index="_index", out="movie_idx", max_rated=max_rated).select(
        "user_idx", "movie_idx"
    )


def write_negatives(
    train: DataFrame,
    profiles: DataFrame,
    path: Location,
    *,
    epochs: int,
    per_positive: int,
    seed: int,
    max_rated: int,
    one_job: bool = True,
) -> None:
    """Write user_idx, movie_idx for epochs 0..epochs-1 to `path`, partitioned by epoch.

    Default: all epochs in one Spark job, faster than one job per epoch (see bench/bench_sampling.py).
    """
    spark = train.sparkSession
    tasks = max(int(spark.conf.get("spark.sql.shuffle.partitions")), spark.sparkContext.defaultParallelism)
    positives = train.select("user_idx", "movie_idx").repartition(tasks, "user_idx", "movie_idx")
    if not one_job:
        positives = positives.persist()  # read once per epoch
    batches = [range(epochs)] if one_job else [range(epoch, epoch + 1) for epoch in range(epochs)]
    try:
        for number, batch in enumerate(batches):
            negatives = sample_negatives(
                positives, profiles, epochs=batch, per_positive=per_positive, seed=seed, max_rated=max_rated
            ).select("user_idx", "movie_idx", "epoch")
            writer = negatives.write.mode("overwrite" if number == 0 else "append").partitionBy("epoch")
            writer.parquet(spark_uri(path))
    finally:
        positives.unpersist()


def _write(df: DataFrame, path: Location) -> None:
    df.write.mode("overwrite").parquet(spark_uri(path))


def _write_candidates(
    split: Split, profiles: DataFrame, run_dir: Location, *, count: int, seed: int, max_rated: int
) -> None:
    for name, users, salt in (
        ("validation", split.validation, VALIDATION_SALT),
        ("test", split.test, TEST_SALT),
    ):
        candidates = sample_candidates(users, profiles, count=count, seed=seed, salt=salt, max_rated=max_rated)
        _write(candidates, join(run_dir, f"{name}_candidates.parquet"))


def _check_arguments(epochs: int, negatives_per_positive: int, eval_negatives: int) -> None:
    for name, value in (
        ("epochs", epochs),
        ("negatives_per_positive", negatives_per_positive),
        ("eval_negatives", eval_negatives),
    ):
        if value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")


def split_and_sample(
    *,
    spark: SparkSession,
    run_dir: Location,
    epochs: int,
    negatives_per_positive: int = 4,
    eval_negatives: int = 99,
    seed: int = 0,
    with_negatives: bool = True,
) -> SamplingSummary:
    """Split run_dir/ratings.parquet leave-one-out and write train negatives and eval candidates beside it.

    ``with_negatives=False`` skips the training negatives (a full-softmax model such as SASRec needs none).

    Negatives for all epochs are written in one Spark job, the faster variant in bench/bench_sampling.py.
    Raises ValueError for a user who rated every movie, duplicate ratings or a movie_idx outside meta.json's range.
    """
    _check_arguments(epochs, negatives_per_positive, eval_negatives)
    started = time.perf_counter()
    ratings, n_movies = read_ratings(spark, run_dir), read_n_movies(run_dir)
    profiles = user_profiles(ratings, n_movies=n_movies).persist()
    labelled = label_split(ratings).persist()
    train_profiles = None
    try:
        stats = profile_stats(profiles, n_movies=n_movies, eval_negatives=eval_negatives)
        split = split_frames(labelled)
        for name, frame in zip(Split._fields, split, strict=True):
            _write(frame, join(run_dir, f"{name}.parquet"))
        sampling = {"seed": seed, "max_rated": stats.max_rated}
        negatives = {"epochs": epochs, "per_positive": negatives_per_positive, **sampling}
        # Training negatives come from the complement of the TRAINING ratings (He et al.): the held-out movies
        # can be drawn, as they would be for a model that never saw them; eval candidates stay never-rated.
        if with_negatives:
            train_profiles = user_profiles(split.train, n_movies=n_movies).persist()
            write_negatives(split.train, train_profiles, join(run_dir, "negatives.parquet"), **negatives)
        _write_candidates(split, profiles, run_dir, count=eval_negatives, **sampling)
    finally:
        if train_profiles is not None:
            train_profiles.unpersist()
        labelled.unpersist()
        profiles.unpersist()
    train_rows = stats.ratings - stats.test_users - stats.validation_users
    return SamplingSummary(
        train_rows=train_rows,
        validation_rows=stats.validation_users,
        test_rows=stats.test_users,
        negative_rows=train_rows * epochs * negatives_per_positive if with_negatives else 0,
        validation_candidate_rows=stats.validation_candidates,
        test_candidate_rows=stats.test_candidates,
        seconds=time.perf_counter() - started,
    )
