from django.apps import AppConfig


class RecommenderConfig(AppConfig):
    name = "recommender"

    def ready(self) -> None:
        from . import cache  # noqa: F401  (drops a user's cached list when their ratings change)
