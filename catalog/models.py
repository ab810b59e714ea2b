"""The MovieLens catalogue: people, movies, genres and ratings."""

import unicodedata

from django.contrib.auth.models import AbstractUser
from django.db import models


def search_key(text: str) -> str:
    """Case- and accent-free form of a title or a query: "Amélie" and "AMELIE" both give "amelie"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


HALF_STEP_STARS = tuple(step / 2 for step in range(1, 11))  # 0.5, 1.0, ..., 5.0: every value a rating may hold


def plain_stars(value: float | int | None) -> float | int | None:
    """4.0 as 4 and 4.5 as 4.5: whole stars read and print as they always did (ML-1M's "4 stars")."""
    if value is None:
        return None
    value = float(value)
    return int(value) if value.is_integer() else value


class StarsField(models.FloatField):
    """Stars in half steps, stored as a float (halves are exact in binary floating point, and sums of them
    too), read back as an int when whole: ML-1M's ratings behave exactly as before, ML-10M's 4.5 is 4.5."""

    def from_db_value(self, value, expression, connection):
        return plain_stars(value)

    def to_python(self, value):
        return plain_stars(super().to_python(value))


class User(AbstractUser):
    """A person who rates movies: a site account, with MovieLens demographics when imported."""

    class Gender(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"

    class AgeBucket(models.IntegerChoices):
        UNDER_18 = 1, "Under 18"
        AGE_18_24 = 18, "18-24"
        AGE_25_34 = 25, "25-34"
        AGE_35_44 = 35, "35-44"
        AGE_45_49 = 45, "45-49"
        AGE_50_55 = 50, "50-55"
        AGE_56_PLUS = 56, "56+"

    class Occupation(models.IntegerChoices):
        OTHER = 0, "other or not specified"
        ACADEMIC = 1, "academic/educator"
        ARTIST = 2, "artist"
        CLERICAL = 3, "clerical/admin"
        STUDENT = 4, "college/grad student"
        CUSTOMER_SERVICE = 5, "customer service"
        HEALTH_CARE = 6, "doctor/health care"
        EXECUTIVE = 7, "executive/managerial"
        FARMER = 8, "farmer"
        HOMEMAKER = 9, "homemaker"
        K12_STUDENT = 10, "K-12 student"
        LAWYER = 11, "lawyer"
        PROGRAMMER = 12, "programmer"
        RETIRED = 13, "retired"
        SALES = 14, "sales/marketing"
        SCIENTIST = 15, "scientist"
        SELF_EMPLOYED = 16, "self-employed"
        ENGINEER = 17, "technician/engineer"
        CRAFTSMAN = 18, "tradesman/craftsman"
        UNEMPLOYED = 19, "unemployed"
        WRITER = 20, "writer"

    movielens_id = models.PositiveIntegerField(unique=True, null=True, blank=True)
    gender = models.CharField(max_length=1, choices=Gender.choices, blank=True)
    age = models.PositiveSmallIntegerField(choices=AgeBucket.choices, null=True, blank=True)
    occupation = models.PositiveSmallIntegerField(choices=Occupation.choices, null=True, blank=True)
    zip_code = models.CharField(max_length=20, blank=True)

    def __str__(self) -> str:
        return self.username


class Genre(models.Model):
    name = models.CharField(max_length=32, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Movie(models.Model):
    movielens_id = models.PositiveIntegerField(unique=True)
    title = models.CharField(max_length=255, db_index=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    genres = models.ManyToManyField(Genre, through="MovieGenre", related_name="movies")
    # search_key(title): accent- and case-free search that works the same on SQLite and PostgreSQL.
    search_title = models.CharField(max_length=255, blank=True, editable=False)
    # Kept by catalog.stats whenever the movie's ratings change: lists sort and show them without aggregating.
    ratings_count = models.PositiveIntegerField(default=0, db_index=True)
    stars_sum = models.FloatField(default=0)  # half stars add up to halves: exact in a float

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.search_title = search_key(self.title)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "title" in update_fields:
            kwargs["update_fields"] = {*update_fields, "search_title"}
        super().save(*args, **kwargs)

    @property
    def average_stars(self) -> float | None:
        return self.stars_sum / self.ratings_count if self.ratings_count else None


class MovieGenre(models.Model):
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE)
    genre = models.ForeignKey(Genre, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["movie", "genre"], name="unique_movie_genre")]

    def __str__(self) -> str:
        return f"{self.movie_id}:{self.genre_id}"


class Rating(models.Model):
    # No single-column indexes: (user, movie) and (movie, timestamp) below lead with these columns.
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="ratings", db_index=False)
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="ratings", db_index=False)
    stars = StarsField(help_text="0.5-5 in half steps; the catalogue's Release says which steps people may give.")
    timestamp = models.BigIntegerField(help_text="When it was rated, in Unix seconds (as in MovieLens).")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "movie"], name="one_rating_per_user_and_movie"),
            models.CheckConstraint(condition=models.Q(stars__in=HALF_STEP_STARS), name="stars_in_half_steps"),
        ]
        indexes = [
            models.Index(fields=["user", "timestamp"], name="rating_user_time"),
            models.Index(fields=["movie", "timestamp"], name="rating_movie_time"),
        ]

    def __str__(self) -> str:
        return f"{self.user} rated {self.movie} {self.stars}*"


class FavouriteGenre(models.Model):
    """A genre a person picked when they joined (onboarding): what their first movies to rate are drawn from."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="favourite_genres")
    genre = models.ForeignKey(Genre, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "genre"], name="one_favourite_per_user_and_genre")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.genre_id}"


class Release(models.Model):
    """Which MovieLens release the catalogue holds, and so its star scale: one row, written by the import.

    Without the row the catalogue is ML-1M's: whole stars 1-5.
    """

    name = models.CharField(max_length=32, help_text='e.g. "ml-1m", "ml-10m", "ml-25m"')
    format = models.CharField(max_length=8, help_text='the files\' format: "ml-1m", "ml-10m" or "csv"')
    half_stars = models.BooleanField(default=False, help_text="ratings go 0.5-5 in half steps (else 1-5 whole)")
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="one_release_row")]

    def __str__(self) -> str:
        return f"{self.name} ({'half stars' if self.half_stars else 'whole stars'})"
