"""Fetch ml-1m.zip from GroupLens, check it against the published checksum, unpack it."""

import hashlib
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path


class DownloadError(Exception):
    """The archive could not be fetched, or it is not the one GroupLens publishes."""


def fetch_movielens(
    *,
    url: str,
    dest_dir: Path,
    md5: str = "",
    sha256: str = "",
    timeout: float = 10.0,
    progress: Callable[[int, int | None], None] | None = None,
) -> Path:
    """Download the archive into dest_dir, verify it and unpack it; return the unpacked ml-1m folder.

    An archive already there and matching the checksums is not downloaded again.
    """
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    archive = dest_dir / Path(url.rsplit("/", 1)[-1] or "ml-1m.zip").name
    if not (archive.is_file() and _matches(archive, md5, sha256)):
        _download(url, archive, timeout, progress)
        if not _matches(archive, md5, sha256):
            archive.unlink()
            raise DownloadError(f"{url}: the download does not match the published checksum; removed it")
    return _unpack(archive, dest_dir)


def _download(url: str, target: Path, timeout: float, progress) -> None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (the URL is a setting)
            total = int(response.headers.get("Content-Length") or 0) or None
            with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as partial:
                while chunk := response.read(1 << 16):
                    partial.write(chunk)
                    if progress:
                        progress(len(chunk), total)
        Path(partial.name).replace(target)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"cannot download {url}: {reason} (no network? put ml-1m.zip there by hand)") from exc


def _matches(path: Path, md5: str, sha256: str) -> bool:
    digests = {"md5": hashlib.md5(), "sha256": hashlib.sha256()}
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            for digest in digests.values():
                digest.update(chunk)
    return (not md5 or digests["md5"].hexdigest() == md5.lower()) and (
        not sha256 or digests["sha256"].hexdigest() == sha256.lower()
    )


def _unpack(archive: Path, dest_dir: Path) -> Path:
    try:
        with zipfile.ZipFile(archive) as zipped:
            for member in zipped.infolist():
                target = (dest_dir / member.filename).resolve()
                if not target.is_relative_to(dest_dir.resolve()):
                    raise DownloadError(f"{archive}: member {member.filename!r} would land outside {dest_dir}")
                if member.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zipped.open(member) as source, target.open("wb") as out:
                    shutil.copyfileobj(source, out)
    except zipfile.BadZipFile as exc:
        raise DownloadError(f"{archive}: not a zip archive ({exc})") from exc
    folder = dest_dir / "ml-1m"
    return folder if folder.is_dir() else dest_dir
