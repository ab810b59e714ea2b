"""fetch_movielens --release: each release's archive from a real local HTTP server standing in for GroupLens,
checked against the MD5 published beside it (<name>.zip.md5), unpacked to the release's own folder."""

import hashlib
import shutil
import threading
import zipfile
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from catalog.download import RELEASES
from catalog.generation import generate_movielens
from catalog.importing import import_movielens
from catalog.models import Rating, Release

LATER = [name for name in RELEASES if name != "ml-1m"]


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> Path:
    """Every release's zip (generated in its format, in its folder), and its .md5 in md5sum's format."""
    root = tmp_path_factory.mktemp("archives")
    for release in RELEASES.values():
        data = tmp_path_factory.mktemp("gen") / release.name
        generate_movielens(out_dir=data, n_users=25, n_movies=40, n_ratings=600, seed=1, format=release.format)
        archive = root / release.archive
        with zipfile.ZipFile(archive, "w") as zipped:
            for path in sorted(data.iterdir()):
                zipped.write(path, f"{release.folder}/{path.name}")
        digest = hashlib.md5(archive.read_bytes()).hexdigest()
        (root / f"{release.archive}.md5").write_text(f"{digest}  {release.archive}\n")
    return root


@pytest.fixture
def grouplens(archives, tmp_path, settings):
    """A real local HTTP server standing in for GroupLens' datasets folder (a copy per test: tests change it)."""
    root = tmp_path / "www"
    shutil.copytree(archives, root)
    handler = partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.MOVIELENS_BASE_URL = f"http://127.0.0.1:{server.server_port}/"
    yield root
    server.shutdown()


def _fetch(*args) -> str:
    out = StringIO()
    call_command("fetch_movielens", *args, stdout=out)
    return out.getvalue().strip()


@pytest.mark.django_db
@pytest.mark.parametrize("name", LATER)
def test_each_release_is_fetched_verified_unpacked_and_imports(grouplens, tmp_path, name):
    release = RELEASES[name]
    dest = tmp_path / "data"

    folder = _fetch("--release", name, "--dest", str(dest))

    assert folder == str(dest / release.folder)
    assert (dest / release.archive).is_file()
    report = import_movielens(path=Path(folder))
    assert (report.release, report.format, Rating.objects.count()) == (name, release.format, 600)
    assert Release.objects.get().half_stars


def test_ml_10m_unpacks_to_its_own_folder_name(grouplens, tmp_path):
    assert _fetch("--release", "ml-10m", "--dest", str(tmp_path)).endswith("/ml-10M100K")


@pytest.mark.parametrize("name", ["ml-25m", "ml-latest-small"])
def test_an_archive_that_does_not_match_the_published_md5_is_removed(grouplens, tmp_path, name):
    (grouplens / f"{name}.zip.md5").write_text(f"MD5 ({name}.zip) = {'0' * 32}\n")  # the BSD format also reads
    with pytest.raises(CommandError, match="does not match the published checksum"):
        _fetch("--release", name, "--dest", str(tmp_path / "data"))
    assert not (tmp_path / "data" / f"{name}.zip").exists()
    assert not (tmp_path / "data" / name).exists()


def test_without_the_published_md5_nothing_is_downloaded(grouplens, tmp_path):
    (grouplens / "ml-20m.zip.md5").unlink()
    with pytest.raises(CommandError, match=r"cannot read the published checksum .*/ml-20m.zip.md5"):
        _fetch("--release", "ml-20m", "--dest", str(tmp_path / "data"))
    assert not (tmp_path / "data" / "ml-20m.zip").exists()


def test_a_given_md5_replaces_the_published_one(grouplens, tmp_path):
    digest = hashlib.md5((grouplens / "ml-32m.zip").read_bytes()).hexdigest()
    (grouplens / "ml-32m.zip.md5").unlink()
    folder = _fetch("--release", "ml-32m", "--md5", digest, "--dest", str(tmp_path / "data"))
    assert folder == str(tmp_path / "data" / "ml-32m")


def test_a_verified_archive_already_there_is_not_downloaded_again(grouplens, tmp_path):
    dest = tmp_path / "data"
    _fetch("--release", "ml-latest-small", "--dest", str(dest))
    (grouplens / "ml-latest-small.zip").write_bytes(b"changed on the server")
    assert _fetch("--release", "ml-latest-small", "--dest", str(dest)) == str(dest / "ml-latest-small")


def test_ml_1m_still_uses_its_settings_checksums(grouplens, tmp_path, settings):
    archive = grouplens / "ml-1m.zip"
    settings.MOVIELENS_URL = settings.MOVIELENS_BASE_URL + "ml-1m.zip"
    settings.MOVIELENS_MD5, settings.MOVIELENS_SHA256 = hashlib.md5(archive.read_bytes()).hexdigest(), ""
    (grouplens / "ml-1m.zip.md5").unlink()  # not read for ML-1M
    assert _fetch("--release", "ml-1m", "--dest", str(tmp_path / "d")) == str(tmp_path / "d" / "ml-1m")
    settings.MOVIELENS_MD5 = "0" * 32
    with pytest.raises(CommandError, match="does not match"):
        _fetch("--dest", str(tmp_path / "e"))
