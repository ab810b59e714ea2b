from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("movies/", views.movie_list, name="movie_list"),
    path("movies/<int:movielens_id>/", views.movie_detail, name="movie_detail"),
    path("movies/<int:movielens_id>/rate/", views.rate, name="rate"),
    path("movies/<int:movielens_id>/unrate/", views.unrate, name="unrate"),
    path("me/ratings/", views.my_ratings, name="my_ratings"),
    path("welcome/", views.onboarding_genres, name="onboarding_genres"),
    path("welcome/movies/", views.onboarding_movies, name="onboarding_movies"),
]
