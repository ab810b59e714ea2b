from django.urls import path

from . import staff_views, views

app_name = "recommender"

urlpatterns = [
    path("", views.for_you, name="for_you"),
    path("for-you/list/", views.for_you_list, name="for_you_list"),
    path("for-you/status/", views.for_you_status, name="for_you_status"),
    path("hits/", views.hits, name="hits"),
    path("hits/<int:movielens_id>/", views.hits, name="hits_for"),
    # staff pages (recommender/staff_views.py)
    path("dashboard/", staff_views.dashboard, name="dashboard"),
    path("dashboard/wordcloud/<slug:kind>.png", staff_views.wordcloud, name="dashboard_wordcloud"),
    path("staff/retrain/", staff_views.retrain, name="staff_retrain"),
    path("staff/runs/", staff_views.runs, name="staff_runs"),
    path("staff/runs/<int:run_id>/", staff_views.run_detail, name="staff_run"),
    path("staff/runs/<int:run_id>/status/", staff_views.run_status, name="staff_run_status"),
    path("staff/versions/<int:version_id>/activate/", staff_views.activate, name="staff_activate"),
    path("staff/hits/", staff_views.hits_explorer, name="staff_hits"),
]
