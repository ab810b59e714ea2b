"""/api/: the v1 endpoints of each app, tokens, health, the schema and its Swagger UI; a JSON 404 for the rest."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import errors, health, root, tokens

v1 = [
    path("", root.ApiRoot.as_view(), name="root"),
    path("auth/token/", tokens.AuthToken.as_view(), name="auth-token"),
    path("health/", health.Health.as_view(), name="health"),
    path("", include("catalog.api.urls")),
    path("", include("recommender.api.urls")),
]

urlpatterns = [
    path("", root.ApiIndex.as_view(), name="index"),
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^", errors.api_not_found),  # anything else under /api/: the JSON 404, even with DEBUG on
]
