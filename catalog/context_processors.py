from django.http import HttpRequest

from catalog.services import STARS


def site(request: HttpRequest) -> dict:
    """What every page's rating controls need: the star values."""
    return {"star_choices": list(STARS)}
