""" "For you" at /, the list fragment and the status endpoint, for every role, with and without a model."""

import pytest
from django.utils import timezone

from catalog.services import rating_set
from recommender.models import ModelVersion, RatingChange, Recommendation, TrainingRun, UserList
from tests.web_fixtures import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(db) -> ModelVersion:
    run = TrainingRun.objects.create(status=TrainingRun.Status.SUCCEEDED, in_progress=None)
    return ModelVersion.objects.create(run=run, is_active=True, model_path="unused.pt")


@pytest.fixture
def owners_list(version, movies, owner) -> list[int]:
    """A stored list for the owner: Aliens because of Star Wars (rated 5), then two without a reason."""
    rating_set(user=owner, movie=movies[260], stars=5)
    ranked = [(1200, 260, 4.6), (2997, None, 3.9), (2150, None, None)]
    Recommendation.objects.bulk_create(
        Recommendation(
            version=version, user=owner, rank=rank, movie=movies[ml], score=1.0 / rank,
            because_of=movies[because] if because else None, predicted_stars=predicted,
        )
        for rank, (ml, because, predicted) in enumerate(ranked, 1)
    )  # fmt: skip
    UserList.objects.create(version=version, user=owner, computed_at=timezone.now())
    return [ml for ml, _, _ in ranked]


def shown(response) -> list[int]:
    return [item.movie.movielens_id for item in response.context["items"]]


def test_anonymous_visitors_see_popular_movies_and_an_invitation(client, movies):
    response = client.get("/")
    assert response.status_code == 200
    assert shown(response)[:3] == [608, 260, 4973] and len(shown(response)) == 10
    assert "Sign up, it's free" in response.text


def test_a_new_person_without_ratings_gets_the_empty_state(movies, owner):
    response = client_for(owner).get("/")
    assert "Rate a few movies to get recommendations." in response.text
    assert len(shown(response)) == 10


def test_the_personal_list_shows_reasons_and_predicted_stars(owners_list, owner):
    response = client_for(owner).get("/")
    assert shown(response)[:3] == owners_list
    assert "Because you rated Star Wars: Episode IV - A New Hope (1977) 5 stars" in response.text
    assert "we think you'll rate it <strong>4.6</strong>" in response.text
    assert "Popular with people who rated the same movies" in response.text
    assert len(shown(response)) == 10  # topped up with popular movies
    assert 260 not in shown(response)  # never a movie the person rated


def test_someone_elses_list_is_never_shown(owners_list, other):
    response = client_for(other).get("/")
    assert "Because you rated" not in response.text
    assert 1200 not in shown(response)[:1]


def test_a_movie_rated_since_drops_out_at_once(owners_list, movies, owner):
    rating_set(user=owner, movie=movies[1200], stars=4)
    assert 1200 not in shown(client_for(owner).get("/"))


def test_updating_state_and_status_endpoint(owners_list, version, owner):
    RatingChange.objects.update_or_create(user=owner, defaults={"changed_at": timezone.now()})
    client = client_for(owner)
    response = client.get("/")
    assert 'data-updating="true"' in response.text and "Updating your list" in response.text
    status = client.get("/for-you/status/").json()
    assert status["updating"] is True and status["version_id"] == version.pk and status["changed_at"]
    UserList.objects.filter(user=owner).update(computed_at=timezone.now())
    assert client.get("/for-you/status/").json()["updating"] is False
    fragment = client.get("/for-you/list/")
    assert fragment.status_code == 200 and "<html" not in fragment.text and 'data-updating="false"' in fragment.text


def test_status_is_json_for_strangers_too(client):
    response = client.get("/for-you/status/")
    assert response.status_code == 401 and response["Content-Type"] == "application/json"
    assert response.json() == {"error": "sign in to see the status of your list"}


def test_the_fragment_needs_a_login(client):
    assert client.get("/for-you/list/")["Location"].startswith("/accounts/login/")


def test_staff_get_their_own_list(owners_list, staff):
    response = client_for(staff).get("/")
    assert response.status_code == 200 and "Because you rated" not in response.text


def test_for_you_in_a_fixed_number_of_queries(owners_list, owner, django_assert_num_queries):
    client = client_for(owner)
    # session, user, stored list, its genres, the popular top-up (+ genres, version), status (2), count,
    # the catalogue's star scale (for the rating controls)
    with django_assert_num_queries(11):
        client.get("/")


def test_post_is_not_allowed_on_for_you(owner):
    assert client_for(owner).post("/").status_code == 405


def test_the_fragments_rating_forms_come_back_to_the_page_not_the_fragment(owners_list, owner):
    fragment = client_for(owner).get("/for-you/list/")
    assert 'name="next" value="/"' in fragment.text and 'value="/for-you/list/"' not in fragment.text
