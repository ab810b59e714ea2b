import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from catalog.importing import ImportReport, InvalidDataError, import_movielens
from catalog.parsing import LineError
from catalog.sources import SourceError

SHOWN_ERRORS = 20


class Command(BaseCommand):
    help = "Import MovieLens 1M (an ml-1m folder or ml-1m.zip). Strict: any bad line and nothing is written."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="ml-1m folder or ml-1m.zip")
        parser.add_argument("--skip-invalid", action="store_true", help="import the good lines, report the rest")

    def handle(self, *args, path: Path, skip_invalid: bool, verbosity: int, **options) -> None:
        started = time.monotonic()
        bar = tqdm(total=None, unit=" rows", disable=verbosity == 0 or not sys.stderr.isatty(), desc="reading")
        try:
            report = import_movielens(path=path, skip_invalid=skip_invalid, progress=_bar_updater(bar))
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
    return "; ".join(parts) + f" ({seconds:.1f} s)"
