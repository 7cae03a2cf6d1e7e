"""API: webhooks. A client manages its own subscriptions and reads their deliveries; another
client's webhook or delivery is a 404, as if it did not exist."""

from __future__ import annotations

from flask import Response as FlaskResponse
from sqlalchemy import select

from bootcamp.api import bp
from bootcamp.api import webhooks as service
from bootcamp.api.auth import current_client, require_scope
from bootcamp.api.cursors import BadCursor, make_cursor, read_cursor
from bootcamp.api.models import Delivery, Webhook
from bootcamp.api.responses import documented, json_body
from bootcamp.api.schemas import Problem
from bootcamp.api.spec import spec
from bootcamp.api.webhook_schemas import (
    DeliveryOut,
    DeliveryPage,
    DeliveryQuery,
    SecretRotated,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookOut,
    WebhookUpdate,
)
from bootcamp.errors import problem
from bootcamp.extensions import db
from bootcamp.outbox import OutboxEvent

MANAGE = "webhooks:manage"
DELIVERIES_CURSOR = "deliveries"
NOT_FOUND = (Problem, "You have no webhook with this id.")
REFUSED = (Problem, "The URL is refused (its form, or the address it resolves to): `detail` "
                    "says why.")
MAX_ID = 2**31 - 1  # ids are 32-bit integers: a larger one names nothing


def _missing(kind: str, item_id: int) -> FlaskResponse:
    return problem(404, f"Unknown {kind}", f"You have no {kind} with the id {item_id}.")


def _refused(error: service.WebhookError) -> FlaskResponse:
    db.session.rollback()
    return problem(400, "Webhook refused", str(error))


def _own(webhook_id: int) -> Webhook | None:
    if webhook_id > MAX_ID:
        return None
    return service.webhook_of(current_client(), webhook_id)


@bp.get("/webhooks")
@require_scope(MANAGE)
@spec.validate(resp=documented(HTTP_200=WebhookList), tags=["webhooks"])
def list_webhooks():
    """Your webhooks (at most 20), oldest first. Secrets are never shown again."""
    items = [WebhookOut.of(webhook) for webhook in service.webhooks_of(current_client())]
    return json_body(WebhookList(items=items))


@bp.post("/webhooks")
@require_scope(MANAGE)
@spec.validate(json=WebhookCreate,
               resp=documented(HTTP_201=WebhookCreated, HTTP_400=REFUSED), tags=["webhooks"])
def create_webhook(json: WebhookCreate):
    """Subscribe a URL to events. The answer carries the signing secret: keep it, it is not
    shown again (rotate it to get a new one)."""
    try:
        webhook, secret = service.create_webhook(current_client(), json.url, json.event_types,
                                                 actor_id=None)
    except service.WebhookError as error:
        return _refused(error)
    db.session.commit()
    out = WebhookCreated(**WebhookOut.of(webhook).model_dump(), secret=secret)
    return json_body(out, 201)


@bp.get("/webhooks/<int:webhook_id>")
@require_scope(MANAGE)
@spec.validate(resp=documented(HTTP_200=WebhookOut, HTTP_404=NOT_FOUND), tags=["webhooks"])
def get_webhook(webhook_id: int):
    """One of your webhooks."""
    webhook = _own(webhook_id)
    if webhook is None:
        return _missing("webhook", webhook_id)
    return json_body(WebhookOut.of(webhook))


@bp.patch("/webhooks/<int:webhook_id>")
@require_scope(MANAGE)
@spec.validate(json=WebhookUpdate,
               resp=documented(HTTP_200=WebhookOut, HTTP_404=NOT_FOUND, HTTP_400=REFUSED),
               tags=["webhooks"])
def update_webhook(webhook_id: int, json: WebhookUpdate):
    """Change the URL, the event types, or enable and disable. Disabling fails the pending
    deliveries (redeliver them later); enabling clears the run of failures."""
    webhook = _own(webhook_id)
    if webhook is None:
        return _missing("webhook", webhook_id)
    try:
        service.update_webhook(webhook, url=json.url, event_types=json.event_types,
                               enabled=json.enabled, actor_id=None)
    except service.WebhookError as error:
        return _refused(error)
    db.session.commit()
    return json_body(WebhookOut.of(webhook))


@bp.delete("/webhooks/<int:webhook_id>")
@require_scope(MANAGE)
@spec.validate(resp=documented(HTTP_204=None, HTTP_404=NOT_FOUND), tags=["webhooks"])
def delete_webhook(webhook_id: int):
    """Delete the webhook with its deliveries."""
    webhook = _own(webhook_id)
    if webhook is None:
        return _missing("webhook", webhook_id)
    service.delete_webhook(webhook, actor_id=None)
    db.session.commit()
    return FlaskResponse(status=204)


@bp.post("/webhooks/<int:webhook_id>/rotate-secret")
@require_scope(MANAGE)
@spec.validate(resp=documented(HTTP_200=SecretRotated, HTTP_404=NOT_FOUND), tags=["webhooks"])
def rotate_secret(webhook_id: int):
    """A new signing secret. For 24 hours every delivery is signed by both the new and the old
    secret (two signatures in webhook-signature), so receivers can switch without a gap."""
    webhook = _own(webhook_id)
    if webhook is None:
        return _missing("webhook", webhook_id)
    secret = service.rotate_secret(webhook, actor_id=None)
    until = webhook.previous_secret_until
    db.session.commit()
    return json_body(SecretRotated(secret=secret, previous_secret_valid_until=until))


@bp.post("/webhooks/<int:webhook_id>/test")
@require_scope(MANAGE)
@spec.validate(resp=documented(HTTP_202=DeliveryOut, HTTP_404=NOT_FOUND,
                               HTTP_409=(Problem, "The webhook is disabled.")),
               tags=["webhooks"])
def send_test(webhook_id: int):
    """Queue a `webhook.test` event for this webhook alone; the worker sends it within
    seconds. It is signed like any event, and never appears in /events."""
    webhook = _own(webhook_id)
    if webhook is None:
        return _missing("webhook", webhook_id)
    try:
        delivery = service.send_test_event(webhook)
    except service.WebhookError as error:
        db.session.rollback()
        return problem(409, "Webhook disabled", str(error))
    db.session.commit()
    return json_body(DeliveryOut.of(delivery, service.event_of(delivery)), 202)


@bp.get("/webhooks/<int:webhook_id>/deliveries")
@require_scope(MANAGE)
@spec.validate(query=DeliveryQuery,
               resp=documented(HTTP_200=DeliveryPage, HTTP_404=NOT_FOUND,
                               HTTP_400=(Problem, "The cursor is not one this server gave.")),
               tags=["webhooks"])
def list_deliveries(webhook_id: int, query: DeliveryQuery):
    """The webhook's deliveries, newest first, by keyset cursor: follow `next` until null."""
    webhook = _own(webhook_id)
    if webhook is None:
        return _missing("webhook", webhook_id)
    before_id = None
    if query.cursor is not None:
        try:
            before_id = _position(read_cursor(DELIVERIES_CURSOR, query.cursor), webhook.id)
        except BadCursor as error:
            return problem(400, "Invalid cursor", str(error))
    found = service.deliveries_of(webhook, query.limit + 1, before_id=before_id)
    page = found[:query.limit]
    events = {event.id: event for event in db.session.scalars(select(OutboxEvent).where(
        OutboxEvent.id.in_([delivery.event_id for delivery in page])))}
    next_cursor = (make_cursor(DELIVERIES_CURSOR, [webhook.id, page[-1].id])
                   if len(found) > query.limit else None)
    return json_body(DeliveryPage(items=[DeliveryOut.of(d, events[d.event_id]) for d in page],
                                  next=next_cursor))


def _position(position: list, webhook_id: int) -> int:
    """The delivery id a cursor continues after; a cursor of another webhook is refused."""
    try:
        cursor_webhook, delivery_id = (int(part) for part in position)
    except (TypeError, ValueError) as error:
        raise BadCursor("This cursor is not valid.") from error
    if cursor_webhook != webhook_id:
        raise BadCursor("This cursor belongs to another webhook's deliveries.")
    return delivery_id


@bp.post("/deliveries/<int:delivery_id>/redeliver")
@require_scope(MANAGE)
@spec.validate(resp=documented(HTTP_202=DeliveryOut,
                               HTTP_404=(Problem, "You have no delivery with this id."),
                               HTTP_409=(Problem, "Still pending, or the webhook is disabled.")),
               tags=["webhooks"])
def redeliver(delivery_id: int):
    """Send a delivery again, as a new round of retries. The event keeps its id, so the
    webhook-id header is the one the receiver saw before: it can tell a repeat."""
    delivery: Delivery | None = (service.delivery_of(current_client(), delivery_id)
                                 if delivery_id <= MAX_ID else None)
    if delivery is None:
        return _missing("delivery", delivery_id)
    try:
        service.redeliver(delivery)
    except service.WebhookError as error:
        db.session.rollback()
        return problem(409, "Cannot redeliver", str(error))
    db.session.commit()
    return json_body(DeliveryOut.of(delivery, service.event_of(delivery)), 202)
