"""Request and response models of /api/v1/webhooks and /api/v1/deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bootcamp.api.models import Delivery, Webhook
from bootcamp.outbox import EVENT_TYPES, OutboxEvent

EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]
Url = Annotated[str, StringConstraints(min_length=1, max_length=2048,
                                       pattern=r"^\s*[hH][tT][tT][pP][sS]?://")]
EventTypes = Annotated[list[EventType], Field(
    max_length=len(EVENT_TYPES),
    description="The event types to send; empty: every type, including ones added later.")]
Limit = Annotated[int, Field(ge=1, le=1000, description="Items per page, at most 1,000.")]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url = Field(description="An http(s) URL on a public address; no user or password.")
    event_types: EventTypes = []


class WebhookUpdate(BaseModel):
    """Only the fields given change. Enabling a disabled webhook clears its failures."""

    model_config = ConfigDict(extra="forbid")

    url: Url | None = None
    event_types: EventTypes | None = None
    enabled: bool | None = None


class WebhookOut(BaseModel):
    id: int
    url: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None = Field(description="Why it was disabled (410, 3 days of "
                                                    "failures, or by you).")
    failing_since: datetime | None = Field(description="First failure of the current run; "
                                                       "3 days of failures disable it.")
    previous_secret_valid_until: datetime | None = Field(
        description="While a rotation lasts, deliveries carry a signature by the old secret "
                    "too, until this time.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, webhook: Webhook) -> WebhookOut:
        return cls(id=webhook.id, url=webhook.url, event_types=list(webhook.event_types),
                   enabled=webhook.enabled, disabled_reason=webhook.disabled_reason,
                   failing_since=webhook.failing_since,
                   previous_secret_valid_until=webhook.previous_secret_until,
                   created_at=webhook.created_at, updated_at=webhook.updated_at)


class WebhookCreated(WebhookOut):
    secret: str = Field(description="The signing secret (whsec_...), shown only now.")


class WebhookList(BaseModel):
    items: list[WebhookOut]


class SecretRotated(BaseModel):
    secret: str = Field(description="The new signing secret, shown only now.")
    previous_secret_valid_until: datetime


class DeliveryOut(BaseModel):
    id: int
    webhook_id: int
    event_id: str = Field(description="The event's id: the webhook-id header of every try.")
    event_type: str
    state: Literal["pending", "succeeded", "failed"]
    attempt_count: int = Field(description="Tries in the current round (redelivery starts a "
                                           "new round).")
    next_attempt_at: datetime | None
    last_status: int | None = Field(description="HTTP status of the last answer; null: none.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, delivery: Delivery, event: OutboxEvent) -> DeliveryOut:
        return cls(id=delivery.id, webhook_id=delivery.webhook_id, event_id=event.public_id,
                   event_type=event.type, state=str(delivery.state),
                   attempt_count=delivery.attempt_count,
                   next_attempt_at=delivery.next_attempt_at, last_status=delivery.last_status,
                   created_at=delivery.created_at, updated_at=delivery.updated_at)


class DeliveryQuery(BaseModel):
    limit: Limit = 100
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=512)] | None = None


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next: str | None = Field(description="The cursor of the next (older) page; null on the "
                                         "last.")
