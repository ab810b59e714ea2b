"""Every endpoint and method, for each role: anonymous, the owner of the data, another user, staff.

A leak would be a role getting a 2xx it should not, or seeing the owner's private data (their ratings, their
list) in any answer; every case checks both. The owner rated Fargo (608) and Toy Story (1) and has a list.
"""

import pytest

from .conftest import ROLES, assert_error

OWNER_ONLY = {"anonymous": 401, "owner": None, "other": None, "staff": None}  # None: the 2xx given below
STAFF_ONLY = {"anonymous": 401, "owner": 403, "other": 403, "staff": None}
ANYONE = {"anonymous": None, "owner": None, "other": None, "staff": None}

# (method, path, body, expected status per role: None means the success status `ok`), ok
CASES = [
    ("get", "/api/", None, ANYONE, 200),
    ("get", "/api/v1/", None, ANYONE, 200),
    ("get", "/api/v1/movies/", None, ANYONE, 200),
    ("get", "/api/v1/movies/608/", None, ANYONE, 200),
    ("get", "/api/v1/movies/608/similar/", None, ANYONE, 200),
    ("get", "/api/v1/genres/", None, ANYONE, 200),
    ("get", "/api/v1/health/", None, {r: 503 for r in ROLES}, 503),  # no worker runs here: still no login asked
    ("get", "/api/v1/me/", None, OWNER_ONLY, 200),
    ("get", "/api/v1/me/ratings/", None, OWNER_ONLY, 200),
    ("post", "/api/v1/me/ratings/", {"movie": 4973, "stars": 4}, OWNER_ONLY, 201),
    # The owner's rating of Fargo: only the owner has it; to anyone else "me/ratings/608/" is their own (none).
    ("get", "/api/v1/me/ratings/608/", None, {**OWNER_ONLY, "other": 404, "staff": 404}, 200),
    ("put", "/api/v1/me/ratings/608/", {"stars": 1}, {**OWNER_ONLY, "other": 404, "staff": 404}, 200),
    ("patch", "/api/v1/me/ratings/608/", {"stars": 1}, {**OWNER_ONLY, "other": 404, "staff": 404}, 200),
    ("delete", "/api/v1/me/ratings/608/", None, {**OWNER_ONLY, "other": 404, "staff": 404}, 204),
    ("get", "/api/v1/me/recommendations/", None, OWNER_ONLY, 200),
    ("get", "/api/v1/users/{owner}/recommendations/", None, {**OWNER_ONLY, "other": 404}, 200),
    ("get", "/api/v1/training-runs/", None, STAFF_ONLY, 200),
    ("post", "/api/v1/training-runs/", {"parameters": {"epochs": 1}}, STAFF_ONLY, 202),
    ("get", "/api/v1/training-runs/{run}/", None, STAFF_ONLY, 200),
    ("get", "/api/v1/model-versions/", None, STAFF_ONLY, 200),
    ("get", "/api/v1/model-versions/{old}/", None, STAFF_ONLY, 200),
    ("post", "/api/v1/model-versions/{old}/activate/", None, STAFF_ONLY, 200),
    ("delete", "/api/v1/auth/token/", None, OWNER_ONLY, 204),
]


def _cases():
    for method, path, body, expected, ok in CASES:
        for role in ROLES:
            status = expected[role] or ok
            yield pytest.param(method, path, body, role, status, id=f"{method.upper()} {path} as {role} -> {status}")


def _owner_secrets(world) -> list[str]:
    """Strings that only the owner (and staff, through users/<id>/) may see."""
    return ['"owner@example.org"', f'"user_id":{world.owner.pk},']


@pytest.mark.parametrize(("method", "path", "body", "role", "status"), list(_cases()))
def test_role_matrix(world, django_capture_on_commit_callbacks, method, path, body, role, status):
    url = path.format(owner=world.owner.pk, run=world.version.run.pk, old=world.old_version.pk)
    with django_capture_on_commit_callbacks(execute=False):  # a retrain is queued on commit: not sent from here
        response = getattr(world.client(role), method)(url, body, format="json")

    assert response.status_code == status, (response.status_code, response.content[:300])
    if status >= 400 and status != 503:
        assert_error(response, status)
    text = response.content.decode().replace(" ", "")
    if role in ("anonymous", "other"):
        assert not any(secret in text for secret in _owner_secrets(world)), text[:500]
    if role == "other" and "ratings/608" in url:
        assert '"stars":5' not in text  # the owner's stars for Fargo


def test_it_counts_the_cases():
    """The note reports this number: every endpoint and method above, for each of the four roles."""
    assert len(list(_cases())) == len(CASES) * 4 == 92
