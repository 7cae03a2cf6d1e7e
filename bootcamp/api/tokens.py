"""API clients and their tokens: made, listed, revoked; a raw token is shown once, never kept.

Tokens are 256 random bits, so a plain SHA-256 is enough to store them: nobody can guess one
from its hash, and a lookup by hash is one indexed query on every API request. Services flush,
the caller commits.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from sqlalchemy import select

from bootcamp.api.models import SCOPES, ApiClient, ApiToken
from bootcamp.audit import record_audit
from bootcamp.extensions import db
from bootcamp.types import utcnow

TOKEN_PREFIX = "bct_"  # noqa: S105  (a marker that tells tokens apart, not a secret)


class TokenError(ValueError):
    """A client or token request that cannot be carried out, said for the person asking."""


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def scope_problems(scopes: Iterable[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    return [f"unknown scope {scope!r} (known: {', '.join(SCOPES)})" for scope in unknown]


def client_named(name: str) -> ApiClient | None:
    return db.session.scalar(select(ApiClient).where(ApiClient.name == name))


def create_client(name: str, actor_id: int | None) -> ApiClient:
    name = name.strip()
    if not name or len(name) > 120:
        raise TokenError("A client needs a name of 1 to 120 characters.")
    if client_named(name) is not None:
        raise TokenError(f"A client named {name!r} already exists.")
    client = ApiClient(name=name, created_by_id=actor_id, created_at=utcnow())
    db.session.add(client)
    db.session.flush()
    record_audit("api_client_created", actor_id=actor_id, target=f"api_client:{client.id}",
                 data={"name": name})
    return client


def issue_token(client: ApiClient, scopes: Iterable[str], actor_id: int | None,
                name: str = "") -> tuple[ApiToken, str]:
    """A new token for the client and its raw value, which the caller shows once."""
    scopes = sorted(set(scopes))
    problems = scope_problems(scopes)
    if problems:
        raise TokenError("; ".join(problems))
    if not scopes:
        raise TokenError("A token needs at least one scope.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(client_id=client.id, name=name.strip()[:120], prefix=raw[:12],
                     token_hash=hash_token(raw), scopes=scopes, created_at=utcnow(),
                     use_count=0)
    db.session.add(token)
    db.session.flush()
    record_audit("api_token_created", actor_id=actor_id, target=f"api_token:{token.id}",
                 data={"client": client.name, "scopes": scopes})
    return token, raw


def revoke_token(token: ApiToken, actor_id: int | None) -> None:
    if token.revoked_at is not None:
        raise TokenError("This token is already revoked.")
    token.revoked_at = utcnow()
    record_audit("api_token_revoked", actor_id=actor_id, target=f"api_token:{token.id}")


def token_by_raw(raw: str) -> ApiToken | None:
    """The token a bearer value names, revoked or not; None for anything else."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    return db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
