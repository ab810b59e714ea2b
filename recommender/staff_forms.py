"""The retrain form of the staff pages: the parameters that matter, each left blank for the variant's default."""

from typing import Any

from django import forms

from .parameters import DEFAULT_VARIANT, VARIANTS, default_parameters, resolve_parameters

# The form's fields and the parameter each sets (factors: the width of the embeddings).
FIELDS = {"epochs": "epochs", "factors": "embedding_dim", "lr": "lr", "negatives": "negatives", "seed": "seed"}


def defaults_by_variant() -> dict[str, dict[str, Any]]:
    """Each variant's default for every field of the form (None where it does not apply)."""
    table = {}
    for variant in VARIANTS:
        params = default_parameters(variant)
        table[variant] = {field: params.get(key) for field, key in FIELDS.items()}
    return table


class RetrainForm(forms.Form):
    variant = forms.ChoiceField(
        choices=[(v, v) for v in VARIANTS], initial=DEFAULT_VARIANT, help_text="the model family to train"
    )
    epochs = forms.IntegerField(required=False, min_value=1, max_value=500, label="Epochs")
    factors = forms.IntegerField(required=False, min_value=1, max_value=1024, label="Factors (embedding size)")
    lr = forms.FloatField(required=False, min_value=1e-6, max_value=1.0, label="Learning rate")
    negatives = forms.IntegerField(
        required=False, min_value=1, max_value=100, label="Negatives per positive", help_text="NCF family only"
    )
    seed = forms.IntegerField(required=False, min_value=0, max_value=2**31 - 1, label="Random seed")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        defaults = defaults_by_variant()
        for field in FIELDS:
            shown = ", ".join(f"{variant} {values[field]}" for variant, values in defaults.items() if values[field])
            note = self.fields[field].help_text
            self.fields[field].help_text = f"blank: the variant's default ({shown})" + (f"; {note}" if note else "")
            self.fields[field].widget.attrs["placeholder"] = str(defaults[DEFAULT_VARIANT][field])
        self.fields["lr"].widget.attrs["step"] = "any"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        applies = default_parameters(cleaned["variant"])
        for field, key in FIELDS.items():
            if cleaned.get(field) is not None and key not in applies:
                self.add_error(
                    field, f"{self.fields[field].label} does not apply to {cleaned['variant']}: leave it blank."
                )
        if self.errors:
            return cleaned
        try:
            self.parameters = resolve_parameters(self.overrides())
        except ValueError as exc:
            raise forms.ValidationError(f"These parameters cannot be trained: {exc}.") from exc
        return cleaned

    def overrides(self) -> dict[str, Any]:
        values = {"variant": self.cleaned_data["variant"]}
        applies = default_parameters(values["variant"])
        for field, key in FIELDS.items():
            if self.cleaned_data.get(field) is not None and key in applies:
                values[key] = self.cleaned_data[field]
        return values
