"""``manage.py generate_movielens OUT``: write a synthetic ML-1M (movies/users/ratings.dat) into OUT."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.generation import FORMATS, generate_movielens


class Command(BaseCommand):
    help = (
        "Write a synthetic MovieLens-1M data set (movies.dat, users.dat, ratings.dat) into OUT; with --format "
        "ml-10m ML-10M's files (movies.dat, ratings.dat with half stars, no users.dat), with --format csv the CSV "
        "releases' (movies.csv, ratings.csv with a header, quoted titles, half stars, IMAX and no-genre movies)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", type=Path, help="folder to write into (created if missing)")
        parser.add_argument("--users", type=int, default=6040, help="number of users (default 6040)")
        parser.add_argument("--movies", type=int, default=3883, help="number of movies (default 3883)")
        parser.add_argument("--ratings", type=int, default=1_000_209, help="number of ratings (default 1000209)")
        parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        parser.add_argument("--format", choices=FORMATS, default="ml-1m", help="the files' format (default ml-1m)")

    def handle(self, *args: object, **options: object) -> None:
        out = options["out"]
        if out.exists() and not out.is_dir():
            raise CommandError(f"{out} exists and is not a directory")
        try:
            summary = generate_movielens(
                out_dir=out,
                n_users=options["users"],
                n_movies=options["movies"],
                n_ratings=options["ratings"],
                seed=options["seed"],
                format=options["format"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Wrote {summary.n_users} users, {summary.n_movies} movies ({summary.n_rated_movies} rated), "
            f"{summary.n_ratings} ratings ({summary.format} format) to {summary.out_dir} in {summary.seconds:.1f} s"
        )
