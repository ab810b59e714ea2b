"""The artefact store: run data files (Parquet, meta.json) read and written by URI, through fsspec.

A location is a URI (``file:///srv/runs/run-7``, ``s3a://bucket/runs/run-7``, ``hdfs://namenode/runs/run-7``,
``memory://runs/run-7`` in tests) or a local path, which stands for its ``file://`` URI. Spark gets the URI as it
is (``spark_uri``); Python reads and writes go through the fsspec filesystem of its scheme, and pyarrow.parquet
reads Spark's output folders through it (``_SUCCESS`` and ``.crc`` files are skipped, ``epoch=E`` partitions
become a column). The root is ARTIFACTS_URI, by default the local ARTIFACTS_DIR as a ``file://`` URI.

Why fsspec rather than pyarrow.fs alone: fsspec resolves every scheme Spark uses with one call (``s3a`` maps to
s3fs, ``hdfs`` to pyarrow's HDFS client, ``gs``/``abfs`` to their packages), and it has an in-memory filesystem
that tests the non-local path without a server; ``pyarrow.fs.FileSystem.from_uri`` knows neither ``s3a://`` nor
memory. pyarrow still does the Parquet I/O (it reads a local fsspec filesystem with its own native one). A remote
scheme needs its fsspec package (s3fs, gcsfs...) installed where the worker runs, and Hadoop's connector jars on
the Spark side.
"""

from __future__ import annotations

import json
import os
import posixpath
from pathlib import Path
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from fsspec import AbstractFileSystem

Location = str | os.PathLike


def is_uri(location: Location) -> bool:
    return isinstance(location, str) and "://" in location


def uri(location: Location) -> str:
    """``location`` as a URI: a local path becomes ``file://`` + its absolute path (not percent-encoded, which
    both Hadoop and fsspec read as the plain path)."""
    if is_uri(location):
        return str(location)
    return "file://" + Path(location).resolve().as_posix()


def join(location: Location, *names: str) -> str:
    """The URI of ``names`` below ``location``."""
    return "/".join([uri(location).rstrip("/"), *(name.strip("/") for name in names)])


def spark_uri(location: Location) -> str:
    """The URI to give Spark's readers and writers."""
    return uri(location)


def filesystem(location: Location) -> tuple[AbstractFileSystem, str]:
    """The fsspec filesystem of ``location``'s scheme and the path within it."""
    return fsspec.core.url_to_fs(uri(location))


def artifacts_root() -> str:
    """ARTIFACTS_URI, or the local ARTIFACTS_DIR as a ``file://`` URI where it is not set."""
    from django.conf import settings

    return settings.ARTIFACTS_URI or uri(settings.ARTIFACTS_DIR)


def read_table(location: Location, columns: list[str] | None = None) -> pa.Table:
    """A Parquet file, or a folder of them as Spark writes it."""
    fs, path = filesystem(location)
    return pq.read_table(path, columns=columns, filesystem=fs)


def write_table(table: pa.Table, location: Location) -> None:
    fs, path = filesystem(location)
    fs.makedirs(posixpath.dirname(path), exist_ok=True)
    pq.write_table(table, path, filesystem=fs)


def read_json(location: Location) -> Any:
    fs, path = filesystem(location)
    with fs.open(path, "r") as file:
        return json.load(file)


def write_json(data: Any, location: Location) -> None:
    fs, path = filesystem(location)
    fs.makedirs(posixpath.dirname(path), exist_ok=True)
    with fs.open(path, "w") as file:
        json.dump(data, file, indent=2)


def exists(location: Location) -> bool:
    fs, path = filesystem(location)
    return fs.exists(path)


def children(location: Location, prefix: str = "") -> list[str]:
    """The URIs of the entries directly in the folder ``location`` whose names start with ``prefix``."""
    fs, path = filesystem(location)
    if not fs.isdir(path):
        return []
    names = (entry.rstrip("/").rsplit("/", 1)[-1] for entry in fs.ls(path, detail=False))
    return sorted(join(location, name) for name in names if name.startswith(prefix))


def remove(location: Location) -> None:
    """Delete a file or a whole folder; nothing if it is absent."""
    fs, path = filesystem(location)
    if fs.exists(path):
        fs.rm(path, recursive=True)
