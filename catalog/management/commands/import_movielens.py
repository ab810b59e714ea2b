import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from catalog.importing import ImportReport, InvalidDataError, import_movielens
from catalog.parsing import LineError
from catalog.sources import FORMATS, SourceError

SHOWN_ERRORS = 20


class Command(BaseCommand):
    help = (
        "Import a MovieLens release (its folder or zip): ML-1M, ML-10M, or the CSV releases (ML-20M, ML-25M, "
        "ML-32M, ml-latest-small). Strict: any bad line and nothing is written. Tags, links and the tag genome "
        "are not imported."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the release's folder or zip, e.g. ml-1m.zip or ml-25m/")
        parser.add_argument("--skip-invalid", action="store_true", help="import the good lines, report the rest")
        parser.add_argument(
            "--format",
            choices=FORMATS,
            help="the files' format (default: told from the files): ml-1m (movies/users/ratings.dat, latin-1), "
            "ml-10m (movies/ratings.dat, half stars, no users.dat), csv (movies/ratings.csv with a header, UTF-8)",
        )

    def handle(self, *args, path: Path, skip_invalid: bool, format: str | None, verbosity: int, **options) -> None:
        started = time.monotonic()
        bar = tqdm(total=None, unit=" rows", disable=verbosity == 0 or not sys.stderr.isatty(), desc="reading")
        try:
            report = import_movielens(path=path, skip_invalid=skip_invalid, progress=_bar_updater(bar), format=format)
        except SourceError as exc:
            raise CommandError(str(exc)) from exc
        except InvalidDataError as exc:
            raise CommandError(
                _error_listing(exc.errors) + f"\n{exc}. Fix the lines, or pass --skip-invalid to import the rest."
            ) from exc
        finally:
            bar.close()
        if report.errors and verbosity > 0:
            self.stderr.write(_error_listing(report.errors) + f"\nskipped {len(report.errors)} invalid line(s)")
        if verbosity > 0:
            self.stdout.write(_summary(report, time.monotonic() - started))


def _bar_updater(bar: tqdm):
    def update(stage: str, rows: int) -> None:
        bar.set_description(stage)
        bar.update(rows)

    return update


def _error_listing(errors: list[LineError]) -> str:
    lines = [str(e) for e in errors[:SHOWN_ERRORS]]
    if len(errors) > SHOWN_ERRORS:
        lines.append(f"... and {len(errors) - SHOWN_ERRORS} more")
    return "\n".join(lines)


def _summary(report: ImportReport, seconds: float) -> str:
    parts = []
    for kind in ("users", "movies", "ratings"):
        c = getattr(report, kind)
        parts.append(f"{kind}: {c.created} created, {c.updated} updated, {c.unchanged} unchanged, {c.skipped} skipped")
    return f"{report.release} ({report.format} files): " + "; ".join(parts) + f" ({seconds:.1f} s)"
