"""Helpers the API views share: their documented error answers and JSON bodies."""

from __future__ import annotations

import hashlib

from flask import Response as FlaskResponse
from flask import current_app, request
from pydantic import BaseModel
from spectree import Response
from werkzeug.http import parse_etags, quote_etag

from bootcamp.api.schemas import Problem


def documented(**codes: object) -> Response:
    """An operation's responses, with the 401, 403 and 429 that require_scope may answer."""
    return Response(**{"HTTP_401": (Problem, "No token, or an unknown or revoked one."),
                       "HTTP_403": (Problem, "The token lacks the operation's scope."),
                       "HTTP_429": (Problem, "Over the token's rate limit: see Retry-After."),
                       **codes})


def json_body(model: BaseModel, status: int = 200) -> FlaskResponse:
    return current_app.response_class(model.model_dump_json(), status=status,
                                      mimetype="application/json")


def with_etag(model: BaseModel) -> tuple[bytes, int, list[tuple[str, str]]]:
    """The model as JSON with a strong ETag over its bytes; 304 with no body when the client
    already holds them (If-None-Match). A (body, status, headers) answer, not a response: the
    views' spectree wrapper builds the one response from it (a response given to it would be
    taken apart and copied into a second one, on every lookup)."""
    body = model.model_dump_json().encode()
    etag = hashlib.sha256(body).hexdigest()[:32]
    headers = [("ETag", quote_etag(etag)), ("Cache-Control", "private, no-cache")]
    # Parsed only when sent: request.if_none_match would parse an absent header too.
    sent = request.headers.get("If-None-Match")
    if sent and parse_etags(sent).contains_weak(etag):
        return b"", 304, headers
    return body, 200, [("Content-Type", "application/json"), *headers]
