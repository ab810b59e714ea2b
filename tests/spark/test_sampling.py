"""Leave-one-out split, train negatives and eval candidates, checked on small run folders."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from pyspark.sql import functions as F

from recommender import sampling as S

pytestmark = pytest.mark.spark

Rating = tuple[int, int, float, int]  # user_idx, movie_idx, rating, ts


def write_run(run_dir: Path, ratings: list[Rating], *, n_movies: int) -> Path:
    """A run folder as the snapshot writes it: ratings.parquet (one file) and meta.json."""
    run_dir.mkdir(parents=True, exist_ok=True)
    users, movies, stars, ts = zip(*ratings, strict=True)
    table = pa.table(
        {
            "user_idx": pa.array(users, pa.int32()),
            "movie_idx": pa.array(movies, pa.int32()),
            "rating": pa.array(stars, pa.float32()),
            "ts": pa.array(ts, pa.int64()),
        }
    )
    pq.write_table(table, run_dir / "ratings.parquet")
    (run_dir / "meta.json").write_text(json.dumps({"n_users": max(users) + 1, "n_movies": n_movies}))
    return run_dir


def random_ratings(counts: list[int], *, n_movies: int, seed: int = 0, max_ts: int = 20) -> list[Rating]:
    """User u rates counts[u] distinct random movies at random times in [0, max_ts) (so with ties on ts)."""
    rng = np.random.default_rng(seed)
    ratings = []
    for user, count in enumerate(counts):
        for movie in rng.choice(n_movies, size=count, replace=False):
            ratings.append((user, int(movie), float(rng.integers(1, 6)), int(rng.integers(0, max_ts))))
    return ratings


def rows(df, *columns: str) -> list[tuple]:
    return sorted(tuple(row) for row in df.select(*columns).collect())


def rated_pairs(ratings: list[Rating]) -> set[tuple[int, int]]:
    return {(user, movie) for user, movie, _, _ in ratings}


def prepare(spark, run_dir: Path, *, partitions: int | None = None):
    """ratings, profiles, stats and split as split_and_sample builds them."""
    ratings = S.read_ratings(spark, run_dir)
    if partitions:
        ratings = ratings.repartition(partitions)
    n_movies = S.read_n_movies(run_dir)
    profiles = S.user_profiles(ratings, n_movies=n_movies)
    stats = S.profile_stats(profiles, n_movies=n_movies, eval_negatives=99)
    return ratings, profiles, stats, S.leave_one_out(ratings)


def negatives(spark, run_dir: Path, *, epochs: int = 3, per_positive: int = 4, seed: int = 0, partitions=None):
    _, profiles, stats, split = prepare(spark, run_dir, partitions=partitions)
    return S.sample_negatives(
        split.train, profiles, epochs=range(epochs), per_positive=per_positive, seed=seed, max_rated=stats.max_rated
    )


def candidates(spark, run_dir: Path, *, which: str = "test", count: int = 99, seed: int = 0, partitions=None):
    _, profiles, stats, split = prepare(spark, run_dir, partitions=partitions)
    users = split.test if which == "test" else split.validation
    return S.sample_candidates(users, profiles, count=count, seed=seed, salt=S.TEST_SALT, max_rated=stats.max_rated)


@pytest.fixture
def mixed_run(tmp_path: Path) -> tuple[Path, list[Rating]]:
    """40 movies; users with 1, 2, 3, 8 and 30 ratings."""
    ratings = random_ratings([1, 2, 3, 8, 30, 5, 12, 2, 1, 9], n_movies=40)
    return write_run(tmp_path / "run", ratings, n_movies=40), ratings


# --- leave-one-out split ---


def test_latest_rating_is_test_and_second_latest_is_validation(spark, tmp_path):
    run = write_run(tmp_path, [(0, 5, 4.0, 100), (0, 7, 3.0, 300), (0, 9, 5.0, 200), (0, 1, 1.0, 50)], n_movies=10)
    split = S.leave_one_out(S.read_ratings(spark, run))
    assert rows(split.test, "user_idx", "movie_idx", "rating") == [(0, 7, 3.0)]
    assert rows(split.validation, "user_idx", "movie_idx", "rating") == [(0, 9, 5.0)]
    assert rows(split.train, "movie_idx", "ts") == [(1, 50), (5, 100)]


def test_ties_on_ts_go_to_the_higher_movie_idx(spark, tmp_path):
    run = write_run(tmp_path, [(0, 2, 4.0, 300), (0, 8, 3.0, 300), (0, 5, 5.0, 300), (0, 9, 1.0, 10)], n_movies=10)
    split = S.leave_one_out(S.read_ratings(spark, run))
    assert rows(split.test, "movie_idx") == [(8,)]
    assert rows(split.validation, "movie_idx") == [(5,)]
    assert rows(split.train, "movie_idx") == [(2,), (9,)]


def test_one_rating_user_trains_and_two_rating_user_has_no_validation(spark, tmp_path):
    run = write_run(tmp_path, [(0, 3, 4.0, 10), (1, 4, 2.0, 10), (1, 6, 5.0, 20)], n_movies=10)
    split = S.leave_one_out(S.read_ratings(spark, run))
    assert rows(split.train, "user_idx", "movie_idx") == [(0, 3), (1, 4)]
    assert rows(split.test, "user_idx", "movie_idx") == [(1, 6)]
    assert split.validation.count() == 0


def test_split_partitions_every_rating_exactly_once(spark, mixed_run):
    run, ratings = mixed_run
    split = S.leave_one_out(S.read_ratings(spark, run))
    parts = [rows(frame, "user_idx", "movie_idx", "rating") for frame in split]
    assert sorted(parts[0] + parts[1] + parts[2]) == sorted((u, m, r) for u, m, r, _ in ratings)
    counts = Counter(user for user, *_ in ratings)
    assert sorted(u for u, *_ in parts[2]) == sorted(u for u, n in counts.items() if n >= 2)
    assert sorted(u for u, *_ in parts[1]) == sorted(u for u, n in counts.items() if n >= 3)
    test_items = {(u, m) for u, m, _ in parts[2]}
    assert not test_items & {(u, m) for u, m, _ in parts[1]}


def test_split_matches_a_python_reference(spark, tmp_path):
    ratings = random_ratings([6, 4, 3, 7, 9, 5], n_movies=12, seed=3, max_ts=3)  # many ties on ts
    split = S.leave_one_out(S.read_ratings(spark, write_run(tmp_path, ratings, n_movies=12)))
    expected_test, expected_validation = [], []
    for user in range(6):
        latest = sorted(((ts, m) for u, m, _, ts in ratings if u == user), reverse=True)
        expected_test.append((user, latest[0][1]))
        expected_validation.append((user, latest[1][1]))
    assert rows(split.test, "user_idx", "movie_idx") == expected_test
    assert rows(split.validation, "user_idx", "movie_idx") == expected_validation


# --- the j-th unrated movie ---


def test_with_unrated_movie_finds_the_jth_unrated_movie(spark, tmp_path):
    rated = [0, 1, 4, 5, 9, 11]
    run = write_run(tmp_path, [(0, m, 3.0, 1) for m in rated], n_movies=13)
    profiles = S.user_profiles(S.read_ratings(spark, run), n_movies=13)
    indices = profiles.select("user_idx", "offsets", F.explode(F.sequence(F.lit(0), F.lit(6))).alias("j"))
    found = S.with_unrated_movie(indices, index="j", out="movie", max_rated=len(rated))
    assert [m for _, m in rows(found, "j", "movie")] == [2, 3, 6, 7, 8, 10, 12]


# --- train negatives ---


def test_negatives_are_never_rated_movies(spark, mixed_run):
    run, ratings = mixed_run
    sampled = negatives(spark, run)
    all_ratings = S.read_ratings(spark, run)
    assert sampled.join(all_ratings, ["user_idx", "movie_idx"], "left_semi").count() == 0
    assert not set(rows(sampled, "user_idx", "movie_idx")) & rated_pairs(ratings)


def test_exactly_k_negatives_per_positive_per_epoch(spark, mixed_run):
    run, _ = mixed_run
    sampled = negatives(spark, run, epochs=3, per_positive=4)
    train = S.leave_one_out(S.read_ratings(spark, run)).train
    per_slot = sampled.groupBy("user_idx", "positive_idx", "epoch").agg(
        F.count(F.lit(1)).alias("n"), F.sort_array(F.collect_list("k")).alias("ks")
    )
    assert {(row.n, tuple(row.ks)) for row in per_slot.collect()} == {(4, (0, 1, 2, 3))}
    assert per_slot.count() == train.count() * 3
    assert sampled.count() == train.count() * 3 * 4
    assert rows(per_slot.select("user_idx", "positive_idx").distinct(), "*") == rows(train, "user_idx", "movie_idx")


def test_negatives_are_fresh_per_epoch(spark, mixed_run):
    run, _ = mixed_run
    sampled = negatives(spark, run, epochs=2)
    by_epoch = [rows(sampled.where(F.col("epoch") == e), "user_idx", "positive_idx", "k", "movie_idx") for e in (0, 1)]
    assert [(u, p, k) for u, p, k, _ in by_epoch[0]] == [(u, p, k) for u, p, k, _ in by_epoch[1]]
    differing = sum(a != b for a, b in zip(by_epoch[0], by_epoch[1], strict=True))
    assert differing > len(by_epoch[0]) // 2


def test_negatives_are_reproducible_from_the_seed(spark, mixed_run):
    run, _ = mixed_run
    columns = ("user_idx", "positive_idx", "epoch", "k", "movie_idx")
    first = rows(negatives(spark, run, seed=7), *columns)
    assert rows(negatives(spark, run, seed=7), *columns) == first
    other = rows(negatives(spark, run, seed=8), *columns)
    assert sum(a != b for a, b in zip(first, other, strict=True)) > len(first) // 2


def test_negatives_do_not_depend_on_partitioning(spark, mixed_run):
    run, _ = mixed_run
    columns = ("user_idx", "positive_idx", "epoch", "k", "movie_idx")
    assert rows(negatives(spark, run, partitions=1), *columns) == rows(negatives(spark, run, partitions=7), *columns)


def test_heavy_user_gets_exact_uniform_negatives(spark, tmp_path):
    heavy = [(0, m, 4.0, m) for m in range(40) if m % 4]  # 30 of 50 movies: 60% of the catalogue
    light = [(1, 3, 4.0, 1), (1, 45, 4.0, 2)]
    run = write_run(tmp_path, heavy + light, n_movies=50)
    sampled = negatives(spark, run, epochs=5, per_positive=4)
    drawn = Counter(m for u, m in rows(sampled.where("user_idx = 0"), "user_idx", "movie_idx"))
    assert sum(drawn.values()) == 28 * 5 * 4  # 28 train positives
    assert set(drawn) == set(range(50)) - {m for _, m, _, _ in heavy}
    chi_square = sum((n - 28) ** 2 / 28 for n in drawn.values())  # 560 draws over 20 movies: 28 each
    assert chi_square < 43.8  # the 0.1% tail of chi-square with 19 degrees of freedom


def test_user_with_one_unrated_movie_always_gets_it(spark, tmp_path):
    run = write_run(tmp_path, [(0, m, 3.0, m) for m in range(9)] + [(1, 2, 3.0, 1)], n_movies=10)
    sampled = negatives(spark, run, epochs=2, per_positive=4)
    assert rows(sampled.where("user_idx = 0").select("movie_idx").distinct(), "*") == [(9,)]
    assert sampled.where("user_idx = 0").count() == 7 * 2 * 4


def test_user_who_rated_every_movie_is_rejected(spark, tmp_path):
    run = write_run(tmp_path, [(0, m, 3.0, m) for m in range(6)] + [(1, 2, 3.0, 1)], n_movies=6)
    with pytest.raises(ValueError, match="user_idx 0 rated all 6 movies"):
        prepare(spark, run)
    with pytest.raises(ValueError, match="rated all"):
        S.split_and_sample(spark=spark, run_dir=run, epochs=1)


def test_duplicate_ratings_and_out_of_range_movies_are_rejected(spark, tmp_path):
    duplicated = write_run(tmp_path / "dup", [(0, 1, 3.0, 1), (0, 1, 4.0, 2), (0, 2, 3.0, 3)], n_movies=5)
    with pytest.raises(ValueError, match="same movie more than once"):
        prepare(spark, duplicated)
    out_of_range = write_run(tmp_path / "range", [(0, 1, 3.0, 1), (0, 5, 4.0, 2)], n_movies=5)
    with pytest.raises(ValueError, match="movie_idx must lie in 0..4"):
        prepare(spark, out_of_range)


# --- eval candidates ---


@pytest.fixture
def eval_run(tmp_path: Path) -> tuple[Path, list[Rating]]:
    """150 movies; user 3 has only 50 unrated movies, fewer than the 99 candidates asked for."""
    ratings = random_ratings([12, 2, 3, 100, 1, 25], n_movies=150, seed=5)
    return write_run(tmp_path / "run", ratings, n_movies=150), ratings


def test_candidates_are_99_distinct_unrated_movies(spark, eval_run):
    run, ratings = eval_run
    picked = rows(candidates(spark, run), "user_idx", "movie_idx")
    per_user = Counter(user for user, _ in picked)
    assert per_user == {0: 99, 1: 99, 2: 99, 3: 50, 5: 99}  # user 4 has one rating: no test row
    assert len(set(picked)) == len(picked)
    assert not set(picked) & rated_pairs(ratings)
    unrated_3 = set(range(150)) - {m for u, m, _, _ in ratings if u == 3}
    assert {m for u, m in picked if u == 3} == unrated_3


def test_candidates_never_contain_the_test_item(spark, eval_run):
    run, _ = eval_run
    split = S.leave_one_out(S.read_ratings(spark, run))
    picked = candidates(spark, run)
    assert picked.join(split.test, ["user_idx", "movie_idx"], "left_semi").count() == 0


def test_validation_candidates_only_for_validation_users(spark, eval_run):
    run, _ = eval_run
    assert {u for u, _ in rows(candidates(spark, run, which="validation"), "user_idx", "movie_idx")} == {0, 2, 3, 5}


def test_candidates_are_reproducible_and_partition_independent(spark, eval_run):
    run, _ = eval_run
    first = rows(candidates(spark, run, seed=1, partitions=1), "user_idx", "movie_idx")
    assert rows(candidates(spark, run, seed=1, partitions=5), "user_idx", "movie_idx") == first
    assert rows(candidates(spark, run, seed=2), "user_idx", "movie_idx") != first


# --- the whole run folder ---


def test_split_and_sample_writes_the_run_folder_contract(spark, mixed_run):
    run, ratings = mixed_run
    summary = S.split_and_sample(spark=spark, run_dir=run, epochs=3, eval_negatives=20, seed=1)
    int32, float32, int64 = pa.int32(), pa.float32(), pa.int64()
    expected = {
        "train": {"user_idx": int32, "movie_idx": int32, "rating": float32, "ts": int64},
        "validation": {"user_idx": int32, "movie_idx": int32, "rating": float32},
        "test": {"user_idx": int32, "movie_idx": int32, "rating": float32},
        "validation_candidates": {"user_idx": int32, "movie_idx": int32},
        "test_candidates": {"user_idx": int32, "movie_idx": int32},
    }
    for name, schema in expected.items():
        table = ds.dataset(run / f"{name}.parquet", format="parquet").to_table()
        assert dict(zip(table.schema.names, table.schema.types, strict=True)) == schema, name
    assert sorted(p.name for p in (run / "negatives.parquet").glob("epoch=*")) == ["epoch=0", "epoch=1", "epoch=2"]
    negatives_df = spark.read.parquet(str(run / "negatives.parquet"))
    assert negatives_df.columns == ["user_idx", "movie_idx", "epoch"]
    counts = {name: spark.read.parquet(str(run / f"{name}.parquet")).count() for name in expected}
    assert (summary.train_rows, summary.validation_rows, summary.test_rows) == (
        counts["train"],
        counts["validation"],
        counts["test"],
    )
    assert summary.train_rows + summary.validation_rows + summary.test_rows == len(ratings)
    assert summary.negative_rows == negatives_df.count() == counts["train"] * 3 * 4
    assert summary.validation_candidate_rows == counts["validation_candidates"]
    assert summary.test_candidate_rows == counts["test_candidates"]


def test_one_job_and_per_epoch_writes_are_identical(spark, mixed_run, tmp_path):
    run, _ = mixed_run
    _, profiles, stats, split = prepare(spark, run)
    written = []
    for one_job in (True, False):
        path = tmp_path / f"negatives-{one_job}.parquet"
        S.write_negatives(
            split.train, profiles, path, epochs=3, per_positive=4, seed=0, max_rated=stats.max_rated, one_job=one_job
        )
        written.append(rows(spark.read.parquet(str(path)), "user_idx", "movie_idx", "epoch"))
    assert written[0] == written[1]
    assert len(written[0]) == split.train.count() * 3 * 4


def test_training_negatives_avoid_training_positives_but_can_be_the_held_out_movies(spark, tmp_path):
    ratings = random_ratings([8] * 12, n_movies=12, seed=3)
    run = write_run(tmp_path / "run", ratings, n_movies=12)
    S.split_and_sample(spark=spark, run_dir=run, epochs=6, eval_negatives=3, seed=5)
    drawn = set(rows(spark.read.parquet(str(run / "negatives.parquet")), "user_idx", "movie_idx"))
    train = set(rows(spark.read.parquet(str(run / "train.parquet")), "user_idx", "movie_idx"))
    held_out = set(rows(spark.read.parquet(str(run / "test.parquet")), "user_idx", "movie_idx")) | set(
        rows(spark.read.parquet(str(run / "validation.parquet")), "user_idx", "movie_idx")
    )
    assert not drawn & train
    assert drawn & held_out  # 12 users x 6 epochs x 24 draws among 6 movies: the held-out ones come up
    candidates = set(rows(spark.read.parquet(str(run / "test_candidates.parquet")), "user_idx", "movie_idx"))
    assert not candidates & (train | held_out)
