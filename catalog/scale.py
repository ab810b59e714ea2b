"""The catalogue's star scale: whole stars 1-5 (ML-1M) or half stars 0.5-5 (ML-10M and later releases).

The import records the release in ``Release``; the site, the API and the admin validate people's ratings
against it, so an ML-1M catalogue keeps refusing 4.5.
"""

from dataclasses import dataclass

from .models import HALF_STEP_STARS, Release, plain_stars


@dataclass(frozen=True)
class StarScale:
    half_stars: bool

    @property
    def choices(self) -> tuple[int | float, ...]:
        """The values a person may give, lowest first (ints where whole: 1, 1.5, 2, ...)."""
        if self.half_stars:
            return tuple(plain_stars(value) for value in HALF_STEP_STARS)
        return tuple(range(1, 6))

    @property
    def lowest(self) -> int | float:
        return self.choices[0]

    def describe(self) -> str:
        return "a number from 0.5 to 5 in half steps" if self.half_stars else "a whole number from 1 to 5"


WHOLE_STARS = StarScale(half_stars=False)
HALF_STARS = StarScale(half_stars=True)


def current_scale() -> StarScale:
    """The scale of the release the catalogue holds (one query); whole stars when nothing was imported."""
    half = Release.objects.filter(pk=1).values_list("half_stars", flat=True).first()
    return HALF_STARS if half else WHOLE_STARS


def record_release(*, name: str, format: str, half_stars: bool) -> Release:
    """Remember what the import loaded. Once the catalogue holds half stars it keeps the half-star scale."""
    previous = Release.objects.filter(pk=1).first()
    half = half_stars or bool(previous and previous.half_stars)
    release, _ = Release.objects.update_or_create(pk=1, defaults={"name": name, "format": format, "half_stars": half})
    return release


def format_stars(value: float | int | None) -> str:
    """4 -> "4", 4.5 -> "4.5" (never "4.0")."""
    return "" if value is None else str(plain_stars(value))
