"""Half stars in the recommender's reads: the snapshot keeps them (float ratings), the dashboard counts them."""

import pyarrow.parquet as pq
import pytest

from catalog.models import Rating, Release
from catalog.services import rating_set
from recommender import dashboard
from recommender.snapshot import snapshot_ratings

pytestmark = pytest.mark.django_db


@pytest.fixture
def half_stars(movies, owner):
    Release.objects.update_or_create(pk=1, defaults=dict(name="ml-10m", format="ml-10m", half_stars=True))
    rating_set(user=owner, movie=movies[608], stars=4.5, timestamp=7)
    rating_set(user=owner, movie=movies[260], stars=0.5, timestamp=8)


def test_the_snapshot_keeps_half_stars_and_every_other_column(half_stars, tmp_path):
    snapshot = snapshot_ratings(run_dir=tmp_path)
    table = pq.read_table(tmp_path / "ratings.parquet").to_pydict()
    users = pq.read_table(tmp_path / "users.parquet").column("user_id").to_pylist()
    movies = pq.read_table(tmp_path / "movies.parquet").column("movie_id").to_pylist()
    written = sorted(
        (users[u], movies[m], s, t)
        for u, m, s, t in zip(table["user_idx"], table["movie_idx"], table["rating"], table["ts"], strict=True)
    )
    assert written == sorted(Rating.objects.values_list("user_id", "movie_id", "stars", "timestamp"))
    assert snapshot.n_ratings == Rating.objects.count() and 4.5 in table["rating"] and 0.5 in table["rating"]


def test_the_dashboard_box_plot_counts_half_stars(half_stars, movies):
    data = dashboard.compute_dashboard_data(None)
    boxes = dict(zip(data["boxplot"]["labels"], data["boxplot"]["stats"], strict=True))
    fargo = [float(r.stars) for r in Rating.objects.filter(movie=movies[608])]
    assert 4.5 in fargo and boxes["Crime"]["mean"] == round(sum(fargo) / len(fargo), 3)
    assert dashboard._quartiles([1] + [0] * 8 + [1]) == {"min": 0.5, "q1": 0.5, "median": 0.5, "q3": 5.0,
                                                         "max": 5.0, "mean": 2.75}  # fmt: skip
