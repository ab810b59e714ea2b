"""Parse and validate ML-1M records, vectorised with pandas: every bad line is found, none is fatal here.

Each parser returns the valid records as a DataFrame (with the 1-based ``line`` they came from) and the
problems as ``LineError``s; callers decide whether one bad line stops the import.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .sources import SourceText

ML1M_GENRES = frozenset(
    {
        "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
        "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War",
        "Western",
    }
)  # fmt: skip
NO_GENRES = "(no genres listed)"  # later MovieLens exports write this; it means an empty list
AGE_CODES = frozenset({1, 18, 25, 35, 45, 50, 56})
OCCUPATION_CODES = range(0, 21)
MAX_ZIP_LENGTH = 20
MAX_TITLE_LENGTH = 255
_YEAR = re.compile(r"\((\d{4})\)")


@dataclass(frozen=True, order=True)
class LineError:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class Parsed:
    records: pd.DataFrame
    errors: list[LineError]


class _Checker:
    """Collects per-line failures of one file; a line keeps only its first problem."""

    def __init__(self, source: SourceText, n_fields: int, layout: str) -> None:
        self.source = source
        lines = pd.Series(source.text.split("\n"), dtype=object).str.rstrip("\r")
        lines.index = np.arange(1, len(lines) + 1)
        lines = lines[lines.str.strip() != ""]  # blank lines (and the final newline) are not records
        self.lines = lines
        self.bad = pd.Series("", index=lines.index, dtype=object)
        counts, self.fields = _split_fields(lines, n_fields)
        self.flag(counts != n_fields, lambda i: f"expected {n_fields} fields ({layout}), found {counts[i]}")

    def flag(self, mask: pd.Series, reason) -> None:
        fresh = mask & (self.bad == "")
        if fresh.any():
            idx = fresh[fresh].index
            self.bad[idx] = [reason(i) for i in idx] if callable(reason) else reason

    def integer(self, column: int, name: str) -> pd.Series:
        raw = self.fields[column].fillna("").str.strip()
        values = pd.to_numeric(raw.where(raw.str.fullmatch(r"[+-]?\d+"), None), errors="coerce")
        self.flag(values.isna(), lambda i: f"{name} {raw[i]!r} is not an integer")
        return values.fillna(0).astype(np.int64)

    def result(self, records: pd.DataFrame) -> Parsed:
        ok = self.bad == ""
        errors = [LineError(self.source.name, int(i), r) for i, r in self.bad[~ok].items()]
        records = records[ok].copy()
        records.insert(0, "line", records.index.astype(np.int64))
        return Parsed(records.reset_index(drop=True), errors)


def parse_users(source: SourceText) -> Parsed:
    check = _Checker(source, 5, "UserID::Gender::Age::Occupation::Zip-code")
    user_id = check.integer(0, "UserID")
    check.flag(user_id <= 0, lambda i: f"UserID {user_id[i]} is not positive")
    gender = check.fields[1].fillna("").str.strip()
    check.flag(~gender.isin(["M", "F"]), lambda i: f"gender {gender[i]!r} is not M or F")
    age = check.integer(2, "age")
    check.flag(~age.isin(AGE_CODES), lambda i: f"age code {age[i]} is not one of {sorted(AGE_CODES)}")
    occupation = check.integer(3, "occupation")
    check.flag(~occupation.isin(OCCUPATION_CODES), lambda i: f"occupation {occupation[i]} is not 0-20")
    zip_code = check.fields[4].fillna("").str.strip()
    check.flag(zip_code.str.len() > MAX_ZIP_LENGTH, f"zip code longer than {MAX_ZIP_LENGTH} characters")
    _flag_duplicates(check, user_id, "UserID")
    frame = pd.DataFrame(
        {"movielens_id": user_id, "gender": gender, "age": age, "occupation": occupation, "zip_code": zip_code}
    )
    return check.result(frame)


def parse_movies(source: SourceText) -> Parsed:
    check = _Checker(source, 3, "MovieID::Title::Genres")
    movie_id = check.integer(0, "MovieID")
    check.flag(movie_id <= 0, lambda i: f"MovieID {movie_id[i]} is not positive")
    title = check.fields[1].fillna("").str.strip()
    check.flag(title == "", "empty title")
    check.flag(title.str.len() > MAX_TITLE_LENGTH, f"title longer than {MAX_TITLE_LENGTH} characters")
    genres = check.fields[2].fillna("").str.strip().map(_split_genres)
    unknown = genres.map(lambda names: [g for g in names if g not in ML1M_GENRES])
    check.flag(unknown.str.len() > 0, lambda i: f"unknown genre {unknown[i][0]!r}")
    _flag_duplicates(check, movie_id, "MovieID")
    frame = pd.DataFrame({"movielens_id": movie_id, "title": title, "year": title.map(year_from_title)})
    frame["genres"] = genres
    return check.result(frame)


def parse_ratings(source: SourceText, known_users: Iterable[int], known_movies: Iterable[int]) -> Parsed:
    check = _Checker(source, 4, "UserID::MovieID::Rating::Timestamp")
    user_id = check.integer(0, "UserID")
    movie_id = check.integer(1, "MovieID")
    stars = check.integer(2, "rating")
    check.flag((stars < 1) | (stars > 5), lambda i: f"rating {stars[i]} is not 1-5 stars")
    timestamp = check.integer(3, "timestamp")
    check.flag(timestamp < 0, lambda i: f"timestamp {timestamp[i]} is negative")
    check.flag(~user_id.isin(pd.Index(list(known_users))), lambda i: f"unknown UserID {user_id[i]}")
    check.flag(~movie_id.isin(pd.Index(list(known_movies))), lambda i: f"unknown MovieID {movie_id[i]}")
    pair = pd.DataFrame({"u": user_id, "m": movie_id})
    _flag_duplicates(check, pair, "rating of this user for this movie")
    frame = pd.DataFrame(
        {"user_ml": user_id, "movie_ml": movie_id, "stars": stars.astype(np.int16), "timestamp": timestamp}
    )
    return check.result(frame)


def year_from_title(title: str) -> int | None:
    """The release year: the last "(YYYY)" in the title, so "(1995) (V)" and inner years both work."""
    years = _YEAR.findall(title)
    if not years:
        return None
    year = int(years[-1])
    return year if 1870 <= year <= 2100 else None


def _split_genres(field: str) -> list[str]:
    if field in ("", NO_GENRES):
        return []
    return [name.strip() for name in field.split("|") if name.strip()]


def _split_fields(lines: pd.Series, n_fields: int) -> tuple[pd.Series, pd.DataFrame]:
    """Field counts per line, and the fields (empty where the count is wrong), split in Arrow's C++."""
    strings = pa.array(lines.to_numpy(), type=pa.string())
    counts = pc.list_value_length(pc.split_pattern(strings, "::")).to_numpy(zero_copy_only=False)
    wrong = counts != n_fields
    if wrong.any():
        strings = pc.if_else(pa.array(wrong), "::" * (n_fields - 1), strings)
    parts = pc.split_pattern(strings, "::")
    columns = {i: pc.list_element(parts, i).to_pandas() for i in range(n_fields)}
    fields = pd.DataFrame(columns)
    fields.index = lines.index
    return pd.Series(counts, index=lines.index), fields


def _flag_duplicates(check: _Checker, keys: pd.Series | pd.DataFrame, what: str) -> None:
    valid = check.bad == ""
    keyed = keys[valid]
    dupes = keyed.duplicated(keep="first")
    if not dupes.any():
        return
    key_cols = list(keyed.columns) if isinstance(keyed, pd.DataFrame) else None
    frame = keyed.to_frame("k") if key_cols is None else keyed
    cols = key_cols or ["k"]
    first_line = frame.reset_index().groupby(cols)["index"].transform("min")
    first_line.index = frame.index
    check.flag(
        dupes.reindex(check.bad.index, fill_value=False),
        lambda i: f"duplicate {what} (first on line {first_line[i]})",
    )
