"""`bootcamp tokens ...`: API clients and tokens from the command line.

For operators setting up a platform without a browser (and for scripts): the raw token is
printed once, as in the admin pages, and only its hash is kept.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from bootcamp.api.models import SCOPES, ApiClient, ApiToken
from bootcamp.api.tokens import TokenError, client_named, create_client, issue_token, revoke_token
from bootcamp.extensions import db
from bootcamp.templating import format_datetime

tokens_cli = AppGroup("tokens", help="Manage platform API clients and tokens.")


def _known_scopes(scopes: tuple[str, ...]) -> list[str]:
    """The scopes asked for; an unknown one stops the command and lists the known ones."""
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown:
        raise click.BadParameter(
            f"unknown scope {', '.join(map(repr, unknown))}; known scopes: {', '.join(SCOPES)}",
            param_hint="--scope")
    return list(scopes)


@tokens_cli.command("create")
@click.option("--name", required=True, help="A name for the token, say where it is used.")
@click.option("--scope", "scopes", multiple=True, required=True,
              help=f"A scope to grant; repeat for several ({', '.join(SCOPES)}).")
@click.option("--client", "client_name", default=None,
              help="The platform (API client) the token belongs to; created if missing. "
                   "Defaults to the token's name.")
def create_token_command(name: str, scopes: tuple[str, ...], client_name: str | None) -> None:
    """Issue a token (creating its client if needed) and print it once."""
    wanted = _known_scopes(scopes)
    try:
        client = client_named((client_name or name).strip())
        if client is None:
            client = create_client(client_name or name, actor_id=None)
            click.echo(f"Created client {client.name!r}.")
        token, raw = issue_token(client, wanted, actor_id=None, name=name)
    except TokenError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Token {token.prefix} for {client.name!r} with {', '.join(token.scopes)}:")
    click.echo(f"  {raw}")
    click.echo("Copy it now: it will not be shown again (only its hash is kept).")


@tokens_cli.command("list")
def list_tokens_command() -> None:
    """List every token: prefix, client, scopes, created, last used, uses, revoked."""
    rows = db.session.execute(select(ApiToken, ApiClient.name)
                              .join(ApiClient, ApiClient.id == ApiToken.client_id)
                              .order_by(ApiClient.name, ApiToken.created_at, ApiToken.id)).all()
    if not rows:
        click.echo("No tokens yet. Create one with `bootcamp tokens create`.")
        return
    header = ("prefix", "client", "scopes", "created", "last used", "uses", "revoked")
    table = [header] + [(
        token.prefix, client, ",".join(token.scopes), format_datetime(token.created_at),
        format_datetime(token.last_used_at), str(token.use_count or 0),
        format_datetime(token.revoked_at) if token.revoked_at else "no",
    ) for token, client in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
                   .rstrip())


@tokens_cli.command("revoke")
@click.argument("prefix")
def revoke_token_command(prefix: str) -> None:
    """Revoke the token whose prefix (as `tokens list` shows it) is PREFIX."""
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.prefix == prefix)).all()
    if not tokens:
        raise click.ClickException(f"No token has the prefix {prefix!r} (see `bootcamp tokens "
                                   "list`).")
    if len(tokens) > 1:
        raise click.ClickException(f"{len(tokens)} tokens have the prefix {prefix!r}; revoke "
                                   "one in the admin pages.")
    try:
        revoke_token(tokens[0], actor_id=None)
    except TokenError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Revoked token {prefix}: requests with it now get 401.")
