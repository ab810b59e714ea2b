from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommender.hits import hit_reports, hit_sentence
from recommender.versions import active_version


class Command(BaseCommand):
    help = "For MovieLens users, show the held-out (latest) movie, the model's top 10, and whether it was a hit."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", nargs="+", type=int, required=True, help="MovieLens user ids")

    def handle(self, *args, users: list[int], **options) -> None:
        version = active_version()
        if version is None:
            raise CommandError("no model version is active yet: run 'python manage.py train' first")
        pks = dict(get_user_model().objects.filter(movielens_id__in=users).values_list("movielens_id", "pk"))
        unknown = [u for u in users if u not in pks]
        if unknown:
            raise CommandError(f"no user with MovieLens id {', '.join(map(str, unknown))}")
        reports = hit_reports(version=version, user_pks=[pks[u] for u in users])
        hits = 0
        for movielens_id, report in zip(users, reports, strict=True):
            hits += report.hit
            self.stdout.write(f"\nuser {movielens_id}: {'HIT' if report.hit else 'miss'}")
            self.stdout.write(f"  {hit_sentence(label=movielens_id, report=report)}")
            self.stdout.write(f"  held out: {_describe(report.held_out) if report.held_out else '(none)'}")
            for rank, movie in enumerate(report.top, 1):
                marker = "  <- held out" if report.held_out and movie.pk == report.held_out.pk else ""
                self.stdout.write(f"  {rank:2d}. {_describe(movie)}{marker}")
        self.stdout.write(f"\n{hits} hit(s) in {len(users)} user(s), version {version.pk}")


def _describe(movie) -> str:
    genres = "|".join(g.name for g in movie.genres.all())
    return f"{movie.title} [{genres}]"
