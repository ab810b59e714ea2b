"""The pages in a real browser without a model: search with an accent, a keyboard-only login and rating,
axe-core on the main pages, screenshots at desktop and phone width."""

import re

import pytest
from django.core.management import call_command

from catalog.models import Genre, Movie, MovieGenre, User
from catalog.services import rating_set
from tests.browser.conftest import DESKTOP, PHONE, assert_accessible, axe_violations, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "keyboard only 1234"


@pytest.fixture
def catalogue(tiny_dataset):
    call_command("import_movielens", str(tiny_dataset), verbosity=0)
    amelie = Movie.objects.create(movielens_id=4973, title="Amélie (Fabuleux destin d'Amélie Poulain, Le) (2001)")
    for name in ("Comedy", "Romance"):
        MovieGenre.objects.create(movie=amelie, genre=Genre.objects.get_or_create(name=name)[0])
    person = User.objects.create_user(username="kim", password=PASSWORD)
    for movie in Movie.objects.order_by("-ratings_count")[:3]:
        rating_set(user=person, movie=movie, stars=4)
    return person


def test_search_with_an_accent(new_page, catalogue):
    page = new_page()
    page.goto("/movies/")
    page.get_by_label("Title").fill("amelie")
    with page.expect_navigation(url="**/movies/?q=amelie*"):
        page.get_by_label("Title").press("Enter")
    rows = page.locator("table.movies tbody tr")
    assert rows.count() == 1
    assert "Amélie (Fabuleux destin d'Amélie Poulain, Le) (2001)" in rows.first.inner_text()
    screenshot(page, "movies-search-amelie")


def focus_by_tab(page, selector: str, limit: int = 40) -> None:
    """Press Tab until the element matching ``selector`` has the focus (as a keyboard user would)."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{selector} never got the focus in {limit} presses of Tab")


def focus_ring(page) -> str:
    return page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")


def test_keyboard_only_login_and_rating(new_page, catalogue):
    page = new_page()
    page.goto("/accounts/login/")
    focus_by_tab(page, "#id_username")
    assert focus_ring(page) != "none"  # the focus is visible
    page.keyboard.type("kim")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    screenshot(page, "login-keyboard", full_page=False)
    with page.expect_navigation(url=re.compile(r"^http://[^/]+/$")):
        page.keyboard.press("Enter")
    assert "kim" in page.locator("header nav").inner_text()

    movie = Movie.objects.get(movielens_id=4973)
    page.goto(f"/movies/{movie.movielens_id}/")
    focus_by_tab(page, f"#stars-{movie.movielens_id}")
    page.keyboard.press("ArrowDown")  # "Rate…" -> 1 star
    page.keyboard.press("ArrowDown")  # -> 2 stars
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Rate"
    assert focus_ring(page) != "none"
    screenshot(page, "movie-keyboard-focus", full_page=False)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Rated Amélie (Fabuleux destin d'Amélie Poulain, Le) (2001): 2 stars." in page.inner_text(".messages")
    assert movie.ratings.get(user=catalogue).stars == 2


ANONYMOUS_PAGES = {
    "home-anonymous": "/",
    "movies": "/movies/?genre=Comedy&sort=average",
    "movie": "/movies/1/",
    "login": "/accounts/login/",
    "signup": "/accounts/signup/",
    "password-reset": "/accounts/password_reset/",
    "not-found": "/movies/999999/",
}
PERSONAL_PAGES = {
    "for-you-no-model": "/",
    "my-ratings": "/me/ratings/",
    "onboarding-genres": "/welcome/",
    "onboarding-movies": "/welcome/movies/",
    "movie-signed-in": "/movies/1/",
    "movies-signed-in": "/movies/",
    "password-change": "/accounts/password_change/",
}


def test_main_pages_have_no_serious_accessibility_violations(new_page, catalogue, axe_report):
    page = new_page()
    for name, url in ANONYMOUS_PAGES.items():
        page.goto(url)
        screenshot(page, name)
        assert_accessible(page, name, axe_report)
    log_in(page, "kim", PASSWORD)
    for name, url in PERSONAL_PAGES.items():
        page.goto(url)
        screenshot(page, name)
        assert_accessible(page, name, axe_report)


def test_phone_width(new_page, catalogue, axe_report):
    page = new_page(PHONE)
    log_in(page, "kim", PASSWORD)
    for name, url in {"phone-movies": "/movies/", "phone-for-you": "/", "phone-movie": "/movies/1/"}.items():
        page.goto(url)
        # Nothing wider than the screen: no sideways scrolling on a phone.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, name, full_page=False)
        assert_accessible(page, name, axe_report)
    assert DESKTOP["width"] > PHONE["width"]


def test_every_page_works_without_javascript(browser, live_server, catalogue):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    log_in(page, "kim", PASSWORD)
    page.goto("/movies/1/")
    page.get_by_label("Your stars for").select_option("5")
    with page.expect_navigation():
        page.get_by_role("button", name="Rate Toy Story (1995)").click()
    assert "Rated Toy Story (1995): 5 stars." in page.inner_text(".messages")
    context.close()


def test_axe_does_find_violations_where_there_are_some(new_page):
    """The accessibility check can fail: a page with an unlabelled field and an image without text does."""
    page = new_page()
    page.set_content('<html><body><img src="x.png"><input type="text"><button></button></body></html>')
    ids = {violation["id"] for violation in axe_violations(page)}
    assert {"image-alt", "button-name"} <= ids
