"""GET /api/v1/health/: can this site serve? The database, the Celery broker, at least one worker answering a
ping, and the model version being served with its age. 200 when the three checks pass, 503 otherwise (the body
then also carries the error object). No login, no throttle (load balancers poll it) and nothing secret: no
addresses, host names or versions of software."""

import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from recommender.versions import active_version

from .errors import error_body


class CheckSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    ms = serializers.FloatField(help_text="How long the check took.")
    detail = serializers.CharField(help_text="What failed, in general terms; empty when ok.")


class ActiveVersionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    activated_at = serializers.DateTimeField(allow_null=True)
    age_seconds = serializers.FloatField(allow_null=True)


class HealthChecksSerializer(serializers.Serializer):
    database = CheckSerializer()
    broker = CheckSerializer()
    worker = CheckSerializer()


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "unavailable"])
    checks = HealthChecksSerializer()
    active_version = ActiveVersionSerializer(allow_null=True)


def _timed(check: Callable[[], str]) -> dict:
    started = time.perf_counter()
    try:
        detail = check()
        ok = not detail
    except Exception as exc:  # any failure is the answer, not a crash
        ok, detail = False, type(exc).__name__
    return {"ok": ok, "ms": round((time.perf_counter() - started) * 1000, 1), "detail": detail}


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return ""


def _broker() -> str:
    from worker.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return ""


def _worker() -> str:
    from worker.celery import app

    timeout = settings.HEALTH_PING_TIMEOUT
    answers = app.control.ping(timeout=timeout, limit=1)
    return "" if answers else f"no worker answered a ping within {timeout:g} s"


def _version() -> dict | None:
    version = active_version()
    if version is None:
        return None
    age = (timezone.now() - version.activated_at).total_seconds() if version.activated_at else None
    return {"id": version.pk, "activated_at": version.activated_at, "age_seconds": age}


class Health(APIView):
    """Whether the site can serve: database, broker and a worker; the active model version and its age."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(
        tags=["health"],
        responses={
            200: HealthSerializer,
            503: OpenApiResponse(
                {"allOf": [{"$ref": "#/components/schemas/Error"}, {"$ref": "#/components/schemas/Health"}]},
                description="A check failed: the health report, with the error object beside it.",
            ),
        },
    )
    def get(self, request: Request) -> Response:
        checks = {"database": _timed(_database), "broker": _timed(_broker)}
        checks["worker"] = (
            _timed(_worker) if checks["broker"]["ok"] else {"ok": False, "ms": 0.0, "detail": "no broker"}
        )
        version = None
        if checks["database"]["ok"]:
            try:
                version = _version()
            except Exception:  # the database went away in between: already reported
                version = None
        healthy = all(check["ok"] for check in checks.values())
        body = HealthSerializer(
            {"status": "ok" if healthy else "unavailable", "checks": checks, "active_version": version}
        ).data
        if healthy:
            return Response(body)
        failed = ", ".join(name for name, check in checks.items() if not check["ok"])
        return Response({**error_body("unavailable", f"Not ready to serve: {failed} failed."), **body}, status=503)
