"""Parse and validate MovieLens records, vectorised with pandas and Arrow: every bad line is found, none is
fatal here.

Each parser returns the valid records as a DataFrame (with the 1-based ``line`` they came from) and the
problems as ``LineError``s; callers decide whether one bad line stops the import. ``format`` is one of
``catalog.sources.FORMATS``: ML-1M's and ML-10M's ``::`` files, or the later releases' CSV with a header.
"""

import csv
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
# ML-10M and the CSV releases add IMAX and write "Children" (kept as each release writes it).
LATER_GENRES = ML1M_GENRES | {"Children", "IMAX"}
NO_GENRES = "(no genres listed)"  # later MovieLens exports write this; it means an empty list
AGE_CODES = frozenset({1, 18, 25, 35, 45, 50, 56})
OCCUPATION_CODES = range(0, 21)
MAX_ZIP_LENGTH = 20
MAX_TITLE_LENGTH = 255
_YEAR = re.compile(r"\((\d{4})\)")


@dataclass(frozen=True)
class _Layout:
    movies: str
    ratings: str
    separator: str  # "::" or ","
    header: bool  # the first line names the columns (exactly as the layout)
    genres: frozenset[str]
    half_stars: bool


LAYOUTS = {
    "ml-1m": _Layout("MovieID::Title::Genres", "UserID::MovieID::Rating::Timestamp", "::", False, ML1M_GENRES, False),
    "ml-10m": _Layout("MovieID::Title::Genres", "UserID::MovieID::Rating::Timestamp", "::", False, LATER_GENRES, True),
    "csv": _Layout("movieId,title,genres", "userId,movieId,rating,timestamp", ",", True, LATER_GENRES, True),
}


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
    """Collects per-line failures of one file; a line keeps only its first problem.

    Fields stay Arrow arrays (string work in Arrow's C++ kernels); masks and results are positional.
    """

    def __init__(
        self, source: SourceText, layout: str, *, separator: str = "::", header: bool = False, quoted: bool = False
    ) -> None:
        self.source = source
        n_fields = layout.count(separator) + 1
        lines = pc.utf8_rtrim(_lines(source.text), characters="\r")
        keep = pc.not_equal(pc.utf8_trim_whitespace(lines), "")  # blank lines (and the last newline) are no records
        self.line_numbers = np.flatnonzero(keep.to_numpy(zero_copy_only=False)) + 1
        self.lines = lines.filter(keep)
        self.bad = np.zeros(len(self.lines), dtype=bool)
        self.header = np.zeros(len(self.lines), dtype=bool)  # the header line: neither a record nor an error
        self.reasons: dict[int, str] = {}
        if header and len(self.lines):
            first = self.lines[0].as_py().strip()
            if first == layout and self.line_numbers[0] == 1:
                self.header[0] = self.bad[0] = True
            else:
                self.flag(np.arange(len(self.lines)) == 0, f"expected the header {layout!r} on line 1, found {first!r}")
        if quoted:
            counts, self.fields, broken = _split_csv(self.lines, n_fields)
            self.flag(np.isin(np.arange(len(self.lines)), list(broken)), lambda i: f"badly quoted field ({broken[i]})")
        else:
            counts, self.fields = _split_fields(self.lines, n_fields, separator)
        self.flag(counts != n_fields, lambda i: f"expected {n_fields} fields ({layout}), found {counts[i]}")

    def flag(self, mask, reason) -> None:
        fresh = np.flatnonzero(np.asarray(mask, dtype=bool) & ~self.bad)
        self.bad[fresh] = True
        for i in fresh:
            self.reasons[int(i)] = reason(i) if callable(reason) else reason

    def text(self, column: int) -> pd.Series:
        return pd.Series(pc.utf8_trim_whitespace(self.fields[column]).to_pylist(), dtype=object)

    def integer(self, column: int, name: str) -> np.ndarray:
        raw = pc.utf8_trim_whitespace(self.fields[column])
        ok = pc.match_substring_regex(raw, r"^[+-]?\d{1,18}$").to_numpy(zero_copy_only=False)
        self.flag(~ok, lambda i: f"{name} {raw[int(i)].as_py()!r} is not an integer")
        return pc.cast(pc.if_else(pa.array(ok), raw, "0"), pa.int64()).to_numpy()

    def half_stars(self, column: int, name: str) -> np.ndarray:
        """Stars 0.5-5 in half steps ("4", "4.0", "4.5"), as float64."""
        raw = pc.utf8_trim_whitespace(self.fields[column])
        ok = pc.match_substring_regex(raw, r"^\d{1,2}(\.\d{1,6})?$").to_numpy(zero_copy_only=False)
        self.flag(~ok, lambda i: f"{name} {raw[int(i)].as_py()!r} is not a number")
        stars = pc.cast(pc.if_else(pa.array(ok), raw, "0"), pa.float64()).to_numpy()
        halves = stars * 2
        valid = (halves == np.round(halves)) & (stars >= 0.5) & (stars <= 5)
        self.flag(~valid, lambda i: f"{name} {stars[i]:g} is not 0.5-5 stars in half steps")
        return stars

    def result(self, records: pd.DataFrame) -> Parsed:
        errors = [LineError(self.source.name, int(self.line_numbers[i]), r) for i, r in sorted(self.reasons.items())]
        records = records[~self.bad].copy()
        records.insert(0, "line", self.line_numbers[~self.bad])
        return Parsed(records.reset_index(drop=True), errors)


def parse_users(source: SourceText) -> Parsed:
    check = _Checker(source, "UserID::Gender::Age::Occupation::Zip-code")
    user_id = check.integer(0, "UserID")
    check.flag(user_id <= 0, lambda i: f"UserID {user_id[i]} is not positive")
    gender = check.text(1)
    check.flag(~gender.isin(["M", "F"]), lambda i: f"gender {gender[i]!r} is not M or F")
    age = check.integer(2, "age")
    check.flag(~np.isin(age, list(AGE_CODES)), lambda i: f"age code {age[i]} is not one of {sorted(AGE_CODES)}")
    occupation = check.integer(3, "occupation")
    check.flag(~np.isin(occupation, list(OCCUPATION_CODES)), lambda i: f"occupation {occupation[i]} is not 0-20")
    zip_code = check.text(4)
    check.flag(zip_code.str.len() > MAX_ZIP_LENGTH, f"zip code longer than {MAX_ZIP_LENGTH} characters")
    _flag_duplicates(check, pd.DataFrame({"u": user_id}), "UserID")
    frame = pd.DataFrame(
        {"movielens_id": user_id, "gender": gender, "age": age, "occupation": occupation, "zip_code": zip_code}
    )
    return check.result(frame)


def parse_movies(source: SourceText, *, format: str = "ml-1m") -> Parsed:
    layout = LAYOUTS[format]
    check = _Checker(source, layout.movies, separator=layout.separator, header=layout.header, quoted=layout.header)
    id_name = layout.movies.split(layout.separator)[0]
    movie_id = check.integer(0, id_name)
    check.flag(movie_id <= 0, lambda i: f"{id_name} {movie_id[i]} is not positive")
    title = check.text(1)
    check.flag(title == "", "empty title")
    check.flag(title.str.len() > MAX_TITLE_LENGTH, f"title longer than {MAX_TITLE_LENGTH} characters")
    genres = check.text(2).map(_split_genres)
    unknown = genres.map(lambda names: [g for g in names if g not in layout.genres])
    check.flag(unknown.str.len() > 0, lambda i: f"unknown genre {unknown[i][0]!r}")
    _flag_duplicates(check, pd.DataFrame({"m": movie_id}), id_name)
    frame = pd.DataFrame({"movielens_id": movie_id, "title": title, "year": title.map(year_from_title)})
    frame["genres"] = genres
    return check.result(frame)


def parse_ratings(
    source: SourceText,
    known_users: Iterable[int] | None,
    known_movies: Iterable[int],
    *,
    format: str = "ml-1m",
) -> Parsed:
    """Ratings of ``format``; ``known_users`` None: any positive user id (ML-10M and the CSV releases have no
    users file: their users are the ids the ratings name)."""
    layout = LAYOUTS[format]
    check = _Checker(source, layout.ratings, separator=layout.separator, header=layout.header)
    user_name, movie_name, rating_name, _ = layout.ratings.split(layout.separator)
    user_id = check.integer(0, user_name)
    movie_id = check.integer(1, movie_name)
    if layout.half_stars:
        stars = check.half_stars(2, "rating")
    else:
        stars = check.integer(2, "rating")
        check.flag((stars < 1) | (stars > 5), lambda i: f"rating {stars[i]} is not 1-5 stars")
    timestamp = check.integer(3, "timestamp")
    check.flag(timestamp < 0, lambda i: f"timestamp {timestamp[i]} is negative")
    if known_users is None:
        check.flag(user_id <= 0, lambda i: f"{user_name} {user_id[i]} is not positive")
    else:
        check.flag(~np.isin(user_id, np.fromiter(known_users, np.int64)), lambda i: f"unknown {user_name} {user_id[i]}")
    check.flag(~np.isin(movie_id, np.fromiter(known_movies, np.int64)), lambda i: f"unknown {movie_name} {movie_id[i]}")
    pair = pd.DataFrame({"u": user_id, "m": movie_id})
    _flag_duplicates(check, pair, "rating of this user for this movie")
    stars = stars.astype(np.float64) if layout.half_stars else stars.astype(np.int16)
    frame = pd.DataFrame({"user_ml": user_id, "movie_ml": movie_id, "stars": stars, "timestamp": timestamp})
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


def _lines(text: str) -> pa.Array:
    """The text's lines as an Arrow array, split in Arrow (no Python string per line)."""
    lines = pc.list_flatten(pc.split_pattern(pa.array([text], type=pa.large_string()), "\n"))
    try:
        return lines.cast(pa.string())
    except pa.ArrowInvalid:  # over 2 GiB of text: keep 64-bit offsets
        return lines


def _split_fields(lines: pa.Array, n_fields: int, separator: str = "::") -> tuple[np.ndarray, list[pa.Array]]:
    """Field counts per line, and the fields (empty where the count is wrong)."""
    counts = pc.list_value_length(pc.split_pattern(lines, separator)).to_numpy(zero_copy_only=False)
    wrong = counts != n_fields
    if wrong.any():
        lines = pc.if_else(pa.array(wrong), pa.scalar(separator * (n_fields - 1), lines.type), lines)
    parts = pc.split_pattern(lines, separator)
    return counts, [pc.list_element(parts, i) for i in range(n_fields)]


def _split_csv(lines: pa.Array, n_fields: int) -> tuple[np.ndarray, list[pa.Array], dict[int, str]]:
    """Like _split_fields for CSV whose fields may be quoted ("Town, The (1950)"), with Python's csv module:
    one record a line, as in every MovieLens CSV file. Also returns the lines whose quoting is broken."""
    counts = np.zeros(len(lines), dtype=np.int64)
    columns: list[list[str]] = [[] for _ in range(n_fields)]
    broken: dict[int, str] = {}
    for i, line in enumerate(lines.to_pylist()):
        try:
            row = next(csv.reader([line], strict=True))
        except csv.Error as exc:
            broken[i], row = str(exc), []
        counts[i] = len(row)
        for column, value in zip(columns, row if len(row) == n_fields else [""] * n_fields, strict=True):
            column.append(value)
    return counts, [pa.array(column, type=pa.string()) for column in columns], broken


def _flag_duplicates(check: _Checker, keys: pd.DataFrame, what: str) -> None:
    """Flag later lines that repeat the key of an earlier valid line."""
    columns = list(keys.columns)
    valid = keys[~check.bad].assign(_line=check.line_numbers[~check.bad])
    repeated = valid.duplicated(subset=columns, keep="first")
    if not repeated.any():
        return
    firsts = valid[~repeated].rename(columns={"_line": "_first"})
    dupes = valid[repeated].reset_index().merge(firsts, on=columns, how="left")
    first_line = dict(zip(dupes["index"], dupes["_first"], strict=True))
    mask = np.zeros(len(check.bad), dtype=bool)
    mask[dupes["index"].to_numpy()] = True
    check.flag(mask, lambda i: f"duplicate {what} (first on line {first_line[i]})")
