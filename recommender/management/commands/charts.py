from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommender.charts import write_charts


class Command(BaseCommand):
    help = "Write the staff dashboard's charts (the seed's six, ratings over time and per user, coverage) as PNG files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out_dir", type=Path, help="folder to write the PNG files into (made if missing)")

    def handle(self, *args, out_dir: Path, **options) -> None:
        if out_dir.exists() and not out_dir.is_dir():
            raise CommandError(f"{out_dir} exists and is not a folder")
        try:
            written = write_charts(out_dir)
        except OSError as exc:
            raise CommandError(f"cannot write the charts into {out_dir}: {exc}") from exc
        for path in written:
            self.stdout.write(str(path))
        self.stdout.write(f"{len(written)} charts written to {out_dir}")
