"""Admin pages for platforms: API clients, their tokens and webhooks, deliveries and attempts.

A raw token or a webhook secret exists only in the answer to the POST that made it: the page
is rendered right there (never through the session, a flash or a URL), and every HTML page is
sent with `Cache-Control: no-store` (bootcamp/security.py). The database keeps only a token's
hash, so a lost token is revoked and replaced, never shown again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from bootcamp.admin import bp
from bootcamp.admin.forms import (
    EVENT_LABELS,
    SCOPE_LABELS,
    ClientForm,
    ConfirmForm,
    TokenForm,
    WebhookActionForm,
    WebhookEnabledForm,
    WebhookForm,
)
from bootcamp.api import webhooks as hooks
from bootcamp.api.models import ApiClient, ApiToken, Delivery, DeliveryAttempt, Webhook
from bootcamp.api.tokens import TokenError, create_client, issue_token, revoke_token
from bootcamp.extensions import db
from bootcamp.forms import ActionForm
from bootcamp.outbox import OutboxEvent
from bootcamp.users.access import role_required
from bootcamp.users.models import Role

RECENT_DELIVERIES = 25


@dataclass(frozen=True)
class Revealed:
    """A secret shown once on the page that made it."""

    title: str  # the box's heading
    label: str  # the label of the read-only field that holds it
    value: str
    note: str


def _client_rows() -> list:
    """Every client with its active tokens, webhooks and the last time a token was used."""
    tokens = (select(func.count(ApiToken.id)).where(ApiToken.client_id == ApiClient.id,
                                                    ApiToken.revoked_at.is_(None))
              .scalar_subquery())
    webhooks = (select(func.count(Webhook.id)).where(Webhook.client_id == ApiClient.id)
                .scalar_subquery())
    last_used = (select(func.max(ApiToken.last_used_at))
                 .where(ApiToken.client_id == ApiClient.id).scalar_subquery())
    return db.session.execute(select(ApiClient, tokens, webhooks, last_used)
                              .order_by(ApiClient.name)).all()


def _platforms_page(form: ClientForm | None = None):
    return render_template("admin/platform/list.html", rows=_client_rows(),
                           form=form or ClientForm(), api_reference=url_for("api.reference"))


def _client_page(client: ApiClient, *, token_form: TokenForm | None = None,
                 webhook_form: WebhookForm | None = None, revealed: Revealed | None = None):
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.client_id == client.id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(),
                  ApiToken.id.desc())).all()
    webhooks = db.session.scalars(select(Webhook).where(Webhook.client_id == client.id)
                                  .order_by(Webhook.id)).all()
    return render_template(
        "admin/platform/client.html", client=client, tokens=tokens, webhooks=webhooks,
        token_form=token_form or TokenForm(), webhook_form=webhook_form or WebhookForm(),
        revealed=revealed, scope_labels=SCOPE_LABELS, event_labels=EVENT_LABELS,
        api_reference=url_for("api.reference"))


def _webhook_page(webhook: Webhook, *, revealed: Revealed | None = None):
    deliveries = list(hooks.deliveries_of(webhook, RECENT_DELIVERIES))
    events = {event.id: event for event in db.session.scalars(
        select(OutboxEvent).where(OutboxEvent.id.in_([d.event_id for d in deliveries])))}
    attempts: dict[int, list[DeliveryAttempt]] = {d.id: [] for d in deliveries}
    for attempt in db.session.scalars(
            select(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(list(attempts)))
            .order_by(DeliveryAttempt.number.desc(), DeliveryAttempt.id.desc())):
        attempts[attempt.delivery_id].append(attempt)
    return render_template(
        "admin/platform/webhook.html", webhook=webhook,
        client=db.session.get(ApiClient, webhook.client_id), deliveries=deliveries,
        events=events, attempts=attempts, revealed=revealed, limit=RECENT_DELIVERIES,
        event_labels={**EVENT_LABELS, hooks.TEST_EVENT_TYPE: "Test event"})


def _back_page(webhook: Webhook, form: WebhookActionForm, **extra):
    """Render the page the button was on: its platform's page or the webhook's own."""
    if form.back.data == "platform":
        return _client_page(db.session.get(ApiClient, webhook.client_id), **extra)
    return _webhook_page(webhook, **extra)


def _back_url(webhook: Webhook, form: WebhookActionForm) -> str:
    if form.back.data == "platform":
        return url_for("admin.platform", client_id=webhook.client_id)
    return url_for("admin.webhook", webhook_id=webhook.id)


def _carried_out(action: Callable[[], Any], done: str | None = None) -> tuple[bool, Any]:
    """Run one webhook service call as the request's unit of work: committed (and `done`
    said) when it succeeds; rolled back with the service's reason shown when it refuses."""
    try:
        result = action()
    except hooks.WebhookError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return False, None
    db.session.commit()
    if done:
        flash(done, "success")
    return True, result


def _confirmed(form: ConfirmForm) -> bool:
    """True for the confirmation page's own button; any other post only shows the page."""
    return (request.method == "POST" and form.validate_on_submit()
            and form.confirm.data == "yes")


@bp.route("/platforms")
@role_required(Role.ADMIN)
def platforms():
    """Every platform (API client), and a form to add one."""
    return _platforms_page()


@bp.route("/platforms", methods=["POST"])
@role_required(Role.ADMIN)
def platform_create():
    form = ClientForm()
    if form.validate_on_submit():
        try:
            client = create_client(form.name.data, current_user.id)
        except TokenError as exc:
            db.session.rollback()
            form.name.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"Platform {client.name} added. Give it a token to call the API.", "success")
            return redirect(url_for("admin.platform", client_id=client.id))
    return _platforms_page(form)


@bp.route("/platforms/<int:client_id>")
@role_required(Role.ADMIN)
def platform(client_id: int):
    """A platform's tokens and webhooks."""
    return _client_page(db.get_or_404(ApiClient, client_id))


@bp.route("/platforms/<int:client_id>/tokens", methods=["POST"])
@role_required(Role.ADMIN)
def token_issue(client_id: int):
    """Issue a token and show it on this answer only."""
    client = db.get_or_404(ApiClient, client_id)
    form = TokenForm()
    if not form.validate_on_submit():
        return _client_page(client, token_form=form)
    try:
        token, raw = issue_token(client, form.scopes.data, current_user.id,
                                 name=form.name.data or "")
    except TokenError as exc:
        db.session.rollback()
        form.scopes.errors.append(str(exc))
        return _client_page(client, token_form=form)
    db.session.commit()
    return _client_page(client, revealed=Revealed(
        "New token", f"Token {token.prefix}", raw,
        "Copy it now and give it to the platform: it will not be shown again (Bootcamp keeps "
        "only a fingerprint of it). The platform sends it as “Authorization: Bearer …”."))


@bp.route("/platforms/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def token_revoke(token_id: int):
    """Ask, then revoke: requests with the token get 401 from then on."""
    token = db.get_or_404(ApiToken, token_id)
    client = db.session.get(ApiClient, token.client_id)
    form = ConfirmForm()
    if not _confirmed(form):
        return render_template(
            "admin/platform/confirm.html", form=form, client=client,
            title=f"Revoke token {token.prefix}?", button="Revoke the token",
            cancel=url_for("admin.platform", client_id=client.id),
            explanation=f"{client.name} can no longer call the API with this token. "
                        "This cannot be undone: issue a new token if they need one.")
    try:
        revoke_token(token, current_user.id)
    except TokenError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"Token {token.prefix} is revoked: requests with it are refused.", "success")
    return redirect(url_for("admin.platform", client_id=client.id))


@bp.route("/platforms/<int:client_id>/webhooks", methods=["POST"])
@role_required(Role.ADMIN)
def webhook_add(client_id: int):
    """Subscribe an address; its signing secret is shown on this answer only."""
    client = db.get_or_404(ApiClient, client_id)
    form = WebhookForm()
    if not form.validate_on_submit():
        return _client_page(client, webhook_form=form)
    try:
        webhook, secret = hooks.create_webhook(client, form.url.data.strip(),
                                               form.event_types.data or [], current_user.id)
    except hooks.WebhookError as exc:
        db.session.rollback()
        form.url.errors.append(str(exc))
        return _client_page(client, webhook_form=form)
    db.session.commit()
    return _client_page(client, revealed=_secret_shown(webhook, secret, "New webhook secret"))


def _secret_shown(webhook: Webhook, secret: str, title: str,
                  note: str = "It checks each event's signature with it.") -> Revealed:
    return Revealed(title, f"Signing secret of {webhook.url}", secret,
                    f"Copy it now and give it to the platform. {note} It will not be shown "
                    "again.")


@bp.route("/platforms/webhooks/<int:webhook_id>")
@role_required(Role.ADMIN)
def webhook(webhook_id: int):
    """A webhook's settings, its recent deliveries and each delivery's attempts."""
    return _webhook_page(db.get_or_404(Webhook, webhook_id))


@bp.route("/platforms/webhooks/<int:webhook_id>/enabled", methods=["POST"])
@role_required(Role.ADMIN)
def webhook_enabled(webhook_id: int):
    """Turn a webhook on or off (on again also forgets its failures)."""
    webhook = db.get_or_404(Webhook, webhook_id)
    form = WebhookEnabledForm()
    if not (form.validate_on_submit() and form.enabled.data in {"yes", "no"}):
        flash("Choose to turn the webhook on or off.", "error")
        return redirect(_back_url(webhook, form))
    enable = form.enabled.data == "yes"
    _carried_out(lambda: hooks.update_webhook(webhook, enabled=enable, actor_id=current_user.id,
                                              why_off=f"Turned off by {current_user.email}."),
                 f"The webhook to {webhook.url} is {'on' if enable else 'off'}.")
    return redirect(_back_url(webhook, form))


@bp.route("/platforms/webhooks/<int:webhook_id>/rotate", methods=["POST"])
@role_required(Role.ADMIN)
def webhook_rotate(webhook_id: int):
    """A new signing secret, shown once; the old one still signs for 24 hours."""
    webhook = db.get_or_404(Webhook, webhook_id)
    form = WebhookActionForm()
    if not form.validate_on_submit():
        flash("The form has expired; try again.", "error")
        return redirect(_back_url(webhook, form))
    rotated, secret = _carried_out(lambda: hooks.rotate_secret(webhook, current_user.id))
    if not rotated:
        return redirect(_back_url(webhook, form))
    return _back_page(webhook, form, revealed=_secret_shown(
        webhook, secret, "New signing secret",
        "For the next 24 hours every event carries signatures with both the old and the new "
        "secret, so the platform can switch without missing one."))


@bp.route("/platforms/webhooks/<int:webhook_id>/test", methods=["POST"])
@role_required(Role.ADMIN)
def webhook_test(webhook_id: int):
    """Queue a test event, to check that the platform receives and verifies events."""
    webhook = db.get_or_404(Webhook, webhook_id)
    form = WebhookActionForm()
    if form.validate_on_submit():
        _carried_out(lambda: hooks.send_test_event(webhook),
                     "A test event is on its way: the delivery worker sends it at its next round.")
    return redirect(_back_url(webhook, form))


@bp.route("/platforms/webhooks/<int:webhook_id>/delete", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def webhook_delete(webhook_id: int):
    """Ask, then delete a webhook with its delivery history."""
    webhook = db.get_or_404(Webhook, webhook_id)
    client = db.session.get(ApiClient, webhook.client_id)
    form = ConfirmForm()
    if not _confirmed(form):
        return render_template(
            "admin/platform/confirm.html", form=form, client=client,
            title="Delete this webhook?", button="Delete the webhook",
            cancel=url_for("admin.platform", client_id=client.id),
            explanation=f"{client.name} will no longer receive events at {webhook.url}, and "
                        "the record of its deliveries is deleted too. To pause it instead, "
                        "turn it off.")
    _carried_out(lambda: hooks.delete_webhook(webhook, current_user.id),
                 f"The webhook to {webhook.url} is deleted.")
    return redirect(url_for("admin.platform", client_id=client.id))


@bp.route("/platforms/deliveries/<int:delivery_id>/redeliver", methods=["POST"])
@role_required(Role.ADMIN)
def delivery_redeliver(delivery_id: int):
    """Send a delivery again (same event, same webhook-id), whatever became of it."""
    delivery = db.get_or_404(Delivery, delivery_id)
    if ActionForm().validate_on_submit():
        _carried_out(lambda: hooks.redeliver(delivery),
                     "The event will be sent again at the delivery worker's next round.")
    return redirect(url_for("admin.webhook", webhook_id=delivery.webhook_id))
