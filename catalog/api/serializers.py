"""Shapes of the catalogue's API: thin, validation beyond JSON types comes from catalog.services."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import HALF_STEP_STARS, Genre, Movie, Rating, User, plain_stars
from catalog.scale import current_scale, format_stars
from catalog.selectors import DEFAULT_SORT, SORTS
from catalog.services import validate_stars

MAX_ID = 2**31 - 1
# Addresses in bodies are paths on this site ("/api/v1/movies/1/"): the same for every host name it is served under.
PATH_SCHEMA = {"type": "string", "format": "uri-reference"}


class StrictIntegerField(serializers.IntegerField):
    """A JSON number only: "5" (a string) is refused, as the schema says integer."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(
    {
        "type": "number",
        "minimum": 0.5,
        "maximum": 5,
        "multipleOf": 0.5,
        "description": "Whole stars 1-5 where the catalogue is ML-1M; 0.5-5 in half steps for the later releases.",
    }
)
class StarsField(serializers.Field):
    """Stars on the catalogue's scale, checked by ``catalog.services.validate_stars`` (the site's rule too)."""

    default_error_messages = {"type": "stars must be a JSON number ({scale}), not {value!r}"}

    def to_internal_value(self, data) -> int | float:
        scale = current_scale()
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("type", value=data, scale=scale.describe())
        try:
            return validate_stars(data, scale=scale)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def to_representation(self, value: int | float) -> int | float:
        return plain_stars(value)


class GenreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Genre
        fields = ["id", "name"]


class MovieSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="movielens_id", read_only=True, help_text="The MovieLens id.")
    genres = serializers.SerializerMethodField()
    average_stars = serializers.FloatField(read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Movie
        fields = ["id", "url", "title", "year", "genres", "ratings_count", "average_stars"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_genres(self, movie: Movie) -> list[str]:
        return [genre.name for genre in movie.genres.all()]  # prefetched by the selectors

    @extend_schema_field(PATH_SCHEMA)
    def get_url(self, movie: Movie) -> str:
        return reverse("api:movie-detail", kwargs={"movie_id": movie.movielens_id})


@extend_schema_field(
    {
        "type": "object",
        "description": "number of ratings per star: keys 1-5, and the halves (0.5, 1.5, ...) on a half-star scale",
        "properties": {format_stars(v): {"type": "integer"} for v in HALF_STEP_STARS},
        "required": [str(n) for n in range(1, 6)],
    }
)
class HistogramField(serializers.DictField):
    def to_representation(self, value: dict[int | float, int]) -> dict[str, int]:
        return {format_stars(stars): count for stars, count in value.items()}


class MovieDetailSerializer(MovieSerializer):
    histogram = HistogramField(read_only=True)
    my_stars = StarsField(read_only=True, allow_null=True, help_text="Your rating; null if none.")
    predicted_stars = serializers.FloatField(
        read_only=True, allow_null=True, help_text="The stars the model expects you to give; null without a model."
    )

    class Meta(MovieSerializer.Meta):
        fields = [*MovieSerializer.Meta.fields, "histogram", "my_stars", "predicted_stars"]
        read_only_fields = fields


class MovieQuerySerializer(serializers.Serializer):
    search = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Words of the title (any case, accents optional)."
    )
    genre = serializers.CharField(required=False, allow_blank=True, max_length=32, help_text="A genre name.")
    year = serializers.IntegerField(required=False, min_value=1800, max_value=2200)
    decade = serializers.IntegerField(required=False, min_value=1800, max_value=2200, help_text="1990: 1990-1999.")
    ordering = serializers.ChoiceField(
        choices=list(SORTS),
        required=False,
        default=DEFAULT_SORT,
        help_text="; ".join(f"{k}: {v}" for k, v in SORTS.items()),
    )


class SimilarQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, default=20, min_value=1, max_value=100)


class SimilarMovieSerializer(serializers.Serializer):
    movie = MovieSerializer()
    similarity = serializers.FloatField(help_text="Cosine in the model's movie space, -1 to 1.")


class MeSerializer(serializers.ModelSerializer):
    ratings_count = serializers.IntegerField(read_only=True)
    email = serializers.CharField(read_only=True, help_text="Empty when not given.")
    gender = serializers.ChoiceField(
        User.Gender.choices, allow_blank=True, read_only=True, help_text="Empty: not given."
    )

    class Meta:
        model = User
        fields = [
            "id", "username", "first_name", "last_name", "email", "is_staff",
            "movielens_id", "gender", "age", "occupation", "ratings_count",
        ]  # fmt: skip
        read_only_fields = fields


class RatingSerializer(serializers.ModelSerializer):
    movie = MovieSerializer(read_only=True)
    stars = StarsField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Rating
        fields = ["url", "movie", "stars", "timestamp"]
        read_only_fields = ["url", "movie", "timestamp"]
        extra_kwargs = {"timestamp": {"help_text": "When it was rated, in Unix seconds."}}

    @extend_schema_field(PATH_SCHEMA)
    def get_url(self, rating: Rating) -> str:
        return reverse("api:my-rating", kwargs={"movie_id": rating.movie.movielens_id})


class RatingCreateSerializer(serializers.Serializer):
    movie = StrictIntegerField(min_value=1, max_value=MAX_ID, help_text="The movie's id.")
    stars = StarsField()


class RatingUpdateSerializer(serializers.Serializer):
    stars = StarsField()
