from datetime import UTC, datetime

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import Genre, Movie, MovieGenre, Rating, User


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


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["user", "movie", "stars", "rated_at"]
    list_filter = ["stars"]
    search_fields = ["user__username", "movie__title"]
    list_select_related = ["user", "movie"]
    raw_id_fields = ["user", "movie"]
    show_full_result_count = False  # a million rows: skip the second COUNT(*)

    @admin.display(description="rated at", ordering="timestamp")
    def rated_at(self, rating: Rating):
        return datetime.fromtimestamp(rating.timestamp, tz=UTC)
