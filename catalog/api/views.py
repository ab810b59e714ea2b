"""Catalogue endpoints: thin views over catalog.selectors (reads) and catalog.services (writes)."""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors, services
from catalog.models import Movie, Rating
from catalog.scale import current_scale
from moviesite.api.errors import Conflict
from moviesite.api.schema import error
from recommender import selectors as recommender_selectors

from . import serializers as s


def _movie_or_404(movie_id: int) -> Movie:
    try:
        return selectors.movie_get(movielens_id=movie_id)
    except Movie.DoesNotExist:
        raise NotFound(f"No movie with id {movie_id}.") from None


def _query(serializer_class: type, request: Request) -> dict:
    # A plain dict, not the QueryDict: DRF would take "?year=" as "not given", yet it is not a valid year.
    query = serializer_class(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    return query.validated_data


@extend_schema(
    tags=["movies"],
    parameters=[s.MovieQuerySerializer],
    responses={200: s.MovieSerializer(many=True), 400: error("A query parameter is not valid.")},
)
class MovieList(generics.ListAPIView):
    """Movies, searched by title (accent- and case-insensitive, as on the site), filtered and ordered."""

    permission_classes = [AllowAny]
    serializer_class = s.MovieSerializer

    def list(self, request: Request, *args, **kwargs) -> Response:
        # The same for everyone who asks (nothing personal in it): each page is kept MOVIE_LIST_CACHE_SECONDS,
        # so its ratings counts and averages may lag that long; a movie's own page is always current.
        key = "api:movies:" + hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
        body = cache.get(key)
        if body is None:
            body = super().list(request, *args, **kwargs).data  # a bad query raises: errors are not kept
            cache.set(key, body, timeout=settings.MOVIE_LIST_CACHE_SECONDS)
        return Response(body)

    def get_queryset(self):
        q = _query(s.MovieQuerySerializer, self.request)
        filters = selectors.MovieFilters(
            query=q.get("search", ""), genre=q.get("genre", ""), year=q.get("year"), decade=q.get("decade"),
            sort=q["ordering"],
        )  # fmt: skip
        return selectors.movie_list(filters=filters)


@extend_schema(tags=["movies"], responses={200: s.MovieDetailSerializer})
class MovieDetail(APIView):
    """One movie: its figures and star histogram; for a signed-in user, their stars and the predicted stars."""

    permission_classes = [AllowAny]

    def get(self, request: Request, movie_id: int) -> Response:
        movie = _movie_or_404(movie_id)
        movie.histogram = selectors.star_histogram(movie=movie, scale=current_scale())
        movie.my_stars = selectors.stars_by_movie(user=request.user, movie_ids=[movie.pk]).get(movie.pk)
        movie.predicted_stars = recommender_selectors.predicted_stars(user=request.user, movie=movie)
        return Response(s.MovieDetailSerializer(movie).data)


@extend_schema(
    tags=["movies"],
    parameters=[s.SimilarQuerySerializer],
    responses={200: s.SimilarMovieSerializer(many=True), 400: error("limit is not valid.")},
)
class SimilarMovies(APIView):
    """The movies nearest to this one in the active model's movie space, best first (empty without a model)."""

    permission_classes = [AllowAny]

    def get(self, request: Request, movie_id: int) -> Response:
        limit = _query(s.SimilarQuerySerializer, request)["limit"]
        items = recommender_selectors.similar_movies(movie=_movie_or_404(movie_id), limit=limit)
        return Response(s.SimilarMovieSerializer(items, many=True).data)


@extend_schema(tags=["movies"])
class GenreList(generics.ListAPIView):
    """Every genre, by name."""

    permission_classes = [AllowAny]
    serializer_class = s.GenreSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.genre_list()


@extend_schema(tags=["me"], responses={200: s.MeSerializer})
class Me(APIView):
    """The signed-in user."""

    def get(self, request: Request) -> Response:
        request.user.ratings_count = selectors.user_ratings(user=request.user).count()
        return Response(s.MeSerializer(request.user).data)


def _rating_path(movie_id: int) -> str:
    return reverse("api:my-rating", kwargs={"movie_id": movie_id})


class MyRatings(generics.ListAPIView):
    """Your ratings, newest first; POST rates a movie you have not rated yet."""

    serializer_class = s.RatingSerializer

    def get_queryset(self):
        return selectors.user_ratings(user=self.request.user)

    @extend_schema(tags=["me"], operation_id="me_ratings_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["me"],
        operation_id="me_ratings_create",
        request=s.RatingCreateSerializer,
        responses={
            201: OpenApiResponse(s.RatingSerializer, description="Rated; the `Location` header is its address."),
            400: error("Stars not 1-5, or no such movie: `fields` says which."),
            409: error("You rated this movie already: `location` is that rating's address (PUT or PATCH it)."),
        },
    )
    def post(self, request: Request) -> Response:
        data = _query_body(s.RatingCreateSerializer, request)
        try:
            movie = selectors.movie_get(movielens_id=data["movie"])
        except Movie.DoesNotExist:
            raise ValidationError({"movie": [f"No movie with id {data['movie']}."]}) from None
        # 409 rather than an update: POST makes a new rating, and a client that believes it has none (a retried
        # or duplicated request, a second device) learns where the existing one is instead of silently
        # overwriting it. Changing a rating is PUT/PATCH on that address, which is idempotent.
        try:
            rating = services.rating_create(user=request.user, movie=movie, stars=data["stars"])
        except services.AlreadyRated:
            raise _already_rated(movie) from None
        movie.refresh_from_db(fields=["ratings_count", "stars_sum"])  # counted with this rating
        rating.movie = movie
        path = _rating_path(movie.movielens_id)
        body = s.RatingSerializer(rating).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": request.build_absolute_uri(path)})


def _already_rated(movie: Movie) -> Conflict:
    path = _rating_path(movie.movielens_id)
    return Conflict(f"You rated movie {movie.movielens_id} already; change it with PUT or PATCH {path}.", location=path)


def _query_body(serializer_class: type, request: Request) -> dict:
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    return body.validated_data


def _my_rating(request: Request, movie_id: int) -> Rating:
    rating = selectors.user_ratings(user=request.user).filter(movie__movielens_id=movie_id).first()
    if rating is None:
        raise NotFound(f"You have not rated movie {movie_id}.")
    return rating


class MyRating(APIView):
    """Your rating of one movie (addressed by the movie's id): read, change, remove."""

    @extend_schema(tags=["me"], operation_id="me_ratings_retrieve", responses={200: s.RatingSerializer})
    def get(self, request: Request, movie_id: int) -> Response:
        return Response(s.RatingSerializer(_my_rating(request, movie_id)).data)

    @extend_schema(
        tags=["me"], operation_id="me_ratings_update", request=s.RatingUpdateSerializer,
        responses={200: s.RatingSerializer},
    )  # fmt: skip
    def put(self, request: Request, movie_id: int) -> Response:
        return self._update(request, movie_id)

    @extend_schema(
        tags=["me"], operation_id="me_ratings_partial_update", request=s.RatingUpdateSerializer,
        responses={200: s.RatingSerializer},
    )  # fmt: skip
    def patch(self, request: Request, movie_id: int) -> Response:
        return self._update(request, movie_id)

    def _update(self, request: Request, movie_id: int) -> Response:
        rating = _my_rating(request, movie_id)
        stars = _query_body(s.RatingUpdateSerializer, request)["stars"]
        services.rating_set(user=request.user, movie=rating.movie, stars=stars)
        return Response(s.RatingSerializer(_my_rating(request, movie_id)).data)

    @extend_schema(tags=["me"], operation_id="me_ratings_destroy", responses={204: None})
    def delete(self, request: Request, movie_id: int) -> Response:
        if not services.rating_delete(user=request.user, movie=_my_rating(request, movie_id).movie):
            raise NotFound(f"You have not rated movie {movie_id}.")
        return Response(status=status.HTTP_204_NO_CONTENT)
