"""One error body for every 4xx and 5xx answer under /api/:

    {"error": {"code": "not_found", "message": "No movie with id 42.", "fields": {}}}

``fields`` maps a field (or query parameter) name to its messages for 400 answers, ``{}`` otherwise. A 409 adds
``location``, the address of the resource that is in the way. DRF's exceptions, Django's ``ValidationError``
(raised by the services), ``Http404``, ``PermissionDenied`` and anything unexpected all end up here, as do
Django's own 404/500 handlers for /api/ paths and unknown /api/ addresses: never an HTML page or a traceback.
"""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

log = logging.getLogger(__name__)

API_PREFIX = "/api/"


class Conflict(exceptions.APIException):
    """409: the resource exists already (or a run is in progress); ``location`` is its address."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The resource exists already."

    def __init__(self, detail: str, *, location: str) -> None:
        super().__init__(detail)
        self.location = location


def error_body(code: str, message: str, fields: dict | None = None, **extra: Any) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}, **extra}}


def _field_messages(detail: Any) -> list[str]:
    """A field's messages as a flat list of strings (nested serializers' errors joined by their path)."""
    if isinstance(detail, dict):
        return [f"{key}: {msg}" for key, value in detail.items() for msg in _field_messages(value)]
    if isinstance(detail, list):
        return [msg for item in detail for msg in _field_messages(item)]
    return [str(detail)]


def _validation_body(detail: Any) -> dict:
    if isinstance(detail, dict):
        fields = {name: _field_messages(value) for name, value in detail.items() if name != "non_field_errors"}
        general = _field_messages(detail.get("non_field_errors", []))
    else:
        fields, general = {}, _field_messages(detail)
    message = "; ".join(general) or "Invalid input: " + "; ".join(
        f"{name}: {' '.join(msgs)}" for name, msgs in fields.items()
    )
    return error_body("invalid", message, fields)


def exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception a view raises becomes the one error body."""
    if isinstance(exc, DjangoValidationError):  # from a service: the same messages the pages show
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    response = drf_exception_handler(exc, context)
    if response is None:  # not an API error: a bug. Logged with its traceback; the client gets no detail.
        log.exception("unhandled exception in %s", context.get("view").__class__.__name__, exc_info=exc)
        return Response(
            error_body("server_error", "Something went wrong on our side; it has been logged."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(exc.detail)
        return response
    if isinstance(exc, Http404):
        code, message = "not_found", str(exc) or "Not found."
    elif isinstance(exc, PermissionDenied):
        code, message = "permission_denied", str(exc) or "You do not have permission to perform this action."
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        message = (
            str(exc.detail) if not isinstance(exc.detail, (dict, list)) else "; ".join(_field_messages(exc.detail))
        )
    else:
        code, message = "error", str(exc)
    extra = {"location": exc.location} if isinstance(exc, Conflict) else {}
    response.data = error_body(str(code), message, **extra)
    return response


def _api_suggestion(path: str) -> str:
    if not path.endswith("/"):
        try:
            resolve(path + "/")
            return f" Did you mean {path}/ (with the slash)?"
        except Resolver404:
            pass
    return " The endpoints are listed at /api/docs/."


@csrf_exempt  # an unknown address is a 404 whatever the method; DRF's views are exempt (they check sessions)
def api_not_found(request: HttpRequest, exception: Exception | None = None, **kwargs: Any) -> JsonResponse:
    """Unknown /api/ addresses (the catch-all route, and Django's 404 handler for /api/ paths)."""
    message = f"There is no API endpoint at {request.path}." + _api_suggestion(request.path)
    return JsonResponse(error_body("not_found", message), status=404)


def api_server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(error_body("server_error", "Something went wrong on our side; it has been logged."), status=500)


def handler404(request: HttpRequest, exception: Exception) -> Any:
    if request.path.startswith(API_PREFIX):
        return api_not_found(request, exception)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request: HttpRequest) -> Any:
    if request.path.startswith(API_PREFIX):
        return api_server_error(request)
    from django.views.defaults import server_error

    return server_error(request)


def handler403(request: HttpRequest, exception: Exception) -> Any:
    if request.path.startswith(API_PREFIX):
        return JsonResponse(error_body("permission_denied", str(exception) or "Forbidden."), status=403)
    from django.views.defaults import permission_denied

    return permission_denied(request, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> Any:
    """CSRF_FAILURE_VIEW: JSON under /api/, Django's page elsewhere."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse(error_body("permission_denied", f"CSRF Failed: {reason}"), status=403)
    from django.views.csrf import csrf_failure as page

    return page(request, reason)


def handler400(request: HttpRequest, exception: Exception) -> Any:
    if request.path.startswith(API_PREFIX):
        return JsonResponse(error_body("bad_request", "Bad request."), status=400)
    from django.views.defaults import bad_request

    return bad_request(request, exception)
