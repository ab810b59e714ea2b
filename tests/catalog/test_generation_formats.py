"""generate_movielens --format: ML-10M's and the CSV releases' files, the same data as the ML-1M output."""

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from catalog.generation import generate_movielens

SIZES = {"n_users": 60, "n_movies": 150, "n_ratings": 4_000}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, Path]:
    return {
        format: generate_movielens(out_dir=tmp_path_factory.mktemp(format), seed=2, format=format, **SIZES).out_dir
        for format in ("ml-1m", "ml-10m", "csv")
    }


def _dat_ratings(path: Path) -> np.ndarray:
    return np.array([line.split("::") for line in path.read_text("utf-8").splitlines()], dtype=np.float64)


def test_ml_10m_is_ml_1m_with_half_stars_and_no_users(outputs):
    assert sorted(p.name for p in outputs["ml-10m"].iterdir()) == ["movies.dat", "ratings.dat"]
    whole, half = _dat_ratings(outputs["ml-1m"] / "ratings.dat"), _dat_ratings(outputs["ml-10m"] / "ratings.dat")
    assert np.array_equal(whole[:, [0, 1, 3]], half[:, [0, 1, 3]])
    lowered = whole[:, 2] - half[:, 2]
    assert set(np.unique(lowered)) == {0.0, 0.5} and 0.15 < lowered.mean() * 2 < 0.35
    assert set(np.unique(half[:, 2])) == {0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5}
    text = (outputs["ml-10m"] / "ratings.dat").read_text()
    assert "::4::" in text and "::4.0::" not in text  # whole stars as ML-10M writes them


def test_csv_has_headers_quoted_titles_and_the_extra_genres(outputs):
    movies = list(csv.reader(io.StringIO((outputs["csv"] / "movies.csv").read_text("utf-8"))))
    ratings = (outputs["csv"] / "ratings.csv").read_text("utf-8").splitlines()
    assert movies[0] == ["movieId", "title", "genres"] and ratings[0] == "userId,movieId,rating,timestamp"
    assert len(movies) == SIZES["n_movies"] + 1 and len(ratings) == SIZES["n_ratings"] + 1
    titles = [title for _, title, _ in movies[1:]]
    assert any("," in t for t in titles) and f'"{next(t for t in titles if "," in t)}"' in (
        outputs["csv"] / "movies.csv"
    ).read_text("utf-8")
    genres = {g for _, _, field in movies[1:] for g in field.split("|")}
    assert {"IMAX", "(no genres listed)"} <= genres and "Children's" not in genres
    assert all(line.split(",")[2] in {f"{s / 2:.1f}" for s in range(1, 11)} for line in ratings[1:])
    dat = [line.split("::") for line in (outputs["ml-10m"] / "movies.dat").read_text("utf-8").splitlines()]
    assert [row[1:] for row in movies[1:]] == [row[1:] for row in dat]


def test_the_command_takes_the_format(tmp_path):
    out = io.StringIO()
    call_command("generate_movielens", str(tmp_path), "--users", "20", "--movies", "40", "--ratings", "500",
                 "--format", "csv", stdout=out)  # fmt: skip
    assert "(csv format)" in out.getvalue() and (tmp_path / "ratings.csv").is_file()
    with pytest.raises(CommandError):
        call_command("generate_movielens", str(tmp_path), "--format", "ml-100k")
