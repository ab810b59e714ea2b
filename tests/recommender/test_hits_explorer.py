"""The hits explorer: hit rate by age, gender and number of ratings; who may see it; a real trained version."""

import pytest
from django.core.cache import cache

from catalog.models import User
from recommender.hit_groups import GroupRate, rates_by_group
from recommender.hits import hit_reports
from tests.pipeline.conftest import small_dataset, trained_catalogue  # noqa: F401  (module-scoped training)
from tests.web_fixtures import client_for


def test_rates_by_group_counts_each_user_once_per_grouping():
    people = [
        {"pk": 1, "age": 18, "gender": "F", "ratings": 25},
        {"pk": 2, "age": 18, "gender": "M", "ratings": 300},
        {"pk": 3, "age": 56, "gender": "M", "ratings": 22},
        {"pk": 4, "age": None, "gender": "", "ratings": 5},
        {"pk": 5, "age": 25, "gender": "F", "ratings": 40},  # no held-out movie: left out
    ]
    groups = rates_by_group({1: True, 2: False, 3: True, 4: False}, people)
    assert groups["age"] == [GroupRate("18-24", 2, 1), GroupRate("56+", 1, 1), GroupRate("unknown", 1, 0)]
    assert groups["gender"] == [GroupRate("Female", 1, 1), GroupRate("Male", 2, 1), GroupRate("unknown", 1, 0)]
    assert groups["ratings"] == [GroupRate("1–19", 1, 0), GroupRate("20–29", 2, 2), GroupRate("200–499", 1, 0)]
    assert groups["ratings"][1].rate == 1.0 and GroupRate("x", 0, 0).rate is None


@pytest.mark.django_db
def test_roles_and_no_model(client, owner, staff):
    assert client.get("/staff/hits/")["Location"].startswith("/accounts/login/")
    assert client_for(owner).get("/staff/hits/").status_code == 403
    page = client_for(staff).get("/staff/hits/")
    assert page.status_code == 200 and "No model has been trained yet." in page.text
    assert 'action="/hits/"' in page.text  # one user's report: the seed's page


@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.django_db
def test_the_rates_of_a_trained_version_add_up(trained_catalogue):  # noqa: F811
    cache.clear()
    staff = User.objects.create_user(username="boss", password=None, is_staff=True)
    response = client_for(staff).get("/staff/hits/")
    assert response.status_code == 200
    rates = response.context["rates"]
    people = list(User.objects.filter(movielens_id__isnull=False).order_by("pk"))
    reports = hit_reports(version=trained_catalogue.version, user_pks=[p.pk for p in people])
    expected = [r.hit for r in reports if r.held_out is not None]
    assert rates["users"] == len(expected) and rates["hits"] == sum(expected) > 0
    for dimension in ("age", "gender", "ratings"):
        rows = rates["groups"][dimension]
        assert sum(users for _, users, _, _ in rows) == rates["users"], dimension
        assert sum(hits for _, _, hits, _ in rows) == rates["hits"], dimension
    assert "Hit rate by number of ratings (cold users first)" in response.text and 'id="hits-data"' in response.text
