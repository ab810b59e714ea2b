from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "moviesite.api"
    label = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        from . import authentication  # noqa: F401  (drops cached tokens when a token or its user changes)
