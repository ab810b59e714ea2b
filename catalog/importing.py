"""Import a MovieLens release into the catalogue: validate everything, then write in one transaction.

ML-1M brings its users' demographics; ML-10M and the CSV releases have no users file, so their users are
created from the ids their ratings name (no demographics). The import records the release and its star scale.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from . import bulk
from .models import Genre, Movie, MovieGenre, Rating, User, search_key
from .parsing import ML1M_GENRES, LineError, Parsed, parse_movies, parse_ratings, parse_users
from .scale import record_release
from .signals import announce_ratings_changed
from .sources import open_movielens
from .stats import movie_stats_refresh

BULK_LOAD_ROWS = 100_000  # from here on, one foreign-key check at the end beats one per row
Progress = Callable[[str, int], None]  # (stage, rows done since the last call)


class InvalidDataError(Exception):
    """Some lines are bad and the import is strict: nothing was written."""

    def __init__(self, errors: list[LineError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} invalid line(s); nothing was imported")


@dataclass
class KindCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0


@dataclass
class ImportReport:
    users: KindCounts = field(default_factory=KindCounts)
    movies: KindCounts = field(default_factory=KindCounts)
    ratings: KindCounts = field(default_factory=KindCounts)
    errors: list[LineError] = field(default_factory=list)
    release: str = ""  # e.g. "ml-10m"
    format: str = ""  # one of catalog.sources.FORMATS


def import_movielens(
    *, path: Path, skip_invalid: bool = False, progress: Progress | None = None, format: str | None = None
) -> ImportReport:
    """Import a release's folder or zip (``format`` None: told from its files). Strict by default: any bad
    line raises InvalidDataError and nothing is written."""
    progress = progress or (lambda stage, n: None)
    source = open_movielens(Path(path), format=format)
    texts = source.texts
    movies = parse_movies(texts[_file(source.format, "movies")], format=source.format)
    known_movies = _existing_ids(Movie).union(movies.records["movielens_id"])
    if source.format == "ml-1m":
        users = parse_users(texts["users.dat"])
        known_users = _existing_ids(User).union(users.records["movielens_id"])
        ratings = parse_ratings(texts["ratings.dat"], known_users, known_movies)
    else:  # no users file: the ratings' user ids are the users
        ratings = parse_ratings(texts[_file(source.format, "ratings")], None, known_movies, format=source.format)
        ids = pd.unique(ratings.records["user_ml"].to_numpy(dtype=np.int64))
        users = Parsed(pd.DataFrame({"movielens_id": np.sort(ids)}), [])
    progress("validated", 0)
    errors = sorted(users.errors + movies.errors + ratings.errors)
    if errors and not skip_invalid:
        raise InvalidDataError(errors)
    report = ImportReport(errors=errors, release=source.release, format=source.format)
    report.users.skipped, report.movies.skipped = len(users.errors), len(movies.errors)
    report.ratings.skipped = len(ratings.errors)
    with transaction.atomic():
        _upsert_users(users, report.users)
        progress("users", len(users.records))
        _upsert_movies(movies, report.movies, base_genres=ML1M_GENRES if source.format == "ml-1m" else frozenset())
        progress("movies", len(movies.records))
        changed_users = _upsert_ratings(ratings, report.ratings, lambda n: progress("ratings", n))
        record_release(name=source.release, format=source.format, half_stars=source.half_stars)
        if changed_users:
            movie_stats_refresh()
            bulk.analyze(Rating._meta.db_table, Movie._meta.db_table, User._meta.db_table)
        announce_ratings_changed(user_ids=changed_users)
    return report


def _file(format: str, kind: str) -> str:
    return f"{kind}.csv" if format == "csv" else f"{kind}.dat"


def _existing_ids(model) -> pd.Index:
    ids = model.objects.filter(movielens_id__isnull=False).values_list("movielens_id", flat=True)
    return pd.Index(list(ids), dtype=np.int64)


def _changed(incoming: pd.DataFrame, existing: pd.DataFrame, key: str, columns: list[str]):
    """Split incoming rows into new ones and ones whose columns differ from what is stored."""
    merged = incoming.merge(existing, on=key, how="left", suffixes=("", "_old"), indicator=True)
    new = merged["_merge"] == "left_only"
    differs = np.zeros(len(merged), dtype=bool)
    for column in columns:
        old = merged[f"{column}_old"]
        same = (merged[column] == old).fillna(False).astype(bool) | (merged[column].isna() & old.isna())
        differs |= ~same.to_numpy(dtype=bool)
    return incoming[new.to_numpy()], incoming[(~new).to_numpy() & differs]


def _upsert_users(users: Parsed, counts: KindCounts) -> None:
    """Create new users and update changed demographics (none to update where the release has no users file)."""
    columns = [c for c in ("gender", "age", "occupation", "zip_code") if c in users.records.columns]
    existing = pd.DataFrame(
        User.objects.filter(movielens_id__isnull=False).values("movielens_id", *columns),
        columns=["movielens_id", *columns],
    )
    new, changed = _changed(users.records, existing, "movielens_id", columns)
    User.objects.bulk_create(
        [
            User(
                username=f"ml{row.movielens_id}",
                password=make_password(None),
                **_fields(row, columns),
                movielens_id=row.movielens_id,
            )
            for row in new.itertuples()
        ],
        batch_size=2000,
    )
    for row in changed.itertuples():
        User.objects.filter(movielens_id=row.movielens_id).update(**_fields(row, columns))
    counts.created, counts.updated = len(new), len(changed)
    counts.unchanged = len(users.records) - len(new) - len(changed)


def _upsert_movies(movies: Parsed, counts: KindCounts, *, base_genres: frozenset[str]) -> None:
    records = movies.records.assign(year=movies.records["year"].astype("Int64"))
    existing = pd.DataFrame(
        Movie.objects.values("movielens_id", "title", "year"), columns=["movielens_id", "title", "year"]
    )
    existing["year"] = existing["year"].astype("Int64")
    new, changed = _changed(records, existing, "movielens_id", ["title", "year"])
    Movie.objects.bulk_create(
        [
            Movie(
                movielens_id=r.movielens_id, title=r.title, search_title=search_key(r.title), year=_none_if_na(r.year)
            )
            for r in new.itertuples()
        ],
        batch_size=2000,
    )
    for row in changed.itertuples():
        Movie.objects.filter(movielens_id=row.movielens_id).update(
            title=row.title, search_title=search_key(row.title), year=_none_if_na(row.year)
        )
    genres_changed = _sync_genres(records, base_genres)
    counts.created = len(new)
    touched = set(changed["movielens_id"]) | (genres_changed - set(new["movielens_id"]))
    counts.updated = len(touched)
    counts.unchanged = len(records) - counts.created - counts.updated


def _sync_genres(records: pd.DataFrame, base_genres: frozenset[str]) -> set[int]:
    """Make each movie's genres exactly those of the file; return the MovieLens ids that changed.

    Creates ``base_genres`` (ML-1M's 18, so filters list them all) and every genre the file names.
    """
    named = {name for names in records["genres"] for name in names}
    for name in sorted((base_genres | named) - set(Genre.objects.values_list("name", flat=True))):
        Genre.objects.create(name=name)
    genre_ids = dict(Genre.objects.values_list("name", "id"))
    movie_ids = dict(Movie.objects.values_list("movielens_id", "id"))
    wanted = {(movie_ids[r.movielens_id], genre_ids[g]) for r in records.itertuples() for g in r.genres}
    in_file = {movie_ids[m] for m in records["movielens_id"]}
    stored = {pair for pair in MovieGenre.objects.values_list("movie_id", "genre_id") if pair[0] in in_file}
    extra, missing = stored - wanted, wanted - stored
    for movie_id, genre_id in extra:
        MovieGenre.objects.filter(movie_id=movie_id, genre_id=genre_id).delete()
    MovieGenre.objects.bulk_create([MovieGenre(movie_id=m, genre_id=g) for m, g in missing], batch_size=5000)
    by_pk = {pk: ml for ml, pk in movie_ids.items()}
    return {by_pk[m] for m, _ in extra | missing}


def _upsert_ratings(ratings: Parsed, counts: KindCounts, on_chunk: Callable[[int], None]) -> set[int]:
    """Insert new ratings and update changed ones; returns the primary keys of the users whose ratings changed."""
    user_pk = pd.Series(dict(User.objects.filter(movielens_id__isnull=False).values_list("movielens_id", "id")))
    movie_pk = pd.Series(dict(Movie.objects.values_list("movielens_id", "id")))
    incoming = pd.DataFrame(
        {
            "user_id": user_pk.reindex(ratings.records["user_ml"]).to_numpy(dtype=np.int64),
            "movie_id": movie_pk.reindex(ratings.records["movie_ml"]).to_numpy(dtype=np.int64),
            "stars": ratings.records["stars"].to_numpy(dtype=np.float64),
            "timestamp": ratings.records["timestamp"].to_numpy(dtype=np.int64),
        }
    )
    existing = _stored_ratings()
    merged = incoming.merge(existing, on=["user_id", "movie_id"], how="left", suffixes=("", "_old"))
    is_new = merged["id"].isna().to_numpy()
    differs = (
        ~is_new
        & ((merged["stars"] != merged["stars_old"]) | (merged["timestamp"] != merged["timestamp_old"])).to_numpy()
    )
    table = Rating._meta.db_table
    # In key order, so the (user, movie) and (user, time) indexes grow at their ends instead of at random.
    new_rows = incoming[is_new].sort_values(["user_id", "movie_id"], kind="stable")
    if len(new_rows) >= BULK_LOAD_ROWS:
        with bulk.foreign_keys_checked_once(table):
            bulk.insert_rows(table, new_rows, on_chunk=on_chunk)
    else:
        bulk.insert_rows(table, new_rows, on_chunk=on_chunk)
    changed = merged.loc[differs, ["id", "stars", "timestamp"]].astype(
        {"id": np.int64, "stars": np.float64, "timestamp": np.int64}
    )
    bulk.update_rows(table, changed, key="id")
    counts.created, counts.updated = int(is_new.sum()), int(differs.sum())
    counts.unchanged = len(incoming) - counts.created - counts.updated
    return set(new_rows["user_id"].unique().tolist()) | set(merged.loc[differs, "user_id"].unique().tolist())


def _stored_ratings() -> pd.DataFrame:
    columns = ["id", "user_id", "movie_id", "stars", "timestamp"]
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(map(qn, columns))} FROM {qn(Rating._meta.db_table)}")
        rows = cursor.fetchall()
    return pd.DataFrame(rows, columns=columns).rename(columns={"stars": "stars_old", "timestamp": "timestamp_old"})


def _fields(row, columns: list[str]) -> dict:
    return {c: getattr(row, c) for c in columns}


def _none_if_na(value):
    return None if pd.isna(value) else int(value)
