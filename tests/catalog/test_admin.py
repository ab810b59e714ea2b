import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(tiny_dataset):
    call_command("import_movielens", str(tiny_dataset), verbosity=0)


def test_staff_can_search_movies(admin_client, imported):
    response = admin_client.get("/admin/catalog/movie/", {"q": "Cité"})
    assert response.status_code == 200
    assert "moviesite administration" in response.text
    assert "City of Lost Children" in response.text and "Toy Story" not in response.text


@pytest.mark.parametrize(
    "url",
    ["/admin/catalog/user/", "/admin/catalog/rating/", "/admin/catalog/genre/", "/admin/recommender/trainingrun/"],
)
def test_staff_see_every_list(admin_client, imported, url):
    assert admin_client.get(url).status_code == 200


def test_strangers_are_sent_to_the_login(client, imported):
    response = client.get("/admin/catalog/rating/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
