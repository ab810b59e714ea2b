"""Never an HTML page or a traceback from /api/: unknown addresses, wrong methods, bodies that are not JSON, and
bugs, with DEBUG on and off."""

import pytest
from django.test import override_settings

from catalog.api import views as catalog_views

from .conftest import assert_error


@pytest.mark.parametrize("debug", [True, False])
def test_unknown_api_addresses_are_json_404s(world, debug):
    client = world.client("owner")
    with override_settings(DEBUG=debug):
        assert_error(client.get("/api/v1/nothing-here/"), 404, "not_found")
        assert_error(client.get("/api/v2/movies/"), 404, "not_found")
        assert_error(client.post("/api/nothing/", {}, format="json"), 404, "not_found")
        error = assert_error(client.get("/api/v1/movies"), 404, "not_found")
        assert "/api/v1/movies/" in error["message"]  # no redirect (a POST would lose its body): a hint instead


def test_wrong_method_not_json_and_broken_json(world):
    client = world.client("owner")
    assert "PUT" in assert_error(client.put("/api/v1/movies/", {}, format="json"), 405, "method_not_allowed")["message"]
    form = client.post("/api/v1/me/ratings/", {"movie": 1, "stars": 4})  # multipart, not JSON
    assert_error(form, 415, "unsupported_media_type")
    broken = client.post("/api/v1/me/ratings/", data='{"movie": 1,', content_type="application/json")
    assert_error(broken, 400, "parse_error")
    assert_error(client.post("/api/v1/me/ratings/", data="[1, 2]", content_type="application/json"), 400, "invalid")


def test_asking_for_html_still_answers_json(world):
    response = world.client("anonymous").get("/api/v1/genres/", HTTP_ACCEPT="text/html")
    assert_error(response, 406, "not_acceptable")


@pytest.mark.parametrize("debug", [True, False])
def test_a_bug_is_a_json_500_without_details(world, monkeypatch, client, debug):
    def broken(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(catalog_views.selectors, "star_histogram", broken)
    client.raise_request_exception = False
    with override_settings(DEBUG=debug):
        response = client.get("/api/v1/movies/608/")
    error = assert_error(response, 500, "server_error")
    assert "secret internals" not in response.content.decode() and "Traceback" not in response.content.decode()
    assert error["fields"] == {}


def test_djangos_own_handlers_answer_json_under_api_and_html_elsewhere(rf):
    from moviesite.api import errors

    api = errors.handler500(rf.get("/api/v1/movies/"))
    assert api["Content-Type"] == "application/json" and api.status_code == 500
    assert errors.handler404(rf.get("/api/x"), Exception())["Content-Type"] == "application/json"
    assert errors.handler404(rf.get("/elsewhere/"), Exception())["Content-Type"].startswith("text/html")
