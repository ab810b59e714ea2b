"""Tests for the synthetic MovieLens-1M generator (catalog.generation) and its management command."""

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.generation import AGE_CODES, GENRES, T_END, T_START, generate_movielens, rated_movie_count
from catalog.structure import read_movielens_folder, sequence_structure

SMALL = {"n_users": 300, "n_movies": 400, "n_ratings": 30_000}
MEDIUM = {"n_users": 1500, "n_movies": 2000, "n_ratings": 250_000}
TINY = {"n_users": 40, "n_movies": 90, "n_ratings": 2_000}
YEAR_2001 = int(datetime(2001, 1, 1, tzinfo=UTC).timestamp())


def _lines(path: Path) -> list[list[str]]:
    return [line.split("::") for line in path.read_bytes().decode("latin-1").split("\n")[:-1]]


def _ratings(path: Path) -> np.ndarray:
    return np.array(_lines(path), dtype=np.int64)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory):
    summary = generate_movielens(out_dir=tmp_path_factory.mktemp("small"), seed=0, **SMALL)
    return summary, _ratings(summary.ratings_path)


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory):
    summary = generate_movielens(out_dir=tmp_path_factory.mktemp("medium"), seed=0, **MEDIUM)
    return summary, _ratings(summary.ratings_path)


# --- counts and formats ---------------------------------------------------------------------------------


def test_exact_counts(medium) -> None:
    summary, ratings = medium
    assert len(ratings) == summary.n_ratings == MEDIUM["n_ratings"]
    assert len(_lines(summary.users_path)) == MEDIUM["n_users"]
    assert len(_lines(summary.movies_path)) == MEDIUM["n_movies"]
    assert set(np.unique(ratings[:, 0])) == set(range(1, MEDIUM["n_users"] + 1))
    rated = np.unique(ratings[:, 1])
    assert len(rated) == summary.n_rated_movies == rated_movie_count(MEDIUM["n_movies"])
    assert 0.9 * MEDIUM["n_movies"] < len(rated) < 0.99 * MEDIUM["n_movies"]
    assert rated.min() >= 1 and rated.max() <= MEDIUM["n_movies"]


def test_ratings_format(medium) -> None:
    summary, ratings = medium
    rows = _lines(summary.ratings_path)
    assert all(len(row) == 4 and all(field.isdigit() for field in row) for row in rows)
    assert set(np.unique(ratings[:, 2])) == {1, 2, 3, 4, 5}
    assert ratings[:, 3].min() >= T_START and ratings[:, 3].max() <= T_END


def test_movies_format(medium) -> None:
    summary, _ = medium
    rows = _lines(summary.movies_path)
    assert [int(row[0]) for row in rows] == list(range(1, MEDIUM["n_movies"] + 1))
    assert all(len(row) == 3 for row in rows)
    years = [int(re.fullmatch(r".+ \((\d{4})\)", title).group(1)) for _, title, _ in rows]
    assert min(years) >= 1919 and max(years) <= 2000
    assert np.mean([1990 <= y <= 2000 for y in years]) > 0.5
    genre_lists = [row[2].split("|") for row in rows]
    assert all(genres and set(genres) <= set(GENRES) and len(set(genres)) == len(genres) for genres in genre_lists)
    assert np.mean([len(genres) > 1 for genres in genre_lists]) > 0.3
    assert any(re.search(r"\(.+\) \(\d{4}\)$", title) for _, title, _ in rows), "no alternate titles"
    assert any(re.search(r", The \(\d{4}\)$", title) for _, title, _ in rows), "no 'Title, The (year)'"


def test_users_format(medium) -> None:
    summary, _ = medium
    rows = _lines(summary.users_path)
    assert all(len(row) == 5 for row in rows)
    assert [int(row[0]) for row in rows] == list(range(1, MEDIUM["n_users"] + 1))
    genders = [row[1] for row in rows]
    assert set(genders) == {"M", "F"} and 0.65 < genders.count("M") / len(genders) < 0.8
    assert {int(row[2]) for row in rows} == set(AGE_CODES)
    assert {int(row[3]) for row in rows} <= set(range(21))
    zips = [row[4] for row in rows]
    assert all(re.fullmatch(r"\d{5}(-\d{4})?", z) for z in zips)
    assert 0 < sum("-" in z for z in zips) < 0.1 * len(zips)


def test_latin1_files(small) -> None:
    summary, _ = small
    raw = summary.movies_path.read_bytes()
    assert any(byte >= 0x80 for byte in raw)
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("latin-1")
    assert any(word in text for word in ("Café", "Amélie", "Señor", "Über", "Noël", "Garçon"))
    for path in (summary.movies_path, summary.users_path, summary.ratings_path):
        data = path.read_bytes()
        assert data.startswith(b"1::") and data.endswith(b"\n") and b"\r" not in data


# --- shape ----------------------------------------------------------------------------------------------


def test_every_user_has_20_and_no_duplicate_pairs(medium) -> None:
    _, ratings = medium
    per_user = np.bincount(ratings[:, 0])[1:]
    assert per_user.min() >= 20
    pairs = ratings[:, 0] * 1_000_000 + ratings[:, 1]
    assert len(np.unique(pairs)) == len(pairs)


def test_long_tails(medium) -> None:
    _, ratings = medium
    per_movie = np.bincount(ratings[:, 1])
    per_movie = per_movie[per_movie > 0]
    assert per_movie.max() > 5 * np.median(per_movie)
    assert per_movie.min() < 0.1 * np.median(per_movie)
    per_user = np.bincount(ratings[:, 0])[1:]
    assert per_user.max() > 5 * np.median(per_user)
    assert 60 < np.median(per_user) < 150


def test_star_distribution(medium) -> None:
    _, ratings = medium
    shares = np.bincount(ratings[:, 2], minlength=6)[1:] / len(ratings)
    assert np.argmax(shares) == 3  # 4 stars
    assert 3.3 < ratings[:, 2].mean() < 3.9
    assert shares.min() > 0.03


def test_timestamps(medium) -> None:
    _, ratings = medium
    users, stamps = ratings[:, 0], ratings[:, 3]
    assert np.mean(stamps < YEAR_2001) > 0.75
    assert stamps.max() > YEAR_2001  # some ratings in 2001-2003
    order = np.lexsort((stamps, users))
    ends = np.r_[np.flatnonzero(np.diff(users[order])), len(order) - 1]
    tied_latest = stamps[order][ends] == stamps[order][ends - 1]
    assert 0.1 < tied_latest.mean() < 0.4  # same-second ratings, as on the real site; the split breaks the ties
    spread = np.maximum.reduceat(stamps[order], np.r_[0, ends[:-1] + 1]) - stamps[order][np.r_[0, ends[:-1] + 1]]
    assert (spread > 0).all()


# --- determinism and arguments --------------------------------------------------------------------------


def _file_bytes(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in ("movies.dat", "users.dat", "ratings.dat")}


def test_deterministic(tmp_path: Path) -> None:
    first = _file_bytes(generate_movielens(out_dir=tmp_path / "a", seed=7, **TINY).out_dir)
    again = _file_bytes(generate_movielens(out_dir=tmp_path / "b", seed=7, **TINY).out_dir)
    other = _file_bytes(generate_movielens(out_dir=tmp_path / "c", seed=8, **TINY).out_dir)
    assert first == again
    assert all(first[name] != other[name] for name in first)


def test_edge_sizes(tmp_path: Path) -> None:
    floor = generate_movielens(out_dir=tmp_path / "floor", n_users=30, n_movies=60, n_ratings=600)
    assert set(np.bincount(_ratings(floor.ratings_path)[:, 0])[1:]) == {20}
    n_rated = rated_movie_count(50)
    full = generate_movielens(out_dir=tmp_path / "full", n_users=30, n_movies=50, n_ratings=30 * n_rated)
    assert set(np.bincount(_ratings(full.ratings_path)[:, 0])[1:]) == {n_rated}


@settings(max_examples=12, deadline=None, database=None)
@given(
    n_users=st.integers(1, 40),
    n_movies=st.integers(20, 120),
    fill=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_valid_size_is_exact(
    tmp_path_factory: pytest.TempPathFactory, n_users: int, n_movies: int, fill: float, seed: int
) -> None:
    low, high = 20 * n_users, n_users * rated_movie_count(n_movies)
    n_ratings = low + round(fill * (high - low))
    out = tmp_path_factory.mktemp("any")
    ratings = _ratings(
        generate_movielens(out_dir=out, n_users=n_users, n_movies=n_movies, n_ratings=n_ratings, seed=seed).ratings_path
    )
    assert len(ratings) == n_ratings
    assert np.bincount(ratings[:, 0])[1:].min() >= 20 and ratings[:, 0].max() == n_users
    assert len(np.unique(ratings[:, 0] * 1000 + ratings[:, 1])) == n_ratings
    assert ratings[:, 1].max() <= n_movies


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ({"n_users": 100, "n_movies": 500, "n_ratings": 1999}, "at least 20"),
        ({"n_users": 10, "n_movies": 100, "n_ratings": 10 * rated_movie_count(100) + 1}, "too large"),
        ({"n_users": 10, "n_movies": 10, "n_ratings": 200}, "too large"),
        ({"n_users": 0, "n_movies": 10, "n_ratings": 200}, "positive"),
        ({"n_users": 10, "n_movies": 100, "n_ratings": 500.0}, "integer"),
        ({"n_users": 10, "n_movies": 100, "n_ratings": 500, "seed": -1}, "seed"),
    ],
)
def test_bad_arguments_raise(tmp_path: Path, sizes: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_movielens(out_dir=tmp_path / "out", **sizes)
    assert not (tmp_path / "out").exists()


# --- taste signal ---------------------------------------------------------------------------------------


def _user_knn_scores(train: np.ndarray, k: int = 50) -> np.ndarray:
    unit = train / np.maximum(np.linalg.norm(train, axis=1, keepdims=True), 1e-9)
    sim = unit @ unit.T
    np.fill_diagonal(sim, 0.0)
    kth = np.partition(sim, -k, axis=1)[:, -k][:, None]
    return np.where(sim >= kth, sim, 0.0) @ train


def _leave_latest_out(ratings: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    users, movies, stamps = ratings[:, 0], ratings[:, 1], ratings[:, 3]
    order = np.lexsort((stamps, users))
    ends = np.r_[np.flatnonzero(np.diff(users[order])), len(order) - 1]
    seen = np.zeros((users.max() + 1, movies.max() + 1), dtype=bool)
    seen[users, movies] = True
    return users[order][ends], movies[order][ends], seen


def _hit_rates(ratings: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """HR@10 of popularity and user-kNN for each user's latest movie among 99 sampled unrated ones."""
    held_user, held_movie, seen = _leave_latest_out(ratings)
    train = seen.astype(float)
    train[held_user, held_movie] = 0.0
    scorers = (train.sum(axis=0), _user_knn_scores(train))
    catalogue = np.flatnonzero(seen.any(axis=0))
    rng = np.random.default_rng(seed)
    hits = np.zeros(2)
    for user, movie in zip(held_user, held_movie, strict=True):
        candidates = np.r_[movie, rng.choice(catalogue[~seen[user, catalogue]], 99, replace=False)]
        for j, scores in enumerate((scorers[0], scorers[1][user])):
            s = scores[candidates]
            hits[j] += (s[1:] > s[0]).sum() + 0.5 * (s[1:] == s[0]).sum() < 10
    return float(hits[0] / len(held_user)), float(hits[1] / len(held_user))


def test_personalised_scorer_beats_popularity(small) -> None:
    _, ratings = small
    popularity, knn = _hit_rates(ratings)
    assert popularity > 0.25, "popularity should be a meaningful baseline (random is 0.10)"
    assert knn > popularity + 0.08, f"user-kNN HR@10 {knn:.3f} vs popularity {popularity:.3f}"


# --- order and time: the structure of real MovieLens (issue 9) ---------------------------------------------


@pytest.fixture(scope="module")
def structure(small):
    summary, _ = small
    return sequence_structure(*read_movielens_folder(summary.out_dir))


def test_consecutive_ratings_share_a_genre_more_than_random_pairs(structure) -> None:
    # Real ML-100K and the ML-1M sample: about 0.50-0.65 consecutive against 0.43-0.51 for random pairs.
    assert 0.45 < structure.consecutive_same_genre < 0.70, structure
    assert 0.35 < structure.random_same_genre < 0.52, structure
    assert structure.consecutive_same_genre > structure.random_same_genre + 0.05, structure


def test_most_ratings_come_on_the_first_day_some_in_the_same_second(structure) -> None:
    assert structure.first_day > 0.6, structure
    assert 0.15 < structure.same_second < 0.40, structure
    assert structure.latest_within_minute > 0.6, structure


def test_structure_of_the_real_sample_is_what_the_generator_aims_at() -> None:
    sample = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ml-1m-sample"
    if not sample.is_dir():
        pytest.skip("the real MovieLens sample is not here")
    real = sequence_structure(*read_movielens_folder(sample))
    assert real.consecutive_same_genre > real.random_same_genre + 0.1 and real.first_day > 0.6, real


def _item_similarity(train: np.ndarray) -> np.ndarray:
    unit = train / np.maximum(np.linalg.norm(train, axis=0, keepdims=True), 1e-9)
    return unit.T @ unit


def test_recent_ratings_predict_the_latest_better_than_earlier_ones(small) -> None:
    """Item-kNN from a user's 3 latest ratings beats the same from 3 random earlier ones: order carries signal."""
    _, ratings = small
    users, movies, stamps = ratings[:, 0], ratings[:, 1], ratings[:, 3]
    order = np.lexsort((movies, stamps, users))
    users, movies = users[order], movies[order]
    ends = np.r_[np.flatnonzero(np.diff(users)), len(users) - 1]
    starts = np.r_[0, ends[:-1] + 1]
    seen = np.zeros((users.max() + 1, movies.max() + 1))
    seen[users, movies] = 1.0
    train = seen.copy()
    train[users[ends], movies[ends]] = 0.0
    similarity = _item_similarity(train)
    rng = np.random.default_rng(0)
    hits = np.zeros(2)
    catalogue = np.flatnonzero(seen.any(axis=0))
    for start, end in zip(starts, ends, strict=True):
        user, target = users[end], movies[end]
        candidates = np.r_[target, rng.choice(catalogue[seen[user, catalogue] == 0], 99, replace=False)]
        recent = movies[end - 3 : end]
        earlier = rng.choice(movies[start : end - 3], 3, replace=False)
        for j, context in enumerate((recent, earlier)):
            scores = similarity[np.ix_(context, candidates)].sum(axis=0)
            hits[j] += (scores[1:] >= scores[0]).sum() < 10
    recent_hr, earlier_hr = hits / len(ends)
    assert recent_hr > earlier_hr + 0.1, (recent_hr, earlier_hr)


def test_latest_rating_leans_to_less_popular_movies(small) -> None:
    """Sessions of popular movies come first (as the site showed them first), so the latest movie is a little
    less popular than an average rating's, but not by much."""
    _, ratings = small
    held_user, held_movie, seen = _leave_latest_out(ratings)
    counts = seen.sum(axis=0)
    assert 0.6 < counts[held_movie].mean() / counts[ratings[:, 1]].mean() < 1.0


# --- management command ---------------------------------------------------------------------------------


def test_command_writes_files(tmp_path: Path) -> None:
    out = tmp_path / "ml"
    stdout = io.StringIO()
    args = ["--users", "40", "--movies", "90", "--ratings", "2000", "--seed", "3"]
    call_command("generate_movielens", str(out), *args, stdout=stdout)
    assert "40 users" in stdout.getvalue() and "2000 ratings" in stdout.getvalue()
    assert len(_lines(out / "ratings.dat")) == 2000
    assert len(_lines(out / "users.dat")) == 40
    with pytest.raises(CommandError, match="at least 20"):
        call_command("generate_movielens", str(tmp_path / "bad"), "--users", "40", "--ratings", "100")
