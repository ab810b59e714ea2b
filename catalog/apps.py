from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Movie catalogue"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the Rating receivers)
