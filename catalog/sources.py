"""Find the three ML-1M files in a folder or a zip archive and read them as latin-1 text."""

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

MOVIELENS_FILES = ("movies.dat", "users.dat", "ratings.dat")

# Latin-1 decodes any byte, so "not latin-1 text" means bytes no text file holds.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NON_ASCII = re.compile(rb"[\x80-\xff]")


class SourceError(Exception):
    """The input cannot be read at all: a missing file, a broken archive, not latin-1 text."""


@dataclass(frozen=True)
class SourceText:
    name: str  # what reports call the file, e.g. "ml-1m.zip:ml-1m/ratings.dat"
    text: str


def read_movielens_source(path: Path) -> dict[str, SourceText]:
    """Return {"movies.dat": ..., "users.dat": ..., "ratings.dat": ...} from a folder or a zip."""
    path = Path(path)
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder")
    if path.is_dir():
        return {name: _read_from_folder(path, name) for name in MOVIELENS_FILES}
    if not zipfile.is_zipfile(path):
        raise SourceError(f"{path}: neither a folder nor a zip archive")
    return _read_from_zip(path)


def _read_from_folder(folder: Path, name: str) -> SourceText:
    for candidate in (folder / name, folder / "ml-1m" / name):
        if candidate.is_file():
            return SourceText(str(candidate), decode_latin1(candidate.read_bytes(), str(candidate)))
    raise SourceError(f"{folder}: missing {name} (looked in {folder} and {folder / 'ml-1m'})")


def _read_from_zip(path: Path) -> dict[str, SourceText]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = {Path(m).name: m for m in archive.namelist() if not m.endswith("/")}
            missing = [name for name in MOVIELENS_FILES if name not in members]
            if missing:
                raise SourceError(f"{path}: the archive has no {', '.join(missing)}")
            texts = {}
            for name in MOVIELENS_FILES:
                label = f"{path}:{members[name]}"
                texts[name] = SourceText(label, decode_latin1(archive.read(members[name]), label))
            return texts
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(f"{path}: cannot read the archive ({exc})") from exc


def decode_latin1(data: bytes, label: str) -> str:
    """Decode ML-1M text, refusing binary data and UTF-8 that would silently turn into mojibake."""
    control = _CONTROL_BYTES.search(data)
    if control:
        line = data.count(b"\n", 0, control.start()) + 1
        raise SourceError(
            f"{label}:{line}: byte 0x{control.group()[0]:02x} is not text; expected latin-1 (ISO-8859-1) text"
        )
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
