"""The seed's "was it a hit?" page: a person sees their own report, staff anyone's; the sentence as the seed
words it, the same as `manage.py hits` prints."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from catalog.models import User
from recommender.hits import HitReport, hit_reports, hit_sentence
from tests.pipeline.conftest import small_dataset, trained_catalogue  # noqa: F401  (module-scoped training)
from tests.web_fixtures import client_for

SENTENCE = re.compile(
    r"User (\d+), (?:recommended movie '(.+)' \(Genre: (.+)\) was a hit!"
    r"|held-out movie '(.+)' \(Genre: (.+)\) was not in the top 10: a miss\.)"
)


@pytest.mark.django_db
def test_sentence_in_the_seeds_words(movies):
    fast_times = movies[1968]  # any movie; the words are what matter
    hit = HitReport(held_out=fast_times, top=[fast_times], hit=True)
    assert hit_sentence(label=450, report=hit) == (
        "User 450, recommended movie 'Breakfast Club, The (1985)' (Genre: Comedy|Drama) was a hit!"
    )
    miss = HitReport(held_out=fast_times, top=[], hit=False)
    assert hit_sentence(label=450, report=miss) == (
        "User 450, held-out movie 'Breakfast Club, The (1985)' (Genre: Comedy|Drama) was not in the top 10: a miss."
    )
    nothing = HitReport(None, [], False)
    assert hit_sentence(label="alice", report=nothing) == "User alice has no held-out movie in this run."


@pytest.mark.django_db
def test_without_a_model_the_page_says_so(owner):
    response = client_for(owner).get("/hits/")
    assert response.status_code == 200 and "No model has been trained yet." in response.text


@pytest.mark.django_db
def test_anonymous_visitors_go_to_the_login(client):
    assert client.get("/hits/")["Location"].startswith("/accounts/login/")
    assert client.get("/hits/450/")["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_staff_get_a_clear_error_for_a_bad_user_id(staff):
    response = client_for(staff).get("/hits/", {"user": "abc"})
    assert response.status_code == 400 and response.context["error"] == "'abc' is not a MovieLens user id."
    assert client_for(staff).get("/hits/999999/").status_code == 404


@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.django_db
def test_the_report_for_oneself_and_for_staff(trained_catalogue):  # noqa: F811
    person, stranger = User.objects.filter(movielens_id__isnull=False).order_by("movielens_id")[:2]
    report = hit_reports(version=trained_catalogue.version, user_pks=[person.pk])[0]
    assert report.held_out is not None and len(report.top) == 10

    own = client_for(person).get("/hits/")
    assert own.status_code == 200
    sentence = SENTENCE.search(own.text.replace("&#x27;", "'"))
    assert sentence and sentence.group(1) == str(person.movielens_id)
    assert (("was a hit!" in sentence.group(0)) == report.hit) and report.held_out.title in sentence.group(0)
    assert [m.pk for m in own.context["report"].top] == [m.pk for m in report.top]
    assert client_for(person).get(f"/hits/{person.movielens_id}/").status_code == 200

    assert client_for(person).get(f"/hits/{stranger.movielens_id}/").status_code == 404  # not theirs
    other_site_user = User.objects.create_user(username="visitor", password=None)
    assert client_for(other_site_user).get(f"/hits/{person.movielens_id}/").status_code == 404

    staff = User.objects.create_user(username="boss", password=None, is_staff=True)
    by_staff = client_for(staff).get("/hits/", {"user": person.movielens_id})
    assert by_staff.status_code == 200 and by_staff.context["sentence"] == own.context["sentence"]

    out = StringIO()
    call_command("hits", "--users", str(person.movielens_id), stdout=out)
    assert own.context["sentence"] in out.getvalue()
