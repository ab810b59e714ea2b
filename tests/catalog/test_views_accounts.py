"""Accounts at /accounts/: sign up, log in (rate-limited by django-axes), log out, password change and reset."""

import re

import pytest
from django.core import mail
from django.core.management import call_command

from catalog.models import User
from tests.web_fixtures import client_for, csrf_token

pytestmark = pytest.mark.django_db
PASSWORD = "a long enough password 1"  # the owner fixture's


def test_signup_creates_logs_in_and_starts_onboarding():
    client = client_for(None, csrf=True)
    token = csrf_token(client, "/accounts/signup/")
    response = client.post(
        "/accounts/signup/",
        {"username": "newbie", "email": "", "password1": "tulip garden 42", "password2": "tulip garden 42",
         "csrfmiddlewaretoken": token},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/welcome/"
    user = User.objects.get(username="newbie")
    assert user.has_usable_password() and user.movielens_id is None
    assert client.get("/welcome/").context["user"] == user


def test_signup_says_what_is_wrong(owner):
    response = client_for(None).post("/accounts/signup/", {"username": "alice", "password1": "x", "password2": "y"})
    assert response.status_code == 200
    assert "A user with that username already exists." in response.text
    assert "The two password fields didn" in response.text
    assert '<label for="id_username">' in response.text


def test_signup_refuses_a_post_without_csrf_token():
    response = client_for(None, csrf=True).post(
        "/accounts/signup/", {"username": "x", "password1": "tulip garden 42", "password2": "tulip garden 42"}
    )
    assert response.status_code == 403 and not User.objects.filter(username="x").exists()


def test_signed_in_people_skip_the_signup(owner):
    assert client_for(owner).get("/accounts/signup/")["Location"] == "/"


def test_login_with_csrf_then_logout_by_post_only(owner):
    client = client_for(None, csrf=True)
    token = csrf_token(client, "/accounts/login/")
    data = {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token}
    response = client.post("/accounts/login/", data)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/me/ratings/").status_code == 200
    assert client.get("/accounts/logout/").status_code == 405
    token = csrf_token(client, "/me/ratings/")
    assert client.post("/accounts/logout/", {"csrfmiddlewaretoken": token})["Location"] == "/"
    assert client.get("/me/ratings/").status_code == 302


def test_login_refuses_a_post_without_csrf_token(owner):
    response = client_for(None, csrf=True).post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403


def fail_login(client, username: str, times: int, address: str = "10.0.0.1"):
    response = None
    for _ in range(times):
        response = client.post("/accounts/login/", {"username": username, "password": "wrong"}, REMOTE_ADDR=address)
    return response


def test_failed_logins_lock_that_name_from_that_address_and_say_when_to_retry(owner, other, settings):
    client = client_for(None)
    assert fail_login(client, "alice", settings.AXES_FAILURE_LIMIT - 1).status_code == 200
    locked = fail_login(client, "alice", 1)
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.text
    assert re.search(r"Try again after \d\d:\d\d UTC</strong> \(15 minutes from now\)", locked.text)
    # Even the right password waits out the lockout from that address ...
    right = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1")
    assert right.status_code == 429
    # ... but the same person from another address, and another name from this one, are not locked.
    elsewhere = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9")
    assert elsewhere.status_code == 302
    bob = client_for(None).post(
        "/accounts/login/", {"username": "bob", "password": "a long enough password 2"}, REMOTE_ADDR="10.0.0.1"
    )
    assert bob.status_code == 302


def test_password_change_needs_login_and_csrf(owner):
    assert client_for(None).get("/accounts/password_change/")["Location"].startswith("/accounts/login/")
    client = client_for(owner, csrf=True)
    data = {"old_password": PASSWORD, "new_password1": "violet meadow 77", "new_password2": "violet meadow 77"}
    assert client.post("/accounts/password_change/", data).status_code == 403
    token = csrf_token(client, "/accounts/password_change/")
    response = client.post("/accounts/password_change/", {**data, "csrfmiddlewaretoken": token}, follow=True)
    assert "Your password was changed." in response.text
    owner.refresh_from_db()
    assert owner.check_password("violet meadow 77")


def test_password_reset_mails_a_link_that_sets_a_new_password(owner):
    owner.email = "alice@example.org"
    owner.save()
    client = client_for(None, csrf=True)
    token = csrf_token(client, "/accounts/password_reset/")
    response = client.post("/accounts/password_reset/", {"email": "alice@example.org", "csrfmiddlewaretoken": token})
    assert response["Location"] == "/accounts/password_reset/done/"
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]  # Django swaps the token for a session value first
    token = csrf_token(client, form_url)
    data = {"new_password1": "amber valley 31", "new_password2": "amber valley 31", "csrfmiddlewaretoken": token}
    assert client.post(form_url, data)["Location"] == "/accounts/reset/done/"
    owner.refresh_from_db()
    assert owner.check_password("amber valley 31")


def test_imported_users_keep_unusable_passwords_but_the_demo_user_gets_one(tiny_dataset, capsys, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("import_movielens", str(tiny_dataset), verbosity=0)
    demo = User.objects.filter(movielens_id__isnull=False).order_by("movielens_id").first()
    call_command("ensure_demo_user", "--movielens-id", str(demo.movielens_id))
    line = capsys.readouterr().out.strip()
    username, password = re.fullmatch(r"username: (\S+)  password: (\S+)", line).groups()
    assert username == demo.username == f"ml{demo.movielens_id}"
    demo.refresh_from_db()
    assert demo.check_password(password)
    others = User.objects.filter(movielens_id__isnull=False).exclude(pk=demo.pk)
    assert others.exists() and not any(user.has_usable_password() for user in others)


def test_the_test_clients_login_still_works(owner):
    client = client_for(None)
    assert client.login(username="alice", password=PASSWORD)
    assert client.get("/me/ratings/").status_code == 200
    stranger = client_for(None)
    assert not stranger.login(username="alice", password="wrong")
    assert stranger.get("/me/ratings/").status_code == 302
