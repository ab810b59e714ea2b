"""The OpenAPI schema and the Swagger UI, whose files the site serves itself."""

import re

import yaml
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema

ERRORS = {"401", "429", "500"}


def test_the_schema_is_valid_and_lists_errors_for_every_operation(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    operations = [(path, method, op) for path, ops in schema["paths"].items() for method, op in ops.items()]
    assert len(operations) == 24
    for path, method, operation in operations:
        codes = set(operation["responses"])
        assert "500" in codes, (path, method)
        for code in codes - {"200", "201", "202", "204"}:
            content = operation["responses"][code]["content"]["application/json"]["schema"]
            assert "Error" in str(content), (path, method, code)
        if path != "/api/v1/health/":
            assert codes >= ERRORS, (path, method, codes)
    links = schema["paths"]["/api/v1/me/ratings/"]["post"]["responses"]["201"]["links"]
    assert {link["operationId"] for link in links.values()} == {
        "me_ratings_retrieve", "me_ratings_update", "me_ratings_partial_update", "me_ratings_destroy"
    }  # fmt: skip


def test_a_newcomer_finds_the_endpoints_from_the_root(client, db):
    assert client.get("/api/").json()["versions"] == {"v1": "/api/v1/"}
    root = client.get("/api/v1/").json()
    assert root["endpoints"]["movies"] == "/api/v1/movies/" and root["docs"] == "/api/docs/"
    assert all(client.options(url).status_code in (200, 401) for url in root["endpoints"].values())


def test_the_schema_is_served_as_yaml_too(client, db):
    assert "openapi" in yaml.safe_load(client.get("/api/schema/").content)


def test_swagger_ui_uses_the_sites_own_files(client, db):
    page = client.get("/api/docs/").content.decode()
    assert "/api/schema/" in page
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(src.startswith("/static/") for src in sources), sources
    assert not re.search(r"https?://(?!127\.0\.0\.1|localhost)", page)  # no CDN
    for src in sources:
        assert finders.find(src.removeprefix("/static/")), src
