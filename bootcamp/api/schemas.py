"""Request and response models of the API: what the OpenAPI description is generated from."""

from __future__ import annotations

from pydantic import BaseModel


class Problem(BaseModel):
    """An RFC 9457 problem document, the shape of every error answer."""

    type: str = "about:blank"
    title: str
    detail: str
    status: int
