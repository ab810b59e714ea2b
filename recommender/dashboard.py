"""The staff dashboard's aggregates (selectors): the seed's six charts of the data, ratings over time, ratings per
user and the active version's catalogue coverage.

Every number comes from a GROUP BY in the database; Python only folds the small results (a few thousand rows at
most: (movie, stars) counts, ratings per user). The result is cached under a generation that
``catalog.signals.ratings_changed`` bumps, and under the active version's id, so it is recomputed when ratings
or the served version change, never on every request.
"""

import io
import re
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

import numpy as np
from django.core.cache import cache
from django.db.models import Count, F, Sum
from django.dispatch import receiver

from catalog.models import Genre, Movie, MovieGenre, Rating
from catalog.signals import ratings_changed

from .models import Recommendation
from .versions import active_version

GENERATION_KEY = "dashboard:generation"
CACHE_SECONDS = 24 * 3600  # an entry also dies with its generation; this only bounds a forgotten one
HALF_STARS = 10  # the box plot counts per half star (0.5-5): whole-star data only fills the whole ones
MONTH_SECONDS = 2_629_746  # a mean Gregorian month: ratings over time are counted per such period
PER_USER_EDGES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000)
TITLE_WORDS = 150
WORDCLOUD_KINDS = ("genres", "titles")


def _generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, time.time_ns(), timeout=None)
        generation = cache.get(GENERATION_KEY)
    return int(generation)


def invalidate() -> None:
    """Every cached aggregate is stale from now on."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, time.time_ns(), timeout=None)


@receiver(ratings_changed, dispatch_uid="recommender.dashboard.ratings_changed")
def _ratings_changed(sender, **kwargs) -> None:
    invalidate()


def _key(name: str, version_id: int | None) -> str:
    return f"dashboard:{name}:{_generation()}:{version_id or 0}"


def dashboard_data() -> dict[str, Any]:
    """Every chart's data (JSON-ready), from the cache or computed now."""
    version = active_version()
    version_id = version.pk if version else None
    key = _key("data", version_id)
    data = cache.get(key)
    if data is None:
        data = compute_dashboard_data(version_id)
        cache.set(key, data, timeout=CACHE_SECONDS)
    return data


def compute_dashboard_data(version_id: int | None) -> dict[str, Any]:
    movie_genres = list(MovieGenre.objects.values_list("movie_id", "genre__name"))
    # GROUP BY stars first: on SQLite 2.5 times faster than (movie, stars) with ML-1M (1.0 s against 2.7 s)
    by_stars = Rating.objects.values_list("stars", "movie_id").annotate(n=Count("id")).order_by()
    stars_by_movie = [(movie_id, stars, n) for stars, movie_id, n in by_stars]
    return {
        "totals": {
            "movies": Movie.objects.count(),
            "ratings": sum(n for _, _, n in stars_by_movie),
            "users": Rating.objects.values("user_id").distinct().count(),
        },
        "genres": genre_counts(),
        "ratings_by_genre": ratings_by_genre(),
        "boxplot": stars_by_genre(movie_genres, stars_by_movie),
        "top_five_star": top_five_star(stars_by_movie),
        "over_time": ratings_over_time(),
        "per_user": ratings_per_user(),
        "coverage": coverage(version_id),
    }


def genre_counts() -> dict[str, list]:
    """Movies per genre, most first (a movie counts once for each of its genres)."""
    rows = Genre.objects.annotate(n=Count("movies")).filter(n__gt=0).order_by("-n", "name").values_list("name", "n")
    return {"labels": [name for name, _ in rows], "values": [n for _, n in rows]}


def ratings_by_genre() -> dict[str, list]:
    """Ratings per genre, most first, from the movies' kept ratings counts (a rating counts for every genre)."""
    rows = (
        Genre.objects.annotate(n=Sum("movies__ratings_count"))
        .filter(n__gt=0)
        .order_by("-n", "name")
        .values_list("name", "n")
    )
    return {"labels": [name for name, _ in rows], "values": [n for _, n in rows]}


def _quartiles(histogram: list[int]) -> dict[str, float]:
    """min, q1, median, q3, max and mean of stars given as counts per star 1-5, or per half star 0.5-5 (nearest
    rank)."""
    counts = np.array(histogram, dtype=np.int64)
    total = int(counts.sum())
    cumulative = np.cumsum(counts)
    stars = np.arange(1, len(counts) + 1) * (5 / len(counts))

    def at(fraction: float) -> float:
        return float(stars[np.searchsorted(cumulative, max(1, int(np.ceil(fraction * total))))])

    present = stars[counts > 0]
    return {
        "min": float(present.min()), "q1": at(0.25), "median": at(0.5), "q3": at(0.75), "max": float(present.max()),
        "mean": round(float((counts * stars).sum() / total), 3),
    }  # fmt: skip


def stars_by_genre(movie_genres: list[tuple[int, str]], stars_by_movie: list[tuple[int, float, int]]) -> dict:
    """The box plot of stars per genre: quartiles from each genre's star histogram, genres by median then mean."""
    genres_of = defaultdict(list)
    for movie_id, name in movie_genres:
        genres_of[movie_id].append(name)
    histograms: dict[str, list[int]] = defaultdict(lambda: [0] * HALF_STARS)
    for movie_id, stars, n in stars_by_movie:
        for name in genres_of.get(movie_id, ()):
            histograms[name][round(stars * 2) - 1] += n
    rows = sorted(
        ((name, _quartiles(h), sum(h)) for name, h in histograms.items()),
        key=lambda row: (-row[1]["median"], -row[1]["mean"], row[0]),
    )
    return {"labels": [r[0] for r in rows], "stats": [r[1] for r in rows], "counts": [r[2] for r in rows]}


def top_five_star(stars_by_movie: list[tuple[int, int, int]], limit: int = 10) -> list[dict[str, Any]]:
    fives = sorted(((n, movie_id) for movie_id, stars, n in stars_by_movie if stars == 5), reverse=True)[:limit]
    titles = Movie.objects.in_bulk([movie_id for _, movie_id in fives])
    return [{"title": titles[movie_id].title, "count": n} for n, movie_id in fives]


def ratings_over_time() -> dict[str, list]:
    """Ratings per month (mean-length months counted from the Unix epoch), labelled by the month of their middle."""
    rows = (
        Rating.objects.annotate(period=F("timestamp") / MONTH_SECONDS)
        .values_list("period")
        .annotate(n=Count("id"))
        .order_by("period")
    )
    counts = {int(period): n for period, n in rows}
    periods = range(min(counts), max(counts) + 1) if counts else range(0)  # months without a rating count 0
    return {
        "labels": [datetime.fromtimestamp((p + 0.5) * MONTH_SECONDS, tz=UTC).strftime("%Y-%m") for p in periods],
        "values": [counts.get(p, 0) for p in periods],
    }


def ratings_per_user() -> dict[str, Any]:
    """How many users have how many ratings, in bins that grow by about x2.5 (the long tail on log axes)."""
    counts = np.fromiter(
        Rating.objects.values("user_id").annotate(n=Count("id")).order_by().values_list("n", flat=True), dtype=np.int64
    )
    edges = list(PER_USER_EDGES)
    while counts.size and edges[-1] <= counts.max():
        edges.append(edges[-1] * 2)
    histogram, _ = np.histogram(counts, bins=edges)
    labels = [f"{lo}" if hi - lo == 1 else f"{lo}–{hi - 1}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    nonzero = [i for i, n in enumerate(histogram) if n]
    first, last = (nonzero[0], nonzero[-1] + 1) if nonzero else (0, 0)
    return {
        "labels": labels[first:last],
        "values": [int(n) for n in histogram[first:last]],
        "median": float(np.median(counts)) if counts.size else None,
        "max": int(counts.max()) if counts.size else None,
        "min": int(counts.min()) if counts.size else None,
    }


def gini(values: list[int] | np.ndarray) -> float:
    """Gini index of non-negative counts: 0 when every movie is recommended equally often, near 1 when a few
    movies take every slot."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    n, total = x.size, x.sum()
    if n == 0 or total == 0:
        return 0.0
    return float(2 * np.sum(np.arange(1, n + 1) * x) / (n * total) - (n + 1) / n)


def coverage(version_id: int | None, *, k: int = 10) -> dict[str, Any]:
    """How many distinct movies the active version's top-k lists show, over the catalogue, and how unequally."""
    catalogue = Movie.objects.count()
    if version_id is None:
        return {"version": None, "catalogue": catalogue}
    shown = Recommendation.objects.filter(version_id=version_id, rank__lte=k)
    per_movie = list(shown.values("movie_id").annotate(n=Count("id")).order_by().values_list("n", flat=True))
    users = shown.aggregate(users=Count("user_id", distinct=True), slots=Count("id"))
    counts = np.array(per_movie + [0] * max(catalogue - len(per_movie), 0), dtype=np.float64)
    lorenz_x, lorenz_y = [0.0], [0.0]
    if counts.sum() > 0:
        cumulative = np.cumsum(np.sort(counts)) / counts.sum()
        points = np.unique(np.linspace(0, counts.size - 1, num=min(counts.size, 50)).round().astype(int))
        lorenz_x += [round(float((i + 1) / counts.size), 4) for i in points]
        lorenz_y += [round(float(cumulative[i]), 4) for i in points]
    return {
        "version": version_id, "catalogue": catalogue, "distinct": len(per_movie), "users": users["users"],
        "slots": users["slots"], "share": round(len(per_movie) / catalogue, 4) if catalogue else 0.0,
        "gini": round(gini(counts), 4), "lorenz": {"x": lorenz_x, "y": lorenz_y},
    }  # fmt: skip


def word_frequencies(kind: str) -> dict[str, float]:
    """The words of a cloud: genres weighted by their movies, or the words of the titles (years, articles and
    other stop words left out), weighted by how many titles use them."""
    if kind == "genres":
        data = genre_counts()
        return dict(zip(data["labels"], data["values"], strict=True))
    if kind == "titles":
        from wordcloud import STOPWORDS

        stop = {word.lower() for word in STOPWORDS} | {"the", "a", "an", "la", "le", "les", "de", "il", "el"}
        words = Counter()
        for title in Movie.objects.values_list("title", flat=True):
            for word in re.findall(r"[^\W\d_][\w'’-]*", re.sub(r"\(\d{4}\)", "", title)):
                if word.lower() not in stop and len(word) > 1:
                    words[word.strip("'’-")] += 1
        return dict(words.most_common(TITLE_WORDS))
    raise ValueError(f"word cloud kind must be one of {WORDCLOUD_KINDS}, not {kind!r}")


def render_wordcloud(frequencies: dict[str, float], *, width: int = 800, height: int = 400) -> bytes:
    """A PNG word cloud (the `wordcloud` library: layout and rendering, fixed seed so a cloud does not move)."""
    from wordcloud import WordCloud

    if not frequencies:
        frequencies = {"no data yet": 1}
    cloud = WordCloud(width=width, height=height, background_color="white", colormap="viridis", random_state=7,
                      prefer_horizontal=0.9, max_words=len(frequencies))  # fmt: skip
    buffer = io.BytesIO()
    cloud.generate_from_frequencies(frequencies).to_image().save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def wordcloud_png(kind: str) -> bytes:
    """The cloud's PNG, cached like the rest (rendering takes about a second)."""
    if kind not in WORDCLOUD_KINDS:
        raise ValueError(f"word cloud kind must be one of {WORDCLOUD_KINDS}, not {kind!r}")
    key = _key(f"wordcloud-{kind}", None)
    png = cache.get(key)
    if png is None:
        png = render_wordcloud(word_frequencies(kind))
        cache.set(key, png, timeout=CACHE_SECONDS)
    return png


def wordcloud_words(kind: str, limit: int = 10) -> list[tuple[str, float]]:
    """The cloud's biggest words, for its text alternative."""
    key = _key(f"words-{kind}", None)
    words = cache.get(key)
    if words is None:
        words = sorted(word_frequencies(kind).items(), key=lambda item: (-item[1], item[0]))[:limit]
        cache.set(key, words, timeout=CACHE_SECONDS)
    return words
