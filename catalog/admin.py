from datetime import UTC, datetime

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import Genre, Movie, MovieGenre, Rating, Release, User
from .scale import current_scale
from .services import validate_stars


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "movielens_id", "gender", "age", "occupation", "zip_code", "is_staff"]
    list_filter = ["is_staff", "is_superuser", "gender", "age", "occupation"]
    search_fields = ["username", "email", "zip_code", "=movielens_id"]
    ordering = ["id"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        ("MovieLens", {"fields": ["movielens_id", "gender", "age", "occupation", "zip_code"]}),
    ]


class MovieGenreInline(admin.TabularInline):
    model = MovieGenre
    extra = 0


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
    list_display = ["title", "year", "movielens_id", "genre_names"]
    list_filter = ["genres", "year"]
    search_fields = ["title", "=movielens_id"]
    inlines = [MovieGenreInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("genres")

    @admin.display(description="genres")
    def genre_names(self, movie: Movie) -> str:
        return ", ".join(g.name for g in movie.genres.all())


class RatingForm(forms.ModelForm):
    class Meta:
        model = Rating
        fields = ["user", "movie", "stars", "timestamp"]

    def clean_stars(self):
        """The catalogue's scale, as on the site and the API (ML-1M: whole stars 1-5)."""
        return validate_stars(self.cleaned_data["stars"], scale=current_scale())


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    form = RatingForm
    list_display = ["user", "movie", "stars", "rated_at"]
    list_filter = ["stars"]
    search_fields = ["user__username", "movie__title"]
    list_select_related = ["user", "movie"]
    raw_id_fields = ["user", "movie"]
    show_full_result_count = False  # a million rows: skip the second COUNT(*)

    @admin.display(description="rated at", ordering="timestamp")
    def rated_at(self, rating: Rating):
        return datetime.fromtimestamp(rating.timestamp, tz=UTC)


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    """Written by import_movielens; shown, not edited."""

    list_display = ["name", "format", "half_stars", "imported_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
