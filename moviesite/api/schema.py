"""OpenAPI schema (drf-spectacular): every operation lists the error answers it can give, all with the one
error body (component ``Error``), and the rating and training-run operations carry links for stateful clients
and schemathesis (create a rating, then read, update and delete it at the address the answer names)."""

from typing import Any

from drf_spectacular import openapi
from rest_framework.permissions import AllowAny

ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_COMPONENT = {
    "type": "object",
    "description": "The body of every 4xx and 5xx answer.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "machine-readable, e.g. not_found, invalid, conflict"},
                "message": {"type": "string", "description": "what went wrong and what to do, for a person"},
                "fields": {
                    "type": "object",
                    "description": "field or query parameter -> messages (400 answers); empty otherwise",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
                "location": {
                    "type": "string",
                    "description": "409 only: the address of the resource in the way (the existing rating, the "
                    "running training run)",
                },
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}

DESCRIPTIONS = {
    "400": "Invalid input (a body field or a query parameter): `fields` says which and why.",
    "401": "No credentials, or a token that is not valid (header `WWW-Authenticate: Token`).",
    "403": "Signed in but not allowed (staff only), or a session request without its CSRF token.",
    "404": "No such object, or a page past the end.",
    "415": "The body is not JSON.",
    "429": "Too many requests: wait for the seconds in the `Retry-After` header.",
    "500": "A bug on the server (logged); no detail is given.",
}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def error(description: str) -> dict:
    """A response entry with the error body, for ``extend_schema(responses=...)``."""
    from drf_spectacular.utils import OpenApiResponse

    return OpenApiResponse(ERROR_REF, description=description)


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, plus the error answers each operation can give (unless the view lists them)."""

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            responses.setdefault(code, {"description": DESCRIPTIONS[code], "content": self._error_content()})
        return dict(sorted(responses.items()))

    def _error_content(self) -> dict:
        return {"application/json": {"schema": ERROR_REF}}

    def _error_codes(self) -> list[str]:
        view, codes = self.view, ["500"]
        if view.get_authenticators():
            codes.append("401")  # a bad token is refused even where no login is needed
        allow_any = all(isinstance(p, AllowAny) for p in view.get_permissions())
        if not allow_any or (self.method in UNSAFE and view.get_authenticators()):
            codes.append("403")
        if self.method in {"POST", "PUT", "PATCH"}:
            codes += ["400", "415"]
        paginated = self.method == "GET" and self._is_list_view() and getattr(view, "pagination_class", None)
        if "{" in self.path or paginated:
            codes.append("404")
        if paginated:
            codes.append("400")
        if view.get_throttles():
            codes.append("429")
        return codes


def add_links(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """POSTPROCESSING_HOOK: OpenAPI links from the operations that create things to those that use them."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_COMPONENT
    paths = result.get("paths", {})
    rating = {"movie_id": "$response.body#/movie/id"}
    _link(paths, "/api/v1/me/ratings/", "post", "201", {
        "GetRating": ("me_ratings_retrieve", rating),
        "UpdateRating": ("me_ratings_update", rating),
        "PartialUpdateRating": ("me_ratings_partial_update", rating),
        "DeleteRating": ("me_ratings_destroy", rating),
    })  # fmt: skip
    run = {"id": "$response.body#/id"}
    _link(paths, "/api/v1/training-runs/", "post", "202", {"GetTrainingRun": ("training_runs_retrieve", run)})
    first_run = {"id": "$response.body#/results/0/id"}
    _link(paths, "/api/v1/training-runs/", "get", "200", {"GetTrainingRun": ("training_runs_retrieve", first_run)})
    first_version = {"id": "$response.body#/results/0/id"}
    _link(paths, "/api/v1/model-versions/", "get", "200", {
        "GetModelVersion": ("v1_model_versions_retrieve", first_version),
        "ActivateModelVersion": ("v1_model_versions_activate_create", first_version),
    })  # fmt: skip
    first_movie = {"movie_id": "$response.body#/results/0/id"}
    _link(paths, "/api/v1/movies/", "get", "200", {
        "GetMovie": ("v1_movies_retrieve", first_movie),
        "GetSimilarMovies": ("v1_movies_similar_list", first_movie),
        "GetMyRating": ("me_ratings_retrieve", first_movie),
    })  # fmt: skip
    _link(paths, "/api/v1/me/", "get", "200", {
        "GetMyRecommendations": ("v1_users_recommendations_retrieve", {"user_id": "$response.body#/id"}),
    })  # fmt: skip
    return result


def _link(paths: dict, path: str, method: str, code: str, links: dict[str, tuple[str, dict]]) -> None:
    response = paths.get(path, {}).get(method, {}).get("responses", {}).get(code)
    if response is not None:
        response["links"] = {
            name: {"operationId": operation_id, "parameters": parameters}
            for name, (operation_id, parameters) in links.items()
        }
