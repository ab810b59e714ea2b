"""Forms of the site's pages: sign up, favourite genres, the movie list's filters."""

from django import forms
from django.contrib.auth.forms import UserCreationForm

from .models import User
from .selectors import SORTS, decades, genre_list


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text="Optional: only used to reset a forgotten password.")

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class FavouriteGenresForm(forms.Form):
    genres = forms.ModelMultipleChoiceField(
        queryset=genre_list(),
        widget=forms.CheckboxSelectMultiple,
        label="Genres you like",
        help_text="Pick a few; you can skip this.",
        required=False,
    )


class MovieFilterForm(forms.Form):
    """The movie list's query string: q, genre, decade, sort. Checks the values only; the selector filters."""

    q = forms.CharField(required=False, max_length=100, label="Title")
    genre = forms.ChoiceField(required=False, label="Genre")
    decade = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Decade")
    sort = forms.ChoiceField(required=False, choices=list(SORTS.items()), label="Sort by")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["genre"].choices = [("", "Any genre")] + [(g.name, g.name) for g in genre_list()]
        self.fields["decade"].choices = [("", "Any decade")] + [(str(d), f"{d}s") for d in decades()]
