"""Predicted stars from the active version's explicit-rating model (filled in by issue 6's work)."""


def predict_stars(*, user_id: int, movie_ids: list[int]) -> dict[int, float]:
    return {}
