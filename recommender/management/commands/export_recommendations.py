import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommender.models import Recommendation
from recommender.versions import active_version


class Command(BaseCommand):
    help = "Write the active version's lists as CSV: movielens_user_id,rank,movielens_movie_id,score."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", type=Path, help="the CSV file to write ('-' for standard output)")

    def handle(self, *args, out: Path, **options) -> None:
        version = active_version()
        if version is None:
            raise CommandError("no model version is active yet: run 'python manage.py train' first")
        rows = (
            Recommendation.objects.filter(version=version)
            .order_by("user_id", "rank")
            .values_list("user__movielens_id", "user__username", "rank", "movie__movielens_id", "score")
        )
        stream = self.stdout if str(out) == "-" else out.open("w", newline="", encoding="utf-8")
        try:
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(["movielens_user_id", "rank", "movielens_movie_id", "score"])
            count = 0
            for movielens_user, username, rank, movie, score in rows.iterator(chunk_size=10_000):
                writer.writerow(
                    [movielens_user if movielens_user is not None else username, rank, movie, f"{score:.6f}"]
                )
                count += 1
        finally:
            if stream is not self.stdout:
                stream.close()
        if str(out) != "-" and options["verbosity"] > 0:
            self.stdout.write(f"wrote {count} rows for version {version.pk} to {out}")
