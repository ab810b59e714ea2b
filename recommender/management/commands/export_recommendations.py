import csv
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommender.selectors import recommendations_for
from recommender.versions import active_version


class Command(BaseCommand):
    help = (
        "Write the top 10 each user would be shown now (what they rated since dropped, popular movies filling "
        "in) as CSV: movielens_user_id,rank,movielens_movie_id,score,reason."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", type=Path, help="the CSV file to write ('-' for standard output)")

    def handle(self, *args, out: Path, **options) -> None:
        version = active_version()
        if version is None:
            raise CommandError("no model version is active yet: run 'python manage.py train' first")
        users = get_user_model().objects.filter(ratings__isnull=False).distinct().order_by("pk")
        stream = self.stdout if str(out) == "-" else out.open("w", newline="", encoding="utf-8")
        count = 0
        try:
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(["movielens_user_id", "rank", "movielens_movie_id", "score", "reason"])
            for user in users.iterator(chunk_size=2000):
                for item in recommendations_for(user=user):
                    score = "" if item.score is None else f"{item.score:.6f}"
                    who = user.movielens_id if user.movielens_id is not None else user.username
                    writer.writerow([who, item.rank, item.movie.movielens_id, score, item.reason])
                    count += 1
        finally:
            if stream is not self.stdout:
                stream.close()
        if str(out) != "-" and options["verbosity"] > 0:
            self.stdout.write(f"wrote {count} rows for version {version.pk} to {out}")
