"""The site's own 403, 404 and 500 pages (DEBUG off, as in production)."""

import pytest
from django.test import Client, override_settings
from django.urls import include, path

pytestmark = pytest.mark.django_db


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom), path("", include("moviesite.urls"))]


@override_settings(DEBUG=False)
def test_404_is_the_sites_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.text and "moviesite" in response.text


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_500_is_the_sites_page_without_a_trace():
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "Something went wrong" in response.text and "RuntimeError" not in response.text


@override_settings(DEBUG=False)
def test_403_for_a_form_without_csrf_token(movies, owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post("/movies/608/rate/", {"stars": 4})
    assert response.status_code == 403
    assert "Not allowed" in response.text
