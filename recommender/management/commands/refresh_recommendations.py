import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm


class Command(BaseCommand):
    help = (
        "Recompute users' lists from the active version and their current ratings, in this process "
        "(what the worker does after each rating change)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", nargs="+", type=int, metavar="ID", help="MovieLens user ids (or user names)")
        parser.add_argument("--usernames", nargs="+", metavar="NAME", help="site user names")
        parser.add_argument("--stale", action="store_true", help="every user whose ratings changed since their list")

    def handle(self, *args, users, usernames, stale: bool, **options) -> None:
        from recommender.refresh import refresh_user, stale_user_ids
        from recommender.versions import active_version

        if not (users or usernames or stale):
            raise CommandError("say whose lists to refresh: --users ID ..., --usernames NAME ... or --stale")
        if active_version() is None:
            raise CommandError("no model version is active yet: run 'python manage.py train' first")
        pks = self._user_pks(users or [], usernames or [])
        if stale:
            pks = sorted(set(pks) | set(stale_user_ids()))
        quiet = options["verbosity"] == 0
        seconds = []
        for pk in tqdm(pks, disable=quiet or not sys.stderr.isatty(), unit="user"):
            result = refresh_user(user_id=pk)
            if result is not None:
                seconds.append(result.seconds)
        if not quiet:
            timing = f", {1000 * sum(seconds) / len(seconds):.1f} ms each on average" if seconds else ""
            self.stdout.write(f"refreshed {len(seconds)} list(s){timing}")

    def _user_pks(self, movielens_ids: list[int], usernames: list[str]) -> list[int]:
        found = dict(get_user_model().objects.filter(movielens_id__in=movielens_ids).values_list("movielens_id", "pk"))
        named = dict(get_user_model().objects.filter(username__in=usernames).values_list("username", "pk"))
        missing = [str(u) for u in movielens_ids if u not in found] + [n for n in usernames if n not in named]
        if missing:
            raise CommandError(f"no such user: {', '.join(missing)}")
        return [*found.values(), *named.values()]
