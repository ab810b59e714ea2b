"""The staff dashboard: who may see it, the aggregates against counts made by hand, the cache (no aggregate
query on a warm page; recomputed after a rating or a version switch), the word clouds and the text alternatives."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Rating, User
from catalog.services import rating_set
from recommender import dashboard
from recommender.models import ModelVersion, Recommendation, TrainingRun
from recommender.versions import version_activate
from tests.web_fixtures import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_roles(client, owner, staff, movies):
    for url in ("/dashboard/", "/dashboard/wordcloud/genres.png"):
        assert client.get(url)["Location"].startswith("/accounts/login/"), url
        assert client_for(owner).get(url).status_code == 403, url
        assert client_for(staff).get(url).status_code == 200, url
    assert client_for(staff).get("/dashboard/wordcloud/users.png").status_code == 404


def test_the_aggregates_match_counts_made_by_hand(movies):
    data = dashboard.compute_dashboard_data(None)
    assert data["totals"] == {"movies": 35, "ratings": 15, "users": 5}
    genres = dict(zip(data["genres"]["labels"], data["genres"]["values"], strict=True))
    assert (
        genres["Drama"] == 28
        and genres["Comedy"] == 5
        and genres["War"] == 1
        and data["genres"]["labels"][0] == "Drama"
    )
    # ratings per movie: Fargo 5, Star Wars 4, Amélie 3, Toy Story 2, Breakfast Club 1 (see tests/web_fixtures.py)
    by_genre = dict(zip(data["ratings_by_genre"]["labels"], data["ratings_by_genre"]["values"], strict=True))
    assert by_genre == {"Crime": 5, "Thriller": 5, "Drama": 6, "Action": 4, "Adventure": 4, "Sci-Fi": 4,
                        "Comedy": 6, "Romance": 3, "Animation": 2, "Children's": 2}  # fmt: skip
    fives = {row["title"]: row["count"] for row in data["top_five_star"]}
    expected = {}
    for rating in Rating.objects.filter(stars=5).select_related("movie"):
        expected[rating.movie.title] = expected.get(rating.movie.title, 0) + 1
    assert fives == expected and data["top_five_star"][0]["count"] == max(expected.values())
    assert data["per_user"]["labels"] == ["1", "2–4", "5–9"] and data["per_user"]["values"] == [1, 3, 1]
    assert (data["per_user"]["min"], data["per_user"]["max"]) == (1, 5)
    assert data["over_time"] == {"labels": ["1970-01"], "values": [15]}  # every fixture rating has timestamp 1
    boxes = dict(zip(data["boxplot"]["labels"], data["boxplot"]["stats"], strict=True))
    fargo = [r.stars for r in Rating.objects.filter(movie=movies[608])]
    assert boxes["Crime"]["min"] == min(fargo) and boxes["Crime"]["max"] == max(fargo)
    assert boxes["Crime"]["mean"] == round(sum(fargo) / len(fargo), 3)
    assert data["coverage"] == {"version": None, "catalogue": 35}


def test_quartiles_and_gini():
    assert dashboard._quartiles([1, 1, 1, 1, 0]) == {"min": 1.0, "q1": 1.0, "median": 2.0, "q3": 3.0, "max": 4.0,
                                                     "mean": 2.5}  # fmt: skip
    assert dashboard._quartiles([0, 0, 0, 0, 7])["median"] == 5.0
    assert dashboard.gini([5, 5, 5, 5]) == 0.0
    assert dashboard.gini([0, 0, 0, 12]) == pytest.approx(0.75)
    assert dashboard.gini([]) == 0.0


def test_coverage_of_the_active_versions_lists(movies):
    run = TrainingRun.objects.create(status="succeeded", in_progress=None)
    version = ModelVersion.objects.create(run=run, model_path="x", is_active=True)
    people = [User.objects.create_user(username=f"viewer{i}", password=None) for i in range(3)]
    shown = [movies[608], movies[260], movies[1]]
    rows = [Recommendation(version=version, user=p, rank=rank, movie=m, score=1.0)
            for p in people for rank, m in enumerate(shown, start=1)]  # fmt: skip
    rows.append(Recommendation(version=version, user=people[0], rank=11, movie=movies[2028], score=0.1))  # not top 10
    Recommendation.objects.bulk_create(rows)
    data = dashboard.compute_dashboard_data(version.pk)["coverage"]
    assert (data["distinct"], data["catalogue"], data["users"], data["slots"]) == (3, 35, 3, 9)
    assert data["gini"] == pytest.approx(dashboard.gini([3, 3, 3] + [0] * 32), abs=1e-4)
    assert data["lorenz"]["x"][0] == 0 and data["lorenz"]["y"][-1] == 1.0


def test_the_page_shows_every_chart_with_a_title_and_a_text_alternative(staff, movies):
    page = client_for(staff).get("/dashboard/").text
    titles = ("Distribution of movie genres", "Word cloud of genres", "Ratings by genre (box plot)",
              "Word cloud of titles", "Top 10 movies by number of 5-star ratings", "Count of ratings by genre",
              "Ratings over time", "Ratings per user (the long tail)",
              "Catalogue coverage of the served lists")  # fmt: skip
    for title in titles:
        assert title in page.replace("&#x27;", "'"), title
    assert page.count("<canvas") == page.count('role="img"') == 6  # the coverage chart needs a served version
    assert 'alt="Word cloud of genres, sized by number of movies; largest: Drama (28), Comedy (5)' in page
    assert '<th scope="row">Drama</th><td class="num">28</td>' in page  # the genres table
    assert 'id="dashboard-data"' in page and "chart.umd.min.js" in page and "chartjs-chart-boxplot" in page
    assert "No version is being served yet" in page


def test_the_word_clouds_are_pngs_and_cached(staff, movies):
    client = client_for(staff)
    png = client.get("/dashboard/wordcloud/titles.png")
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG\r\n\x1a\n")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/dashboard/wordcloud/titles.png").content == png.content
    assert not any("catalog_movie" in q["sql"] for q in queries.captured_queries)
    words = dict(dashboard.word_frequencies("titles"))
    assert words["Filler"] == 25 and "1990" not in words and "The" not in words and words["Star"] == 2


def test_a_warm_page_runs_no_aggregate_and_ratings_or_a_switch_make_it_recompute(
    staff, movies, owner, django_capture_on_commit_callbacks
):
    client = client_for(staff)
    client.get("/dashboard/")
    with CaptureQueriesContext(connection) as warm:
        assert client.get("/dashboard/").status_code == 200
    assert not any("COUNT(" in q["sql"].upper() for q in warm.captured_queries), [q["sql"] for q in warm]
    before = client.get("/dashboard/").context["data"]["totals"]["ratings"]
    with django_capture_on_commit_callbacks(execute=True):  # ratings_changed is sent once the write commits
        rating_set(user=owner, movie=movies[2150], stars=5)
    after = client.get("/dashboard/").context["data"]
    assert after["totals"]["ratings"] == before + 1
    assert "Gods Must Be Crazy, The (1980)" in [row["title"] for row in after["top_five_star"]]
    run = TrainingRun.objects.create(status="succeeded", in_progress=None)
    version = ModelVersion.objects.create(run=run, model_path="x")
    Recommendation.objects.create(version=version, user=owner, rank=1, movie=movies[608], score=1.0)
    version_activate(version_id=version.pk)
    coverage = client.get("/dashboard/").context["data"]["coverage"]
    assert coverage["version"] == version.pk and coverage["distinct"] == 1


def test_nothing_of_the_dashboard_leaks_into_user_pages(owner, movies):
    for url in ("/", "/movies/", "/me/ratings/"):
        page = client_for(owner).get(url).text
        assert "/dashboard/" not in page and "/staff/" not in page and "dashboard-data" not in page, url


def test_months_without_ratings_count_zero_and_empty_user_bins_at_the_ends_are_left_out(movies, owner):
    month = dashboard.MONTH_SECONDS
    Rating.objects.create(user=owner, movie=movies[2150], stars=3, timestamp=3 * month + 5)
    over_time = dashboard.ratings_over_time()
    assert over_time == {"labels": ["1970-01", "1970-02", "1970-03", "1970-04"], "values": [15, 0, 0, 1]}
    per_user = dashboard.ratings_per_user()
    assert per_user["labels"][0] == "1" and per_user["labels"][-1] == "5–9"
