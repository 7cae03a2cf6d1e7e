"""`bootcamp tokens create | list | revoke` through Flask's CLI runner."""

from __future__ import annotations

import re

from sqlalchemy import select

from bootcamp.api.models import SCOPES, ApiClient, ApiToken
from bootcamp.api.tokens import hash_token
from bootcamp.extensions import db


def tokens(app, *args: str):
    return app.test_cli_runner().invoke(args=["tokens", *args])


def raw_token(output: str) -> str:
    return re.search(r"^\s+(bct_\S+)$", output, re.MULTILINE).group(1)


def test_create_makes_the_client_prints_the_token_once_and_keeps_its_hash(app):
    result = tokens(app, "create", "--name", "Acme", "--scope", "qualifications:read",
                    "--scope", "events:read")
    assert result.exit_code == 0, result.output
    raw = raw_token(result.output)
    assert "Created client 'Acme'." in result.output
    assert "it will not be shown again" in result.output
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        client = db.session.get(ApiClient, token.client_id)
        assert client.name == "Acme" and token.name == "Acme"
        assert token.scopes == ["events:read", "qualifications:read"]
        assert token.token_hash == hash_token(raw) and raw not in (token.prefix, token.token_hash)
    again = tokens(app, "create", "--name", "staging", "--client", "Acme",
                   "--scope", "workers:write")
    assert again.exit_code == 0, again.output
    assert "Created client" not in again.output and raw_token(again.output) != raw
    with app.app_context():
        assert db.session.scalar(select(db.func.count(ApiClient.id))) == 1


def test_unknown_scopes_are_refused_with_the_known_ones(app):
    result = tokens(app, "create", "--name", "Acme", "--scope", "qualifications:write")
    assert result.exit_code == 2
    assert "unknown scope 'qualifications:write'" in result.output
    assert all(scope in result.output for scope in SCOPES)
    with app.app_context():
        assert db.session.scalar(select(ApiClient)) is None


def test_list_shows_every_token_and_revoke_stops_one(app):
    assert "No tokens yet" in tokens(app, "list").output
    created = tokens(app, "create", "--name", "prod", "--client", "Acme",
                     "--scope", "webhooks:manage")
    prefix = raw_token(created.output)[:12]
    listing = tokens(app, "list").output
    header, row = listing.splitlines()
    assert header.split()[:3] == ["prefix", "client", "scopes"]
    assert row.split()[:3] == [prefix, "Acme", "webhooks:manage"] and row.endswith("no")
    revoked = tokens(app, "revoke", prefix)
    assert revoked.exit_code == 0 and f"Revoked token {prefix}" in revoked.output
    assert not tokens(app, "list").output.splitlines()[1].endswith("no")
    twice = tokens(app, "revoke", prefix)
    assert twice.exit_code == 1 and "already revoked" in twice.output
    unknown = tokens(app, "revoke", "bct_nothing")
    assert unknown.exit_code == 1 and "No token has the prefix" in unknown.output
