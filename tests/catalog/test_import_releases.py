"""import_movielens on each release's format (ML-1M, ML-10M, CSV), generated offline by generate_movielens."""

import csv
import zipfile
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from catalog.generation import generate_movielens
from catalog.importing import InvalidDataError, import_movielens
from catalog.models import Genre, Movie, Rating, Release, User
from catalog.sources import SourceError, open_movielens

pytestmark = pytest.mark.django_db
SIZES = {"n_users": 40, "n_movies": 90, "n_ratings": 2_000}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, Path]:
    """The same synthetic data in each format (one folder per format, named as GroupLens' archives unpack)."""
    folders = {}
    for format, name in (("ml-1m", "ml-1m"), ("ml-10m", "ml-10M100K"), ("csv", "ml-25m")):
        folders[format] = tmp_path_factory.mktemp(format) / name
        generate_movielens(out_dir=folders[format], seed=5, format=format, **SIZES)
    return folders


def _copy(folder: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    for path in folder.iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    return target


def _file_ratings(folder: Path, format: str) -> dict[tuple[int, int], float]:
    if format == "csv":
        with (folder / "ratings.csv").open(encoding="utf-8", newline="") as stream:
            rows = list(csv.reader(stream))[1:]
    else:
        rows = [line.split("::") for line in (folder / "ratings.dat").read_bytes().decode("latin-1").splitlines()]
    return {(int(u), int(m)): float(r) for u, m, r, _ in rows}


def _stored_ratings() -> dict[tuple[int, int], float]:
    rows = Rating.objects.values_list("user__movielens_id", "movie__movielens_id", "stars")
    return {(u, m): float(s) for u, m, s in rows}


@pytest.mark.parametrize(("format", "release", "half"), [("ml-1m", "ml-1m", False), ("ml-10m", "ml-10m", True),
                                                         ("csv", "ml-25m", True)])  # fmt: skip
def test_each_format_imports_every_rating_as_written(generated, format, release, half):
    folder = generated[format]

    report = import_movielens(path=folder)

    assert (report.format, report.release) == (format, release)
    assert _stored_ratings() == _file_ratings(folder, format)
    assert report.ratings.created == SIZES["n_ratings"] and report.users.created == SIZES["n_users"]
    assert Movie.objects.count() == SIZES["n_movies"] and User.objects.count() == SIZES["n_users"]
    assert (Release.objects.get().name, Release.objects.get().half_stars) == (release, half)
    halves = Rating.objects.filter(stars__in=[0.5, 1.5, 2.5, 3.5, 4.5]).count()
    assert (halves > 0) == half
    stars = np.array(list(_file_ratings(folder, format).values()))
    assert Movie.objects.get(movielens_id=1).ratings_count == Rating.objects.filter(movie__movielens_id=1).count()
    assert sum(Movie.objects.values_list("stars_sum", flat=True)) == stars.sum()


def test_the_formats_hold_the_same_catalogue(generated):
    """The same generated data, imported as ML-10M then as CSV: nothing changes (titles, genres, stars)."""
    import_movielens(path=generated["ml-10m"])
    report = import_movielens(path=generated["csv"])
    assert (report.movies.created, report.movies.updated, report.ratings.created, report.ratings.updated) == (0,) * 4


def test_later_releases_keep_their_genres_titles_and_users(generated):
    import_movielens(path=generated["csv"])
    rows = list(csv.reader((generated["csv"] / "movies.csv").open(encoding="utf-8", newline="")))[1:]
    for movie_id, title, genres in rows:
        movie = Movie.objects.get(movielens_id=int(movie_id))
        assert movie.title == title
        expected = [] if genres == "(no genres listed)" else sorted(genres.split("|"))
        assert sorted(movie.genres.values_list("name", flat=True)) == expected
    assert any("," in title for _, title, _ in rows)
    named = {g for _, _, genres in rows if genres != "(no genres listed)" for g in genres.split("|")}
    assert set(Genre.objects.values_list("name", flat=True)) == named and "Children's" not in named
    assert "IMAX" in named and any(genres == "(no genres listed)" for _, _, genres in rows)
    assert User.objects.filter(gender="", age__isnull=True).count() == SIZES["n_users"]  # no users file


def test_imax_and_no_genres_are_read(tmp_path):
    folder = tmp_path / "ml-latest-small"
    folder.mkdir()
    (folder / "movies.csv").write_text(
        'movieId,title,genres\n1,"Town, The ""Big"" One (2010)",Crime|IMAX\n2,Untitled (2019),(no genres listed)\n'
    )
    (folder / "ratings.csv").write_text("userId,movieId,rating,timestamp\n7,1,4.5,1\n7,2,0.5,2\n")
    import_movielens(path=folder)
    town = Movie.objects.get(movielens_id=1)
    assert town.title == 'Town, The "Big" One (2010)' and town.year == 2010
    assert sorted(town.genres.values_list("name", flat=True)) == ["Crime", "IMAX"]
    assert not Movie.objects.get(movielens_id=2).genres.exists()
    assert sorted(Rating.objects.values_list("stars", flat=True)) == [0.5, 4.5]
    assert Release.objects.get().name == "ml-latest-small"


def test_a_zip_of_a_csv_release_is_read(generated, tmp_path):
    archive = tmp_path / "ml-32m.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in generated["csv"].iterdir():
            zipped.write(path, f"ml-32m/{path.name}")
    report = import_movielens(path=archive)
    assert (report.format, report.release, report.ratings.created) == ("csv", "ml-32m", SIZES["n_ratings"])


# --- bad lines: file:line: reason, and nothing written ----------------------------------------------------


def _append_line(path: Path, text: str) -> int:
    content = path.read_bytes().decode("utf-8")
    path.write_bytes((content + text + "\n").encode("utf-8"))
    return content.count("\n") + 1


@pytest.mark.parametrize(
    ("format", "file", "line", "reason"),
    [
        ("ml-10m", "ratings.dat", "1::1::4.3::964982703", "rating 4.3 is not 0.5-5 stars in half steps"),
        ("ml-10m", "ratings.dat", "1::1::5.5::964982703", "rating 5.5 is not 0.5-5 stars in half steps"),
        ("ml-10m", "ratings.dat", "1::1::0::964982703", "rating 0 is not 0.5-5 stars in half steps"),
        ("ml-10m", "ratings.dat", "1::99999::4::964982703", "unknown MovieID 99999"),
        ("ml-10m", "movies.dat", "99999::Nothing (2001)::Cooking", "unknown genre 'Cooking'"),
        ("ml-10m", "movies.dat", "99999::Nothing (2001)", "expected 3 fields (MovieID::Title::Genres), found 2"),
        ("csv", "ratings.csv", "1,1,four,964982703", "rating 'four' is not a number"),
        ("csv", "ratings.csv", "1,1,3.5", "expected 4 fields (userId,movieId,rating,timestamp), found 3"),
        ("csv", "ratings.csv", "x1,1,3.5,5", "userId 'x1' is not an integer"),
        ("csv", "movies.csv", '99999,"Unclosed, The (2001),Drama', "badly quoted field"),
        ("csv", "movies.csv", "99999,Nothing, The (2001),Drama", "expected 3 fields (movieId,title,genres), found 4"),
        ("csv", "movies.csv", "1,Again (2001),Drama", "duplicate movieId (first on line 2)"),
    ],
)
def test_a_bad_line_is_reported_with_file_and_line_and_nothing_is_written(
    generated, tmp_path, format, file, line, reason
):
    folder = _copy(generated[format], tmp_path / generated[format].name)
    number = _append_line(folder / file, line)

    with pytest.raises(InvalidDataError) as raised:
        import_movielens(path=folder)

    errors = [str(e) for e in raised.value.errors]
    assert len(errors) == 1 and errors[0].startswith(f"{folder / file}:{number}: {reason}"), errors
    assert (Movie.objects.count(), Rating.objects.count(), User.objects.count(), Release.objects.count()) == (0,) * 4


def test_a_csv_file_without_its_header_is_refused_on_line_1(generated, tmp_path):
    folder = _copy(generated["csv"], tmp_path / "ml-20m")
    ratings = folder / "ratings.csv"
    ratings.write_text(ratings.read_text().replace("userId,movieId,rating,timestamp\n", "user,movie,rating,time\n"))
    with pytest.raises(InvalidDataError) as raised:
        import_movielens(path=folder)
    assert [str(e) for e in raised.value.errors] == [
        f"{ratings}:1: expected the header 'userId,movieId,rating,timestamp' on line 1, found 'user,movie,rating,time'"
    ]


def test_skip_invalid_imports_the_rest_of_a_csv_release(generated, tmp_path):
    folder = _copy(generated["csv"], tmp_path / "ml-25m")
    number = _append_line(folder / "ratings.csv", "1,1,7.0,964982703")
    out_err = []
    call_command("import_movielens", str(folder), "--skip-invalid", stdout=_Sink(), stderr=_Sink(out_err))
    assert Rating.objects.count() == SIZES["n_ratings"]
    assert f"{folder / 'ratings.csv'}:{number}: rating 7 is not 0.5-5 stars in half steps" in "".join(out_err)


def test_a_half_star_in_ml_1m_is_still_refused(generated, tmp_path):
    folder = _copy(generated["ml-1m"], tmp_path / "ml-1m")
    number = _append_line(folder / "ratings.dat", "1::1::4.5::964982703")
    with pytest.raises(CommandError, match=rf"ratings.dat:{number}: rating '4.5' is not an integer"):
        call_command("import_movielens", str(folder), verbosity=0)
    assert not Rating.objects.exists()


# --- telling the format ------------------------------------------------------------------------------------


def test_ml_10m_text_may_be_utf8_or_latin1(tmp_path):
    for encoding in ("utf-8", "latin-1"):
        folder = tmp_path / encoding / "ml-10M100K"
        folder.mkdir(parents=True)
        (folder / "movies.dat").write_bytes("1::Amélie (2001)::Comedy|Romance\n".encode(encoding))
        (folder / "ratings.dat").write_bytes(b"1::1::4.5::1\n")
        assert open_movielens(folder).texts["movies.dat"].text == "1::Amélie (2001)::Comedy|Romance\n"


def test_ml_10m_files_without_a_sign_of_ml_10m_need_the_format(generated, tmp_path):
    folder = tmp_path / "ratings-only"
    folder.mkdir()
    (folder / "movies.dat").write_text("1::Toy Story (1995)::Animation\n")
    (folder / "ratings.dat").write_text("1::1::4::1\n")  # whole stars, no tags.dat, no telling name
    with pytest.raises(SourceError, match="missing users.dat.*pass --format ml-10m"):
        import_movielens(path=folder)
    report = import_movielens(path=folder, format="ml-10m")
    assert (report.format, report.users.created, Release.objects.get().half_stars) == ("ml-10m", 1, True)


def test_the_generated_ml_10m_is_told_by_its_half_stars(generated, tmp_path):
    folder = _copy(generated["ml-10m"], tmp_path / "no-telling-name")
    assert open_movielens(folder).format == "ml-10m"


def test_a_csv_release_that_is_not_utf8_says_where(tmp_path):
    folder = tmp_path / "ml-20m"
    folder.mkdir()
    (folder / "movies.csv").write_bytes("movieId,title,genres\n1,Amélie (2001),Comedy\n".encode("latin-1"))
    (folder / "ratings.csv").write_text("userId,movieId,rating,timestamp\n")
    with pytest.raises(SourceError, match=r"movies.csv:2: byte 0xe9 is not UTF-8"):
        import_movielens(path=folder)


class _Sink:
    def __init__(self, into: list | None = None) -> None:
        self.into = into if into is not None else []

    def write(self, text: str) -> None:
        self.into.append(text)

    def flush(self) -> None:
        pass
