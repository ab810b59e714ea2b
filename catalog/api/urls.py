from django.urls import path

from . import views

urlpatterns = [
    path("movies/", views.MovieList.as_view(), name="movie-list"),
    path("movies/<int:movie_id>/", views.MovieDetail.as_view(), name="movie-detail"),
    path("movies/<int:movie_id>/similar/", views.SimilarMovies.as_view(), name="movie-similar"),
    path("genres/", views.GenreList.as_view(), name="genre-list"),
    path("me/", views.Me.as_view(), name="me"),
    path("me/ratings/", views.MyRatings.as_view(), name="my-ratings"),
    path("me/ratings/<int:movie_id>/", views.MyRating.as_view(), name="my-rating"),
]
