from django.contrib import admin
from django.urls import include, path

from catalog import views as catalog_views

admin.site.site_header = "moviesite administration"
admin.site.site_title = "moviesite admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(("moviesite.api.urls", "api"))),  # REST API, schema and docs (first: resolved fastest)
    # --- the site people use (templates/) ---
    path("accounts/signup/", catalog_views.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("catalog.urls")),
    path("", include("recommender.urls")),
]

# JSON error pages under /api/ (DEBUG off); Django's own elsewhere.
handler400 = "moviesite.api.errors.handler400"
handler403 = "moviesite.api.errors.handler403"
handler404 = "moviesite.api.errors.handler404"
handler500 = "moviesite.api.errors.handler500"
