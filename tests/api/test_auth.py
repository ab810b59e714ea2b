"""Tokens: obtain with a user name and password, use, revoke; throttling of the token endpoint and of anonymous
clients."""

from rest_framework.authtoken.models import Token

from .conftest import PASSWORD, assert_error


def test_a_program_gets_a_token_uses_it_and_revokes_it(world):
    client = world.client("anonymous")
    response = client.post("/api/v1/auth/token/", {"username": "owner", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    again = client.post("/api/v1/auth/token/", {"username": "owner", "password": PASSWORD}, format="json")
    assert again.json()["token"] == token  # one token per user until revoked

    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/me/").json()["username"] == "owner"
    assert client.delete("/api/v1/auth/token/").status_code == 204
    assert_error(client.get("/api/v1/me/"), 401, "authentication_failed")


def test_wrong_or_missing_credentials(world):
    client = world.client("anonymous")
    wrong = client.post("/api/v1/auth/token/", {"username": "owner", "password": "guess"}, format="json")
    assert "do not match" in assert_error(wrong, 401, "authentication_failed")["message"]
    assert set(assert_error(client.post("/api/v1/auth/token/", {}, format="json"), 400)["fields"]) == {
        "username",
        "password",
    }
    assert_error(client.delete("/api/v1/auth/token/"), 401, "not_authenticated")


def test_unauthenticated_requests_are_told_how_to_authenticate(world):
    response = world.client("anonymous").get("/api/v1/me/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_an_unknown_token_is_refused_even_where_no_login_is_needed(world):
    client = world.client("anonymous")
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert_error(client.get("/api/v1/movies/"), 401, "authentication_failed")


def test_the_token_endpoint_is_throttled_per_client(world, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth_token": "3/min"}}  # fmt: skip
    client = world.client("anonymous")
    for _ in range(3):
        client.post("/api/v1/auth/token/", {"username": "owner", "password": "guess"}, format="json")
    refused = client.post("/api/v1/auth/token/", {"username": "owner", "password": PASSWORD}, format="json")
    assert assert_error(refused, 429)["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0


def test_anonymous_and_user_rates(world, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "2/min", "user": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    anonymous, owner = world.client("anonymous"), world.client("owner")
    assert [anonymous.get("/api/v1/genres/").status_code for _ in range(3)] == [200, 200, 429]
    assert [owner.get("/api/v1/genres/").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert world.client("other").get("/api/v1/genres/").status_code == 200  # counted per user


def test_a_token_deleted_elsewhere_or_a_deactivated_user_stops_working_at_once(world):
    """Tokens' users are cached; deleting the token (the admin) or saving the user drops the entry."""
    owner, other = world.client("owner"), world.client("other")
    assert owner.get("/api/v1/me/").status_code == other.get("/api/v1/me/").status_code == 200  # now cached
    Token.objects.filter(user=world.owner).delete()
    assert_error(owner.get("/api/v1/me/"), 401, "authentication_failed")
    world.other.is_active = False
    world.other.save()
    assert_error(other.get("/api/v1/me/"), 401, "authentication_failed")


def test_too_many_wrong_passwords_lock_the_user_name_out_with_the_error_body(world, settings):
    """The site's django-axes lockout applies to the token endpoint too, answered as JSON."""
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth_token": "1000/min", "anon": "1000/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    client = world.client("anonymous")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/api/v1/auth/token/", {"username": "other", "password": "guess"}, format="json")
    locked = client.post("/api/v1/auth/token/", {"username": "other", "password": PASSWORD}, format="json")
    assert assert_error(locked, 429, "locked_out")["message"]
    assert int(locked["Retry-After"]) > 0
    fine = client.post("/api/v1/auth/token/", {"username": "owner", "password": PASSWORD}, format="json")
    assert fine.status_code == 200  # another user name from the same address is not locked
