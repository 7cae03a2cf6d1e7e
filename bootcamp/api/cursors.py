"""Opaque, signed keyset cursors for the API's lists.

A cursor is the position after the last row of a page (for the bulk sync, its `(updated_at,
id)`), signed with the app's SECRET_KEY by itsdangerous and base64url-encoded. Clients cannot
read meaning into it or forge one that skips rows another client sees: a cursor that was
tampered with, or made for another list, is a 400 problem. The salt names the list.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer


class BadCursor(ValueError):
    """A cursor that this server did not make for this list."""


def _serializer(list_name: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"api-cursor:{list_name}")


def make_cursor(list_name: str, position: list[Any]) -> str:
    return _serializer(list_name).dumps(position)


def read_cursor(list_name: str, cursor: str) -> list[Any]:
    try:
        position = _serializer(list_name).loads(cursor)
    except BadSignature as exc:
        raise BadCursor("This cursor is not valid: pass the `next` of the previous page "
                        "unchanged.") from exc
    if not isinstance(position, list):
        raise BadCursor("This cursor is not valid.")
    return position
