from django.urls import path

from . import views

app_name = "recommender"

urlpatterns = [
    path("", views.for_you, name="for_you"),
    path("for-you/list/", views.for_you_list, name="for_you_list"),
    path("for-you/status/", views.for_you_status, name="for_you_status"),
    path("hits/", views.hits, name="hits"),
    path("hits/<int:movielens_id>/", views.hits, name="hits_for"),
]
