"""A new person's whole first visit in a real browser, against the live server, a real Celery worker on the
default queue and a model trained for the test: sign up, onboard, rate ten movies, see the personal list
appear, rate another and see it change. Then the seed's hit view for a MovieLens user."""

import re

import pytest
from django.core.management import call_command

from catalog.models import Movie, Rating, User
from catalog.signals import ratings_changed
from recommender.selectors import predicted_stars
from tests.browser.conftest import assert_accessible, log_in, screenshot
from tests.pipeline.conftest import small_dataset, train_options  # noqa: F401  (generated ML-1M-format data)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.spark, pytest.mark.django_db(transaction=True)]
PASSWORD = "popcorn evening 2024"
STARS = ["5", "4", "5", "3", "4", "2", "5", "4", "3", "5"]


@pytest.fixture
def trained(small_dataset, settings, tmp_path):  # noqa: F811
    settings.ARTIFACTS_DIR = tmp_path / "runs"
    call_command("import_movielens", str(small_dataset), verbosity=0)
    call_command("train", *train_options(), verbosity=0)


def list_titles(page) -> list[str]:
    return page.locator("#recommendation-list > li .title").all_inner_texts()


def wait_for_personal_list(page, timeout_ms: int = 90_000) -> None:
    """Wait until the list carries a personal reason (swapped in by the page's script, no reload)."""
    page.wait_for_function(
        """() => [...document.querySelectorAll('#recommendation-list .reason')]
                 .some(p => !p.textContent.trim().startsWith('Popular with everyone'))
             && document.querySelector('.list-state').dataset.updating === 'false'""",
        timeout=timeout_ms,
    )


def test_sign_up_onboard_rate_and_get_a_personal_list(new_page, trained, start_worker, axe_report):
    start_worker(queues="default")
    page = new_page()
    page.goto("/")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign up, it's free").click()
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    screenshot(page, "journey-1-signup")
    with page.expect_navigation(url="**/welcome/"):
        page.get_by_role("button", name="Create my account").click()

    for genre in ("Comedy", "Drama", "Thriller"):
        page.get_by_label(genre, exact=True).check()
    screenshot(page, "journey-2-genres")
    with page.expect_navigation(url="**/welcome/movies/"):
        page.get_by_role("button", name="Next: rate a few movies").click()
    assert "Saved your genres: Comedy, Drama, Thriller." in page.inner_text(".messages")

    items = page.locator("ol.onboarding > li")
    assert items.count() >= 10
    for position, stars in enumerate(STARS):
        item = page.locator("ol.onboarding > li").nth(position)
        item.locator("select[name=stars]").select_option(stars)
        with page.expect_navigation():
            item.get_by_role("button", name=re.compile("^Rate ")).click()
        assert f"<strong>{position + 1}</strong> rated so far" in page.content()
    person = User.objects.get(username="newcomer")
    assert Rating.objects.filter(user=person).count() == 10
    screenshot(page, "journey-3-rated-ten")

    with page.expect_navigation(url=re.compile(r"^http://[^/]+/$")):
        page.get_by_role("button", name="Done: show my list").click()
    assert len(list_titles(page)) == 10
    screenshot(page, "journey-4-for-you-first")
    if not ratings_changed.has_listeners():
        pytest.skip(
            "the recommender does not listen to ratings_changed on this branch yet (issue 4's refresh): the "
            "sign-up, onboarding and ten ratings passed; the personal list's appearance is not checked"
        )

    wait_for_personal_list(page)
    first = list_titles(page)
    screenshot(page, "journey-5-for-you-personal")
    assert_accessible(page, "for-you-personal", axe_report)

    top = page.locator("#recommendation-list > li").first
    rated_title = first[0]
    top.locator("select[name=stars]").select_option("5")
    with page.expect_navigation(url=re.compile(r"^http://[^/]+/$")):
        top.get_by_role("button", name=re.compile("^Rate ")).click()
    assert rated_title not in list_titles(page)  # dropped at once, before the refresh
    screenshot(page, "journey-6-for-you-updating")
    wait_for_personal_list(page)
    page.wait_for_function("() => document.getElementById('for-you').dataset.refreshed", timeout=90_000)
    second = list_titles(page)
    assert second != first and rated_title not in second and len(second) == 10
    screenshot(page, "journey-7-for-you-changed")

    # A recommended movie's page: the stars we expect this person to give, and similar movies.
    with page.expect_navigation():
        page.locator("#recommendation-list > li .title a").first.click()
    movie = Movie.objects.get(movielens_id=int(page.url.rstrip("/").rsplit("/", 1)[1]))
    expected = predicted_stars(user=person, movie=movie)  # the page shows what the recommender predicts
    if expected is None:
        assert "You have not rated it." in page.inner_text("main")
    else:
        assert f"We think you'll rate it {expected:.1f} stars." in page.inner_text("main")
    assert page.locator("ol.cards > li").count() > 0
    screenshot(page, "journey-8-movie-predicted-similar")
    assert_accessible(page, "movie-predicted-similar", axe_report)


def test_the_seeds_hit_view_in_the_browser(new_page, trained, axe_report, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    person = User.objects.filter(movielens_id__isnull=False).order_by("movielens_id").first()
    call_command("ensure_demo_user", "--movielens-id", str(person.movielens_id), verbosity=0)
    password = (tmp_path / f"{person.username}-password.txt").read_text().strip()
    page = new_page()
    log_in(page, person.username, password)
    page.goto("/hits/")
    verdict = page.inner_text(".verdict")
    assert re.fullmatch(
        rf"User {person.movielens_id}, (recommended movie '.+' \(Genre: .+\) was a hit!"
        r"|held-out movie '.+' \(Genre: .+\) was not in the top 10: a miss\.)",
        verdict.strip(),
    ), verdict
    assert page.locator("ol.cards > li").count() == 10
    screenshot(page, "hits")
    assert_accessible(page, "hits", axe_report)
