"""Find a MovieLens release's files in a folder or a zip archive, tell which format they are, read them as text.

Formats (``--format`` names them; without it the files decide):

- ``ml-1m``: ``movies.dat``, ``users.dat``, ``ratings.dat``, ``::``-separated, latin-1;
- ``ml-10m``: ``movies.dat`` and ``ratings.dat`` (half stars), no ``users.dat``; UTF-8 where the bytes are
  UTF-8, else latin-1 (``tags.dat`` is not read);
- ``csv``: ML-20M, ML-25M, ML-32M and ml-latest(-small): ``movies.csv`` and ``ratings.csv`` with a header,
  UTF-8 (``tags.csv``, ``links.csv`` and the tag genome are not read).
"""

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FORMATS = ("ml-1m", "ml-10m", "csv")
FORMAT_FILES = {
    "ml-1m": ("movies.dat", "users.dat", "ratings.dat"),
    "ml-10m": ("movies.dat", "ratings.dat"),
    "csv": ("movies.csv", "ratings.csv"),
}
MOVIELENS_FILES = FORMAT_FILES["ml-1m"]
HALF_STAR_FORMATS = frozenset({"ml-10m", "csv"})

# Latin-1 decodes any byte, so "not latin-1 text" means bytes no text file holds.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_HALF_STAR_RATING = re.compile(rb"^[^:\n]*::[^:\n]*::\d\.5::", re.MULTILINE)
# The folder names GroupLens' archives unpack to, and the release each one is.
_RELEASE_NAMES = (
    (re.compile(r"ml-10m", re.IGNORECASE), "ml-10m"),  # ml-10m.zip unpacks to ml-10M100K/
    (re.compile(r"ml-latest-small"), "ml-latest-small"),
    (re.compile(r"ml-latest"), "ml-latest"),
    (re.compile(r"ml-(1|20|25|32)m"), None),  # None: the match itself is the name
)


class SourceError(Exception):
    """The input cannot be read at all: a missing file, a broken archive, not text in the expected encoding."""


@dataclass(frozen=True)
class SourceText:
    name: str  # what reports call the file, e.g. "ml-1m.zip:ml-1m/ratings.dat"
    text: str


@dataclass(frozen=True)
class MovieLensSource:
    format: str  # one of FORMATS
    release: str  # "ml-1m", "ml-10m", "ml-25m", ... from the folder's name; the format where the name says nothing
    texts: dict[str, SourceText]  # by file name: FORMAT_FILES[format]

    @property
    def half_stars(self) -> bool:
        return self.format in HALF_STAR_FORMATS


@dataclass
class _Files:
    """The files of a folder or an archive, by base name: (label for reports, a reader of the bytes)."""

    where: str  # the folder or member path the files are in, for the release name
    files: dict[str, tuple[str, Callable[[], bytes]]]
    describe_missing: Callable[[str], str]


def open_movielens(path: Path, *, format: str | None = None) -> MovieLensSource:
    """Read a release's files from a folder or a zip; ``format`` None: tell it from the files."""
    path = Path(path)
    if format is not None and format not in FORMATS:
        raise SourceError(f"unknown format {format!r}: one of {', '.join(FORMATS)}")
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder")
    if path.is_dir():
        return _read(_folder_files(path), format)
    if not zipfile.is_zipfile(path):
        raise SourceError(f"{path}: neither a folder nor a zip archive")
    try:
        with zipfile.ZipFile(path) as archive:
            return _read(_zip_files(path, archive), format)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(f"{path}: cannot read the archive ({exc})") from exc


def read_movielens_source(path: Path) -> dict[str, SourceText]:
    """The texts of the release at ``path`` by file name (its format told from its files)."""
    return open_movielens(path).texts


def _read(files: _Files, format: str | None) -> MovieLensSource:
    names = set(files.files)
    format = format or _detect(files, names)
    missing = [name for name in FORMAT_FILES[format] if name not in names]
    if missing:
        hint = " (ML-10M's files have no users.dat: pass --format ml-10m)" if missing == ["users.dat"] else ""
        raise SourceError(files.describe_missing(", ".join(missing)) + hint)
    decode = {"ml-1m": decode_latin1, "ml-10m": decode_utf8_or_latin1, "csv": decode_utf8}[format]
    texts = {}
    for name in FORMAT_FILES[format]:
        label, read = files.files[name]
        texts[name] = SourceText(label, decode(read(), label))
    return MovieLensSource(format, release_name(files.where) or format, texts)


def _detect(files: _Files, names: set[str]) -> str:
    if {"movies.csv", "ratings.csv"} <= names:
        return "csv"
    if "users.dat" in names or "ratings.dat" not in names:
        return "ml-1m"  # a folder with none of the files gets ML-1M's "missing" message
    if "tags.dat" in names or release_name(files.where) == "ml-10m":
        return "ml-10m"
    _, read = files.files["ratings.dat"]
    return "ml-10m" if _HALF_STAR_RATING.search(read()) else "ml-1m"


def release_name(where: str) -> str | None:
    """The release a folder or member path names ("ml-10M100K": ml-10m); None when the name says nothing."""
    for pattern, name in _RELEASE_NAMES:
        found = pattern.search(where)
        if found:
            return name or found.group(0)
    return None


def _folder_files(folder: Path) -> _Files:
    """The folder's files, or those of the one folder inside it that holds a ratings file (ml-1m/, ml-25m/)."""
    inner = [
        sub for sub in sorted(folder.iterdir())
        if sub.is_dir() and any((sub / name).is_file() for name in ("ratings.dat", "ratings.csv"))
    ]  # fmt: skip
    holds_ratings = any((folder / name).is_file() for name in ("ratings.dat", "ratings.csv"))
    where = folder if holds_ratings or len(inner) != 1 else inner[0]
    files = {p.name: (str(p), p.read_bytes) for p in sorted(where.iterdir()) if p.is_file()}
    looked = f"{folder}" if where == folder else f"{folder} and {where}"
    if where == folder and (folder / "ml-1m").is_dir():
        looked = f"{folder} and {folder / 'ml-1m'}"
    return _Files(str(where.resolve()), files, lambda missing: f"{folder}: missing {missing} (looked in {looked})")


def _zip_files(path: Path, archive: zipfile.ZipFile) -> _Files:
    members = [m for m in archive.namelist() if not m.endswith("/")]
    files = {Path(m).name: (f"{path}:{m}", lambda m=m: archive.read(m)) for m in members}
    ratings = next((m for m in members if Path(m).name in ("ratings.dat", "ratings.csv")), "")
    return _Files(f"{path.name}:{ratings}", files, lambda missing: f"{path}: the archive has no {missing}")


def _refuse_control_bytes(data: bytes, label: str, expected: str) -> None:
    control = _CONTROL_BYTES.search(data)
    if control:
        line = data.count(b"\n", 0, control.start()) + 1
        raise SourceError(f"{label}:{line}: byte 0x{control.group()[0]:02x} is not text; expected {expected} text")


def decode_latin1(data: bytes, label: str) -> str:
    """Decode ML-1M text, refusing binary data and UTF-8 that would silently turn into mojibake."""
    _refuse_control_bytes(data, label, "latin-1 (ISO-8859-1)")
    if _NON_ASCII.search(data):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            raise SourceError(
                f"{label}: is UTF-8, not latin-1 (ISO-8859-1) as ML-1M is; convert it with 'iconv -f utf-8 -t latin1'"
            )
    return data.decode("latin-1")


def decode_utf8(data: bytes, label: str) -> str:
    """Decode the CSV releases' UTF-8, saying on which line a byte is not UTF-8."""
    _refuse_control_bytes(data, label, "UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SourceError(
            f"{label}:{line}: byte 0x{data[exc.start]:02x} is not UTF-8, as the CSV releases are"
        ) from None


def decode_utf8_or_latin1(data: bytes, label: str) -> str:
    """ML-10M's ``.dat`` files: UTF-8 where every byte sequence is UTF-8 (a latin-1 file with accents almost
    never is), else latin-1, as ML-1M's."""
    _refuse_control_bytes(data, label, "UTF-8 or latin-1")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")
