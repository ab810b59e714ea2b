import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from catalog.download import RELEASES, DownloadError, fetch_movielens


class Command(BaseCommand):
    help = (
        "Download a MovieLens release's zip from GroupLens (MOVIELENS_BASE_URL/<release>.zip), verify its checksum "
        "and unpack it; prints the data folder. ML-1M is checked against the MD5 and SHA-256 in the settings; the "
        "other releases against the MD5 GroupLens publishes next to the zip (<release>.zip.md5), read at download "
        "time (ml-latest-small changes over time). Import the folder with import_movielens."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--release", choices=list(RELEASES), default="ml-1m", help="which one (default ml-1m)")
        parser.add_argument("--dest", type=Path, default=settings.MOVIELENS_DATA_DIR, help="where to put it")
        parser.add_argument("--url", help="the archive's address (default: GroupLens' for the release)")
        parser.add_argument(
            "--md5", help="expected MD5 ('' to skip; default: ML-1M's setting, else the published <url>.md5)"
        )
        parser.add_argument("--sha256", help="expected SHA-256 ('' to skip; default: ML-1M's setting, else none)")
        parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the server")

    def handle(self, *args, release: str, dest: Path, timeout: float, **options) -> None:
        published = RELEASES[release]
        is_1m = release == "ml-1m"
        url = options["url"] or (settings.MOVIELENS_URL if is_1m else settings.MOVIELENS_BASE_URL + published.archive)
        md5 = options["md5"] if options["md5"] is not None else (settings.MOVIELENS_MD5 if is_1m else "")
        sha256 = options["sha256"] if options["sha256"] is not None else (settings.MOVIELENS_SHA256 if is_1m else "")
        md5_url = "" if options["md5"] is not None or is_1m else url + ".md5"
        bar = tqdm(unit="B", unit_scale=True, disable=options["verbosity"] == 0 or not sys.stderr.isatty())

        def progress(done: int, total: int | None) -> None:
            bar.total = total
            bar.update(done)

        try:
            folder = fetch_movielens(
                url=url, dest_dir=dest, md5=md5, sha256=sha256, md5_url=md5_url, folder=published.folder,
                timeout=timeout, progress=progress,
            )  # fmt: skip
        except DownloadError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        self.stdout.write(str(folder))
