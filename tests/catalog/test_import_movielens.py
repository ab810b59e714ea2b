import zipfile
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Genre, Movie, MovieGenre, Rating, User

pytestmark = pytest.mark.django_db

TINY_COUNTS = {"users": 70, "movies": 27, "ratings": 1567}


def _import(path, *args) -> str:
    out = StringIO()
    call_command("import_movielens", str(path), *args, stdout=out, stderr=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "movies": Movie.objects.count(),
        "ratings": Rating.objects.count(),
        "genres": MovieGenre.objects.count(),
    }


def _append(path, line: str) -> None:
    with path.open("a", encoding="latin-1") as stream:
        stream.write(line + "\n")


def test_it_imports_the_three_files(tiny_dataset):
    output = _import(tiny_dataset)

    assert "ratings: 1567 created" in output
    assert {k: v for k, v in _counts().items() if k != "genres"} == TINY_COUNTS
    assert Genre.objects.count() == 18
    movie = Movie.objects.get(movielens_id=29)
    assert movie.title == "City of Lost Children, The (Cité des enfants perdus, La) (1995)"
    assert movie.year == 1995
    assert sorted(movie.genres.values_list("name", flat=True)) == ["Adventure", "Sci-Fi"]
    assert Movie.objects.get(movielens_id=1).genres.filter(name="Children's").exists()
    assert Movie.objects.get(movielens_id=1105).title == "Children of the Corn IV: The Gathering (1996)"
    assert Movie.objects.get(movielens_id=3606).year == 1947
    assert Movie.objects.get(movielens_id=3607).title.startswith("Señor Wences: Über")
    user = User.objects.get(movielens_id=67)
    assert (user.gender, user.age, user.occupation, user.zip_code) == ("F", 50, 5, "98107-2117")
    assert not user.has_usable_password()
    rating = Rating.objects.get(user__movielens_id=70, movie__movielens_id=3606)
    assert (rating.stars, rating.timestamp) == (4, 978300000)


def test_it_imports_the_zip_archive(tiny_dataset, tmp_path):
    archive = tmp_path / "ml-1m.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in tiny_dataset.iterdir():
            zipped.write(path, f"ml-1m/{path.name}")
    _import(archive)
    assert {k: v for k, v in _counts().items() if k != "genres"} == TINY_COUNTS


def test_importing_again_changes_nothing(tiny_dataset):
    _import(tiny_dataset)
    before = _counts()
    ids = sorted(Rating.objects.values_list("id", flat=True))

    output = _import(tiny_dataset)

    assert "ratings: 0 created, 0 updated, 1567 unchanged" in output
    assert "users: 0 created, 0 updated, 70 unchanged" in output
    assert _counts() == before
    assert sorted(Rating.objects.values_list("id", flat=True)) == ids


def test_changed_files_update_what_changed(tiny_dataset):
    _import(tiny_dataset)
    ratings = (
        (tiny_dataset / "ratings.dat").read_text("latin-1").replace("70::3606::4::978300000", "70::3606::1::978399999")
    )
    (tiny_dataset / "ratings.dat").write_text(ratings, "latin-1")
    movies = (
        (tiny_dataset / "movies.dat")
        .read_text("latin-1")
        .replace("318::Shawshank Redemption, The (1994)::Drama", "318::Shawshank Redemption, The (1994)::Crime|Drama")
    )
    (tiny_dataset / "movies.dat").write_text(movies, "latin-1")
    _append(tiny_dataset / "users.dat", "71::F::18::4::75001")
    _append(tiny_dataset / "ratings.dat", "71::1::5::978301000")

    output = _import(tiny_dataset)

    assert "ratings: 1 created, 1 updated, 1566 unchanged" in output
    assert "movies: 0 created, 1 updated, 26 unchanged" in output
    assert "users: 1 created, 0 updated, 70 unchanged" in output
    rating = Rating.objects.get(user__movielens_id=70, movie__movielens_id=3606)
    assert (rating.stars, rating.timestamp) == (1, 978399999)
    assert sorted(Movie.objects.get(movielens_id=318).genres.values_list("name", flat=True)) == ["Crime", "Drama"]


def test_a_bad_line_stops_the_import_and_writes_nothing(tiny_dataset):
    _import(tiny_dataset)
    before = _counts()
    _append(tiny_dataset / "users.dat", "71::F::18::4::75001")
    _append(tiny_dataset / "ratings.dat", "71::1::5::978301000")
    _append(tiny_dataset / "ratings.dat", "1::2::7::978301000")

    with pytest.raises(CommandError) as error:
        _import(tiny_dataset)

    message = str(error.value)
    assert f"{tiny_dataset / 'ratings.dat'}:1569: rating 7 is not 1-5 stars" in message
    assert "1 invalid line(s); nothing was imported" in message
    assert "--skip-invalid" in message
    assert _counts() == before
    assert not User.objects.filter(movielens_id=71).exists()


def test_the_report_lists_the_first_bad_lines_and_the_total(tiny_dataset):
    for n in range(25):
        _append(tiny_dataset / "ratings.dat", f"1::{9000 + n}::5::1")
    with pytest.raises(CommandError) as error:
        _import(tiny_dataset)
    message = str(error.value)
    assert "unknown MovieID 9000" in message and "unknown MovieID 9019" in message
    assert "unknown MovieID 9020" not in message
    assert "... and 5 more" in message and "25 invalid line(s)" in message
    assert Rating.objects.count() == 0


def test_skip_invalid_imports_the_good_lines_and_reports_the_rest(tiny_dataset):
    _append(tiny_dataset / "users.dat", "71::Q::18::4::75001")
    _append(tiny_dataset / "ratings.dat", "71::1::5::978301000")
    _append(tiny_dataset / "ratings.dat", "2::1::5::not-a-time")
    _append(tiny_dataset / "movies.dat", "4000::Nowhere (2001)::Cartoon")

    output = _import(tiny_dataset, "--skip-invalid")

    assert "users.dat:71: gender 'Q' is not M or F" in output
    assert "ratings.dat:1568: unknown UserID 71" in output
    assert "ratings.dat:1569: timestamp 'not-a-time' is not an integer" in output
    assert "movies.dat:28: unknown genre 'Cartoon'" in output
    assert "skipped 4 invalid line(s)" in output
    assert {k: v for k, v in _counts().items() if k != "genres"} == TINY_COUNTS


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "movies.dat").unlink(), "missing movies.dat"),
        (lambda d: (d / "users.dat").write_bytes(b"\x00\x01\x02binary"), "is not text"),
        (lambda d: (d / "movies.dat").write_text("1::Amélie (2001)::Comedy\n", "utf-8"), "is UTF-8, not latin-1"),
    ],
)
def test_an_unreadable_input_is_one_clear_error_and_writes_nothing(tiny_dataset, damage, message):
    damage(tiny_dataset)
    with pytest.raises(CommandError, match=message) as error:
        _import(tiny_dataset)
    assert "\n" not in str(error.value)
    assert _counts() == {"users": 0, "movies": 0, "ratings": 0, "genres": 0}


def test_a_failure_while_writing_rolls_everything_back(tiny_dataset, monkeypatch):
    _import(tiny_dataset)
    before = _counts()
    _append(tiny_dataset / "users.dat", "71::F::18::4::75001")
    _append(tiny_dataset / "ratings.dat", "71::1::5::978301000")

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("catalog.bulk.insert_rows", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        _import(tiny_dataset)
    assert _counts() == before
    assert not User.objects.filter(movielens_id=71).exists()


def test_it_is_quiet_at_verbosity_0(tiny_dataset):
    assert _import(tiny_dataset, "--verbosity", "0") == ""


def test_the_bulk_path_keeps_the_foreign_keys(tiny_dataset, monkeypatch):
    from django.db import connection

    monkeypatch.setattr("catalog.importing.BULK_LOAD_ROWS", 1)
    _import(tiny_dataset)

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Rating._meta.db_table)
    targets = sorted(c["foreign_key"][0] for c in constraints.values() if c["foreign_key"])
    assert targets == sorted([Movie._meta.db_table, User._meta.db_table])
    assert Rating.objects.count() == TINY_COUNTS["ratings"]
    Movie.objects.filter(movielens_id=1).delete()
    assert not Rating.objects.filter(movie__movielens_id=1).exists()
