import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.models import Movie
from recommender.selectors import list_status, recommendations_for, similar_movies


class Command(BaseCommand):
    help = "Print a user's current recommendations (or a movie's nearest movies) as the site shows them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user", nargs="?", help="MovieLens user id, or a site user name")
        parser.add_argument("--similar", type=int, metavar="MOVIE_ID", help="a MovieLens movie id: its neighbours")
        parser.add_argument("--limit", type=int, default=None)
        parser.add_argument("--json", dest="as_json", action="store_true")

    def handle(self, *args, user, similar, limit, as_json: bool, **options) -> None:
        if similar is not None:
            payload = self._similar(similar, limit or 20)
        elif user:
            payload = self._for_user(user, limit or 10)
        else:
            raise CommandError("give a user (MovieLens id or user name) or --similar MOVIE_ID")
        if as_json:
            self.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False))
            return
        self.stdout.write(payload["heading"])
        for item in payload["items"]:
            score = "" if item.get("score") is None else f"  score {item['score']:.3f}"
            stars = "" if item.get("predicted_stars") is None else f"  ~{item['predicted_stars']:.1f} stars"
            similarity = f"  cosine {item['similarity']:.3f}" if "similarity" in item else ""
            self.stdout.write(f"{item['rank']:3d}. {item['title']} [{'|'.join(item['genres'])}]{score}{stars}"
                              f"{similarity}{'  - ' + item['reason'] if item.get('reason') else ''}")  # fmt: skip
        if not payload["items"]:
            self.stdout.write("(nothing: no active model version, or no neighbours for this movie)")

    def _for_user(self, key: str, limit: int) -> dict:
        users = get_user_model().objects
        found = users.filter(movielens_id=int(key)).first() if key.isdigit() else users.filter(username=key).first()
        if found is None:
            raise CommandError(f"no user {key!r} (a MovieLens user id or a site user name)")
        status = list_status(user=found)
        items = [
            {
                "rank": r.rank,
                "movielens_id": r.movie.movielens_id,
                "title": r.movie.title,
                "genres": [g.name for g in r.movie.genres.all()],
                "score": r.score,
                "predicted_stars": r.predicted_stars,
                "reason": r.reason,
                "version": r.version_id,
            }  # fmt: skip
            for r in recommendations_for(user=found, limit=limit)
        ]
        note = " (updating: a refresh after a rating change is due)" if status.updating else ""
        return {"heading": f"recommendations for {found.username}{note}", "user": found.username, "items": items}

    def _similar(self, movielens_id: int, limit: int) -> dict:
        movie = Movie.objects.filter(movielens_id=movielens_id).first()
        if movie is None:
            raise CommandError(f"no movie with MovieLens id {movielens_id}")
        items = [
            {
                "rank": rank,
                "movielens_id": s.movie.movielens_id,
                "title": s.movie.title,
                "genres": [g.name for g in s.movie.genres.all()],
                "similarity": s.similarity,
            }  # fmt: skip
            for rank, s in enumerate(similar_movies(movie=movie, limit=limit), 1)
        ]
        return {"heading": f"movies like {movie.title}", "movie": movie.title, "items": items}
