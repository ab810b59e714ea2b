from django.apps import AppConfig


class RecommenderConfig(AppConfig):
    name = "recommender"

    def ready(self) -> None:
        # receivers: catalog's ratings_changed schedules a refresh; cache: drops the user's cached list at once;
        # dashboard: the staff dashboard's cached aggregates go stale.
        from . import cache, dashboard, receivers  # noqa: F401
