"""The `bootcamp` command: Flask's CLI plus Bootcamp's own commands."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from bootcamp.users.models import Role
from bootcamp.users.passwords import password_problems

if TYPE_CHECKING:
    from bootcamp.demo import DemoPlatform


def _create_app() -> Flask:
    from bootcamp import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Bootcamp: training and qualification for data-annotation workforces."""


users_cli = AppGroup("users", help="Manage user accounts.")


def _read_password(value: str | None) -> str:
    """Take the password from the option, a prompt on a terminal, or one line of stdin."""
    if value:
        return value
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@users_cli.command("create")
@click.option("--email", required=True, help="Email address used to log in.")
@click.option("--password", help="Password; omit it to type it or pipe it on stdin.")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default=Role.TRAINEE.value,
    show_default=True,
)
@click.option("--name", default="", help="Display name (defaults to the email's local part).")
def create_user_command(email: str, password: str | None, role: str, name: str) -> None:
    """Create an account, for example the first admin."""
    from bootcamp.extensions import db
    from bootcamp.users.services import AccountError, create_user

    password = _read_password(password)
    problems = password_problems(password, email, name)
    if problems:
        raise click.UsageError("password: " + " ".join(problems))
    try:
        user = create_user(email, password, name, Role(role))
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")


@click.command("demo")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Prepare the database and accounts, then exit.")
def demo_command(host: str, port: int, no_serve: bool) -> None:
    """Migrate the database, create demo accounts and serve the demo."""
    from flask import current_app
    from werkzeug.serving import run_simple

    from bootcamp import mail
    from bootcamp.demo import seed_demo, seed_demo_platform

    with mail.suppressed():  # the generated history emails nobody
        accounts = seed_demo()
    click.echo("Demo accounts (passwords are new on every run):")
    for account in accounts:
        if not account.status:
            note = f"  ({account.note})" if account.note else ""
            click.echo(f"  {account.role:<10} {account.email:<28} {account.password}{note}")
    exam_trainees = [account for account in accounts if account.status]
    if exam_trainees:
        click.echo("Trainees who took the clothing-tagging exam:")
    for account in exam_trainees:
        click.echo(f"  {account.role:<10} {account.email:<28} {account.password}"
                   f"  ({account.status.replace('_', ' ')})")
    _print_demo_platform(seed_demo_platform(), f"http://{host}:{port}")
    if current_app.config["MAIL_BACKEND"] == mail.OUTBOX_BACKEND:
        click.echo("Email is not sent: each message is printed here and saved in "
                   f"{current_app.config['MAIL_OUTBOX_DIR']}")
    if no_serve:
        return
    click.echo(f"Serving Bootcamp on http://{host}:{port}/  (Ctrl+C stops it)")
    run_simple(host, port, current_app._get_current_object(), threaded=True)


def _print_demo_platform(platform: DemoPlatform, base_url: str) -> None:
    """The demo API token, the worker ids it knows and a request to try."""
    click.echo(f"Platform API, as the client {platform.name!r} (every scope; the token is new "
               "on every run):")
    click.echo(f"  token      {platform.token}")
    for external_id, email in platform.workers:
        click.echo(f"  worker id  {external_id:<28} is {email}")
    example = platform.workers[1][0] if len(platform.workers) > 1 else "worker-1"
    click.echo(f'  try        curl -H "Authorization: Bearer {platform.token}" '
               f"{base_url}/api/v1/workers/{example}/qualifications")


def register_commands(app: Flask) -> None:
    """Attach Bootcamp's commands to `flask --app bootcamp` and to `bootcamp`."""
    from bootcamp.api.token_cli import tokens_cli
    from bootcamp.api.webhook_cli import webhooks_cli
    from courses.cli import courses_cli, items_cli
    from exams.cli import exams_cli
    from exams.graders_cli import graders_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(courses_cli)
    app.cli.add_command(items_cli)
    app.cli.add_command(exams_cli)
    app.cli.add_command(graders_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(webhooks_cli)
