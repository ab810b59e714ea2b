"""Pages for movies and ratings: browse and search, a movie, rate and unrate, my ratings, sign up, onboarding.

Thin: the selectors read, the services write (and validate the stars); a view picks the template.
"""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from recommender.selectors import predicted_stars, similar_movies

from . import onboarding, selectors, services
from .forms import FavouriteGenresForm, MovieFilterForm, SignupForm
from .models import Movie
from .scale import current_scale, format_stars

MOVIES_PER_PAGE = 25
RATINGS_PER_PAGE = 50


def movie_list(request: HttpRequest) -> HttpResponse:
    form = MovieFilterForm(request.GET or None)
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400  # the page says which field and why; the list shows what the valid fields ask for
    data = form.cleaned_data if form.is_bound else {}
    filters = selectors.MovieFilters(
        query=data.get("q") or "",
        genre=data.get("genre") or "",
        decade=data.get("decade"),
        sort=data.get("sort") or selectors.DEFAULT_SORT,
    )
    page = Paginator(selectors.movie_list(filters=filters), MOVIES_PER_PAGE).get_page(request.GET.get("page"))
    mine = selectors.stars_by_movie(user=request.user, movie_ids=[movie.pk for movie in page])
    rows = [(movie, mine.get(movie.pk)) for movie in page]
    context = {"form": form, "page": page, "rows": rows, "filters": filters, "sorts": selectors.SORTS}
    return render(request, "catalog/movie_list.html", context, status=status)


def movie_detail(request: HttpRequest, movielens_id: int) -> HttpResponse:
    movie = _movie_or_404(movielens_id)
    similar = similar_movies(movie=movie, limit=10)
    mine = selectors.stars_by_movie(user=request.user, movie_ids=[movie.pk, *(item.movie.pk for item in similar)])
    histogram = selectors.star_histogram(movie=movie, scale=current_scale())
    most = max(histogram.values()) or 1
    context = {
        "movie": movie,
        "my_stars": mine.get(movie.pk),
        "predicted": predicted_stars(user=request.user, movie=movie),
        "histogram": [(stars, count, round(100 * count / most)) for stars, count in histogram.items()],
        "similar": [(item, mine.get(item.movie.pk)) for item in similar],
    }
    return render(request, "catalog/movie_detail.html", context)


@login_required
@require_POST
def rate(request: HttpRequest, movielens_id: int) -> HttpResponse:
    """Rate a movie as the signed-in person (never anyone else: the user comes from the session only)."""
    movie = _movie_or_404(movielens_id)
    try:
        rating, created = services.rating_set(user=request.user, movie=movie, stars=request.POST.get("stars"))
    except ValidationError as error:
        messages.error(request, f"{movie.title} was not rated: {' '.join(error.messages)}.")
    else:
        verb = "Rated" if created else "Changed your rating of"
        messages.success(request, f"{verb} {movie.title}: {_stars(rating.stars)}.")
    return _back(request, movie)


@login_required
@require_POST
def unrate(request: HttpRequest, movielens_id: int) -> HttpResponse:
    movie = _movie_or_404(movielens_id)
    if services.rating_delete(user=request.user, movie=movie):
        messages.success(request, f"Removed your rating of {movie.title}.")
    else:
        messages.info(request, f"You had not rated {movie.title}.")
    return _back(request, movie)


@login_required
def my_ratings(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.user_ratings(user=request.user), RATINGS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "catalog/my_ratings.html", {"page": page})


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("recommender:for_you")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}! Pick a few genres you like to get started.")
        return redirect("catalog:onboarding_genres")
    return render(request, "registration/signup.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def onboarding_genres(request: HttpRequest) -> HttpResponse:
    initial = {"genres": onboarding.favourite_genres(user=request.user)}
    form = FavouriteGenresForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        chosen = onboarding.favourite_genres_set(user=request.user, genres=form.cleaned_data["genres"])
        names = ", ".join(genre.name for genre in chosen) or "no genre in particular"
        messages.success(request, f"Saved your genres: {names}. Now rate a few movies you have seen.")
        return redirect("catalog:onboarding_movies")
    return render(request, "catalog/onboarding_genres.html", {"form": form})


@login_required
def onboarding_movies(request: HttpRequest) -> HttpResponse:
    movies = onboarding.onboarding_movies(genres=onboarding.favourite_genres(user=request.user))
    mine = selectors.stars_by_movie(user=request.user, movie_ids=[movie.pk for movie in movies])
    rows = [(movie, mine.get(movie.pk)) for movie in movies]
    return render(request, "catalog/onboarding_movies.html", {"rows": rows, "rated": len(mine)})


def _movie_or_404(movielens_id: int) -> Movie:
    try:
        return selectors.movie_get(movielens_id=movielens_id)
    except Movie.DoesNotExist:
        raise Http404(f"No movie with MovieLens id {movielens_id}.") from None


def _back(request: HttpRequest, movie: Movie) -> HttpResponse:
    """Back to the page the form was on (``next``, when it is one of ours), else the movie's page."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = reverse("catalog:movie_detail", args=[movie.movielens_id])
    return HttpResponseRedirect(target)


def _stars(stars: int | float) -> str:
    return f"{format_stars(stars)} star{'s' if stars != 1 else ''}"
