import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from catalog.download import DownloadError, fetch_movielens


class Command(BaseCommand):
    help = "Download ml-1m.zip from GroupLens, verify its checksum and unpack it; prints the data folder."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dest", type=Path, default=settings.MOVIELENS_DATA_DIR, help="where to put it")
        parser.add_argument("--url", default=settings.MOVIELENS_URL)
        parser.add_argument("--md5", default=settings.MOVIELENS_MD5, help="expected MD5 ('' to skip)")
        parser.add_argument("--sha256", default=settings.MOVIELENS_SHA256, help="expected SHA-256 ('' to skip)")
        parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the server")

    def handle(self, *args, dest: Path, url: str, md5: str, sha256: str, timeout: float, **options) -> None:
        bar = tqdm(unit="B", unit_scale=True, disable=options["verbosity"] == 0 or not sys.stderr.isatty())

        def progress(done: int, total: int | None) -> None:
            bar.total = total
            bar.update(done)

        try:
            folder = fetch_movielens(url=url, dest_dir=dest, md5=md5, sha256=sha256, timeout=timeout, progress=progress)
        except DownloadError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        self.stdout.write(str(folder))
