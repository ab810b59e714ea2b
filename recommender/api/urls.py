from django.urls import path

from . import views

urlpatterns = [
    path("me/recommendations/", views.MyRecommendations.as_view(), name="my-recommendations"),
    path("users/<int:user_id>/recommendations/", views.UserRecommendations.as_view(), name="user-recommendations"),
    path("training-runs/", views.TrainingRuns.as_view(), name="training-run-list"),
    path("training-runs/<int:pk>/", views.TrainingRunDetail.as_view(), name="training-run-detail"),
    path("model-versions/", views.ModelVersions.as_view(), name="model-version-list"),
    path("model-versions/<int:pk>/", views.ModelVersionDetail.as_view(), name="model-version-detail"),
    path("model-versions/<int:pk>/activate/", views.ModelVersionActivate.as_view(), name="model-version-activate"),
]
