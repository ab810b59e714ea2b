"""Movies and genres: search as on the site, filters, ordering, pagination, detail, similar movies."""

from .conftest import assert_error


def _titles(response) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return [movie["title"] for movie in response.json()["results"]]


def test_it_searches_titles_without_accents_or_case(world):
    client = world.client("anonymous")
    assert _titles(client.get("/api/v1/movies/", {"search": "AMELIE"})) == [world.movies["amelie"].title]
    assert _titles(client.get("/api/v1/movies/", {"search": "amélie poulain"})) == [world.movies["amelie"].title]
    assert _titles(client.get("/api/v1/movies/", {"search": "nothing like this"})) == []


def test_it_filters_by_genre_and_year_and_orders(world):
    client = world.client("anonymous")
    crime_1995 = _titles(client.get("/api/v1/movies/", {"genre": "Crime", "year": 1995, "ordering": "title"}))
    assert crime_1995 == ["Casino (1995)", "Heat (1995)"]
    by_popularity = _titles(client.get("/api/v1/movies/"))
    assert by_popularity[0] == "Toy Story (1995)"  # rated twice
    assert _titles(client.get("/api/v1/movies/", {"decade": 2000})) == [world.movies["amelie"].title]


def test_it_lists_movie_fields(world):
    movie = world.client("anonymous").get("/api/v1/movies/", {"search": "toy"}).json()["results"][0]
    assert movie == {
        "id": 1,
        "url": "/api/v1/movies/1/",
        "title": "Toy Story (1995)",
        "year": 1995,
        "genres": ["Comedy"],
        "ratings_count": 2,
        "average_stars": 3.5,
    }


def test_it_paginates(world):
    client = world.client("anonymous")
    first = client.get("/api/v1/movies/", {"page_size": 2, "ordering": "title"}).json()
    assert first["count"] == 5 and len(first["results"]) == 2 and first["previous"] is None
    assert "page=2" in first["next"]
    last = client.get("/api/v1/movies/", {"page_size": 2, "page": 3, "ordering": "title"}).json()
    assert [m["title"] for m in last["results"]] == ["Toy Story (1995)"] and last["next"] is None
    assert_error(client.get("/api/v1/movies/", {"page": 9}), 404, "not_found")


def test_it_refuses_bad_query_parameters_saying_which(world):
    client = world.client("anonymous")
    error = assert_error(client.get("/api/v1/movies/", {"ordering": "rating", "year": "soon"}), 400, "invalid")
    assert set(error["fields"]) == {"ordering", "year"}
    assert "rating" in error["fields"]["ordering"][0]
    assert set(assert_error(client.get("/api/v1/movies/", {"page": "two"}), 400)["fields"]) == {"page"}
    assert set(assert_error(client.get("/api/v1/movies/", {"page_size": "0"}), 400)["fields"]) == {"page_size"}


def test_detail_shows_figures_and_for_a_user_their_stars(world):
    anonymous = world.client("anonymous").get("/api/v1/movies/608/").json()
    assert anonymous["histogram"] == {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1}
    assert anonymous["my_stars"] is None and anonymous["predicted_stars"] is None
    assert anonymous["genres"] == ["Crime", "Drama"] and anonymous["average_stars"] == 5.0
    assert world.client("owner").get("/api/v1/movies/608/").json()["my_stars"] == 5
    assert world.client("other").get("/api/v1/movies/608/").json()["my_stars"] is None


def test_unknown_movies_are_404_with_the_error_body(world):
    client = world.client("anonymous")
    assert "999" in assert_error(client.get("/api/v1/movies/999/"), 404, "not_found")["message"]
    assert_error(client.get("/api/v1/movies/999/similar/"), 404)
    assert_error(client.get(f"/api/v1/movies/{2**70}/"), 404)  # beyond any database integer: still a 404


def test_similar_movies_best_first(world):
    response = world.client("anonymous").get("/api/v1/movies/608/similar/", {"limit": 1})
    assert response.json() == [{"movie": response.json()[0]["movie"], "similarity": 0.8}]
    assert response.json()[0]["movie"]["title"] == "Heat (1995)"
    assert world.client("anonymous").get("/api/v1/movies/1/similar/").json() == []
    assert_error(world.client("anonymous").get("/api/v1/movies/608/similar/", {"limit": 0}), 400)


def test_genres(world):
    response = world.client("anonymous").get("/api/v1/genres/")
    assert [genre["name"] for genre in response.json()] == ["Comedy", "Crime", "Drama"]
