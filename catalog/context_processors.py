from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from catalog.scale import current_scale


def site(request: HttpRequest) -> dict:
    """What every page's rating controls need: the star values of the catalogue's scale (read only when a
    page shows a rating control, so pages without one make no query for it)."""
    return {"star_choices": SimpleLazyObject(lambda: list(current_scale().choices))}
