"""Every endpoint of this part of the API, for every kind of token: none, wrong, revoked, each
single scope. The right scope gets through; every other token is refused with a problem."""

from __future__ import annotations

import pytest

from bootcamp.api.models import SCOPES, ApiToken
from bootcamp.api.tokens import revoke_token
from bootcamp.extensions import db

# (method, path, JSON body, the scope it needs)
ENDPOINTS = [
    ("GET", "/api/v1/workers/w-1/qualifications", None, "qualifications:read"),
    ("POST", "/api/v1/qualifications/check", {"course": "qualified", "external_ids": ["w-1"]},
     "qualifications:read"),
    ("GET", "/api/v1/qualifications", None, "qualifications:read"),
    ("GET", "/api/v1/courses", None, "qualifications:read"),
    ("GET", "/api/v1/events", None, "events:read"),
    ("POST", "/api/v1/workers", {"external_id": "n-1", "email": "n1@example.com",
                                 "name": "N"}, "workers:write"),
]
IDS = [f"{method} {path}" for method, path, _, _ in ENDPOINTS]


def call(client, method: str, path: str, body, headers: dict):
    return client.open(path, method=method, json=body, headers=headers)


def assert_problem(response, status: int) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == status


@pytest.mark.parametrize(("method", "path", "body", "scope"), ENDPOINTS, ids=IDS)
def test_no_token_or_a_wrong_one_is_401(client, api_world, method, path, body, scope):
    for headers in ({}, {"Authorization": "Bearer bct_not-a-real-token"},
                    {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}):
        response = call(client, method, path, body, headers)
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path", "body", "scope"), ENDPOINTS, ids=IDS)
def test_a_revoked_token_is_401(app, client, api_world, make_token, method, path, body, scope):
    revoked = make_token(scope)
    assert call(client, method, path, body, revoked.headers).status_code in (200, 201)
    with app.app_context():
        revoke_token(db.session.get(ApiToken, revoked.id), None)
        db.session.commit()
    assert_problem(call(client, method, path, body, revoked.headers), 401)


@pytest.mark.parametrize(("method", "path", "body", "scope"), ENDPOINTS, ids=IDS)
def test_each_scope_opens_its_endpoints_only(client, api_world, make_token, method, path,
                                             body, scope):
    for other in SCOPES:
        response = call(client, method, path, body, make_token(other).headers)
        if other == scope:
            assert response.status_code in (200, 201), response.get_data(as_text=True)
        else:
            assert_problem(response, 403)
            assert response.get_json()["scope"] == scope


def test_over_the_tokens_limit_is_429_with_retry_after(make_extra_app, make_token, api_world):
    limited = make_extra_app(API_LIMIT_PER_TOKEN="3 per minute", API_TOKEN_CACHE_SECONDS=0)
    client = limited.test_client()
    token = make_token("qualifications:read")
    statuses = [client.get("/api/v1/courses", headers=token.headers).status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/api/v1/courses", headers=token.headers)
    assert_problem(refused, 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    other = make_token("qualifications:read")  # limits are per token
    assert client.get("/api/v1/courses", headers=other.headers).status_code == 200
