"""API: the event feed, for replay and catch-up: the same events the webhooks carry."""

from __future__ import annotations

from bootcamp.api import bp
from bootcamp.api.auth import current_client, require_scope
from bootcamp.api.feed import event_data, events_for
from bootcamp.api.responses import documented, json_body
from bootcamp.api.schemas import EventPage, EventQuery, FeedEvent
from bootcamp.api.spec import spec


@bp.get("/events")
@require_scope("events:read")
@spec.validate(query=EventQuery, resp=documented(HTTP_200=EventPage), tags=["events"])
def list_events(query: EventQuery):
    """Events about your linked workers and course-wide ones, oldest first, after `after`.

    Each event's `id` is the `webhook-id` of its deliveries; `seq` only increases: keep the
    last one you handled and ask again with `after` set to it. Events are kept at least 30
    days.
    """
    found = events_for(current_client().id, query.after, query.limit + 1)
    page = found[:query.limit]
    items = [FeedEvent(id=event.public_id, seq=event.id, type=event.type,
                       timestamp=event.created_at, data=event_data(event, external_id))
             for event, external_id in page]
    more = len(found) > query.limit
    return json_body(EventPage(items=items, next=page[-1][0].id if more else None))
