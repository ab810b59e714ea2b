import hashlib
import socket
import threading
import time
import zipfile
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


@pytest.fixture
def served_zip(tiny_dataset, tmp_path):
    """ml-1m.zip served by a real HTTP server on localhost; yields (url, md5)."""
    root = tmp_path / "www"
    root.mkdir()
    archive = root / "ml-1m.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(tiny_dataset.iterdir()):
            zipped.write(path, f"ml-1m/{path.name}")
    handler = partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/ml-1m.zip", hashlib.md5(archive.read_bytes()).hexdigest()
    server.shutdown()


def _fetch(*args) -> str:
    out = StringIO()
    call_command("fetch_movielens", *args, stdout=out)
    return out.getvalue().strip()


def test_it_downloads_verifies_and_unpacks(served_zip, tmp_path):
    url, md5 = served_zip
    dest = tmp_path / "data"

    folder = _fetch("--url", url, "--md5", md5, "--sha256", "", "--dest", str(dest))

    assert folder == str(dest / "ml-1m")
    assert (dest / "ml-1m" / "ratings.dat").is_file()
    assert (dest / "ml-1m.zip").is_file()


def test_it_refuses_an_archive_with_the_wrong_checksum(served_zip, tmp_path):
    url, _ = served_zip
    with pytest.raises(CommandError, match="does not match the published checksum"):
        _fetch("--url", url, "--md5", "0" * 32, "--sha256", "", "--dest", str(tmp_path / "data"))
    assert not (tmp_path / "data" / "ml-1m.zip").exists()
    assert not (tmp_path / "data" / "ml-1m").exists()


def test_it_fails_within_seconds_without_a_network(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(CommandError, match="cannot download"):
        _fetch("--url", f"http://127.0.0.1:{port}/ml-1m.zip", "--dest", str(tmp_path / "data"), "--timeout", "3")
    assert time.monotonic() - started < 5


def test_it_fails_within_seconds_when_the_host_does_not_resolve(tmp_path):
    started = time.monotonic()
    with pytest.raises(CommandError, match="cannot download"):
        _fetch("--url", "http://movielens.invalid/ml-1m.zip", "--dest", str(tmp_path / "data"), "--timeout", "3")
    assert time.monotonic() - started < 10
