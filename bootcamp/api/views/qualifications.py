"""API: qualifications. A worker's standing in every course, a batch check on one course, and
the bulk sync of every linked worker's records by time of change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_

from bootcamp.api import bp, reads_on_its_own, standings
from bootcamp.api.auth import current_client, current_client_id, require_scope
from bootcamp.api.cursors import BadCursor, make_cursor, read_cursor
from bootcamp.api.responses import documented, json_body, with_etag
from bootcamp.api.schemas import (
    CheckRequest,
    CheckResponse,
    CheckResult,
    Problem,
    Standing,
    SyncItem,
    SyncPage,
    SyncQuery,
    WorkerQualifications,
)
from bootcamp.api.spec import spec
from bootcamp.errors import problem
from bootcamp.extensions import db
from bootcamp.types import utcnow
from courses.models import Course
from exams.models import Qualification

READ = "qualifications:read"
SYNC_CURSOR = "qualifications"


@bp.get("/workers/<external_id>/qualifications")
@require_scope(READ)
# Nothing to validate on the way in, and the answer is the model's own dump: spectree need
# not parse it again, nor wrap the view (it still documents it).
@spec.describe(resp=documented(HTTP_200=WorkerQualifications,
                               HTTP_304=(None, "Unchanged since the ETag sent in "
                                               "If-None-Match."),
                               HTTP_404=(Problem, "No worker of yours has this id.")),
               tags=["qualifications"])
@reads_on_its_own
def worker_qualifications(external_id: str):
    """A worker's standing in every course they are enrolled in or have a record for.

    The answer carries a strong ETag: send it back in If-None-Match to get a 304 while nothing
    changed. Statuses are as of now: a qualification whose validity ended shows as expired.
    """
    rows = standings.worker_standings(current_client_id(), external_id, utcnow())
    if rows is None:
        return problem(404, "Unknown worker", f"No worker of yours has the id {external_id!r}: "
                       "link it with POST /api/v1/workers.")
    return with_etag(WorkerQualifications(external_id=external_id, qualifications=rows))


@bp.post("/qualifications/check")
@require_scope(READ)
@spec.validate(json=CheckRequest,
               resp=documented(HTTP_200=CheckResponse,
                               HTTP_404=(Problem, "There is no course with this slug.")),
               tags=["qualifications"])
def check(json: CheckRequest):
    """Gate a batch of up to 1,000 workers on one course: one answer per id, in order.

    An id not linked to a worker of yours answers `unknown_worker`.
    """
    found = standings.check_standings(current_client_id(), json.course, json.external_ids,
                                      utcnow())
    if found is None:
        return problem(404, "Unknown course", f"There is no course {json.course!r}.")
    slug, standings_by_id = found
    results = [check_result(external_id, standings_by_id.get(external_id))
               for external_id in json.external_ids]
    return CheckResponse(course=slug, results=results)  # spectree dumps it, unparsed again


# What a check result repeats of a Standing (the lookup's answer for one course).
CHECK_FIELDS = tuple(name for name in CheckResult.model_fields
                     if name in Standing.model_fields and name != "course")


def check_result(external_id: str, standing: dict | None) -> CheckResult:
    """One worker's answer to the batch check, from their Standing in the course (None: no
    worker of this client has the id). `qualified` is status == qualified, and only that:
    needs_refresh reads false (docs/api.md says why and what to do instead)."""
    if standing is None:
        return CheckResult(external_id=external_id, status="unknown_worker", qualified=False)
    return CheckResult(external_id=external_id, qualified=standing["status"] == "qualified",
                       **{name: standing[name] for name in CHECK_FIELDS})


@bp.get("/qualifications")
@require_scope(READ)
@spec.validate(query=SyncQuery,
               resp=documented(HTTP_200=SyncPage,
                               HTTP_400=(Problem, "The cursor is not one this server gave.")),
               tags=["qualifications"])
def sync(query: SyncQuery):
    """Bulk sync: the qualification records of your linked workers, oldest change first.

    Pages are cut by a keyset cursor on (updated_at, id): follow `next` until it is null. No
    record is skipped or repeated within the pages as they stand; a record that changes after
    you read it moves past the cursor and comes again, with its new state, on a later page.
    Workers with no record yet (enrolled, not yet examined) are not listed: ask
    /workers/{external_id}/qualifications.
    """
    now = utcnow()
    statement = standings.sync_query(current_client().id)
    if query.course is not None:
        statement = statement.where(Course.slug == query.course)
    if query.status is not None:
        statement = statement.where(standings.shown_status_is(query.status, now))
    if query.updated_after is not None:
        statement = statement.where(Qualification.updated_at > query.updated_after)
    if query.cursor is not None:
        try:
            after = _position(read_cursor(SYNC_CURSOR, query.cursor))
        except BadCursor as error:
            return problem(400, "Invalid cursor", str(error))
        statement = statement.where(_after(*after))
    found = db.session.execute(statement.order_by(Qualification.updated_at, Qualification.id)
                               .limit(query.limit + 1)).all()
    page = found[:query.limit]
    rows = [standings.Row(qualification.user_id, course, qualification, granted, current,
                          settings, None)
            for qualification, _, course, granted, current, settings in page]
    items = [SyncItem(external_id=external_id, **entry)
             for (_, external_id, *_), entry in zip(page, standings.standings(rows, now),
                                                    strict=True)]
    next_cursor = None
    if len(found) > query.limit:
        last = page[-1][0]
        next_cursor = make_cursor(SYNC_CURSOR, [last.updated_at.isoformat(), last.id])
    return json_body(SyncPage(items=items, next=next_cursor))


def _position(position: list) -> tuple[datetime, int]:
    try:
        moment, row_id = position
        return datetime.fromisoformat(moment), int(row_id)
    except (TypeError, ValueError) as exc:
        raise BadCursor("This cursor is not valid.") from exc


def _after(moment: datetime, row_id: int):
    """Rows after (moment, row_id) in (updated_at, id) order."""
    return or_(Qualification.updated_at > moment,
               and_(Qualification.updated_at == moment, Qualification.id > row_id))

