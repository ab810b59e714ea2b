"""Fetch a MovieLens release's zip from GroupLens, check it against the published checksum, unpack it.

ML-1M's MD5 and SHA-256 are settings. For the other releases GroupLens publishes ``<name>.zip.md5`` next to
each archive (and ml-latest-small changes over time), so their MD5 is read from there at download time.
"""

import hashlib
import re
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_MD5 = re.compile(rb"\b([0-9a-fA-F]{32})\b")


@dataclass(frozen=True)
class PublishedRelease:
    name: str  # as on GroupLens' page and in the archive's name: <name>.zip
    folder: str  # what the archive unpacks to
    format: str  # catalog.sources.FORMATS

    @property
    def archive(self) -> str:
        return f"{self.name}.zip"


RELEASES = {
    r.name: r
    for r in (
        PublishedRelease("ml-1m", "ml-1m", "ml-1m"),
        PublishedRelease("ml-10m", "ml-10M100K", "ml-10m"),
        PublishedRelease("ml-20m", "ml-20m", "csv"),
        PublishedRelease("ml-25m", "ml-25m", "csv"),
        PublishedRelease("ml-32m", "ml-32m", "csv"),
        PublishedRelease("ml-latest-small", "ml-latest-small", "csv"),
    )
}


class DownloadError(Exception):
    """The archive could not be fetched, or it is not the one GroupLens publishes."""


def fetch_movielens(
    *,
    url: str,
    dest_dir: Path,
    md5: str = "",
    sha256: str = "",
    md5_url: str = "",
    folder: str = "ml-1m",
    timeout: float = 10.0,
    progress: Callable[[int, int | None], None] | None = None,
) -> Path:
    """Download the archive into dest_dir, verify it and unpack it; return the unpacked ``folder``.

    ``md5_url`` (used when ``md5`` is empty): where the publisher's MD5 of the archive is, read first.
    An archive already there and matching the checksums is not downloaded again.
    """
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    if not md5 and md5_url:
        md5 = published_md5(md5_url, timeout)
    archive = dest_dir / Path(url.rsplit("/", 1)[-1] or f"{folder}.zip").name
    if not (archive.is_file() and _matches(archive, md5, sha256)):
        _download(url, archive, timeout, progress)
        if not _matches(archive, md5, sha256):
            archive.unlink()
            raise DownloadError(f"{url}: the download does not match the published checksum; removed it")
    return _unpack(archive, dest_dir, folder)


def published_md5(md5_url: str, timeout: float = 10.0) -> str:
    """The MD5 in a ``.md5`` file ("<hex>  name" or "MD5 (name) = <hex>")."""
    try:
        with urllib.request.urlopen(md5_url, timeout=timeout) as response:  # noqa: S310 (from a setting)
            text = response.read(4096)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"cannot read the published checksum {md5_url}: {reason}") from exc
    found = _MD5.search(text)
    if not found:
        raise DownloadError(f"{md5_url}: no MD5 checksum in it")
    return found.group(1).decode().lower()


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
        raise DownloadError(f"cannot download {url}: {reason} (no network? put {target.name} there by hand)") from exc


def _matches(path: Path, md5: str, sha256: str) -> bool:
    digests = {"md5": hashlib.md5(), "sha256": hashlib.sha256()}
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            for digest in digests.values():
                digest.update(chunk)
    return (not md5 or digests["md5"].hexdigest() == md5.lower()) and (
        not sha256 or digests["sha256"].hexdigest() == sha256.lower()
    )


def _unpack(archive: Path, dest_dir: Path, folder_name: str) -> Path:
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
    folder = dest_dir / folder_name
    return folder if folder.is_dir() else dest_dir
