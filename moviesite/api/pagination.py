from rest_framework import pagination
from rest_framework.exceptions import ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=2&page_size=50`` (at most 100 a page). A page or size that is not a positive whole number is a 400
    saying so (DRF would silently use the default size); a page past the end is a 404."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        return min(_positive(self.page_size_query_param, raw, self.max_page_size), self.max_page_size)

    def get_page_number(self, request, paginator) -> str:
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return "1"
        return str(_positive(self.page_query_param, raw, 2**31 - 1))

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        bounds = {self.page_query_param: (1, 2**31 - 1), self.page_size_query_param: (1, self.max_page_size)}
        for parameter in parameters:
            low, high = bounds[parameter["name"]]
            parameter["schema"] = {"type": "integer", "minimum": low, "maximum": high}
        return parameters


def _positive(name: str, raw: str, highest: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= highest or raw.strip() != str(value):
        raise ValidationError({name: [f"must be a whole number from 1 to {highest}, not {raw!r}"]})
    return value
