"""The qualification endpoints: one worker's standing (ETag, 304), the batch check, and the bulk
sync with its keyset cursor while records change between pages."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import event, select

from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import Role
from exams.models import Qualification, QualificationStatus
from tests.api.conftest import enrol, link_worker, put_record


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def by_course(body: dict) -> dict[str, dict]:
    return {entry["course"]: entry for entry in body["qualifications"]}


def test_a_workers_standing_in_every_course(client, api_world, token):
    response = client.get("/api/v1/workers/w-1/qualifications", headers=token.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["external_id"] == "w-1"
    entries = by_course(body)
    assert list(entries) == ["fresh", "qualified", "refresh", "retry"]  # by slug
    qualified = entries["qualified"]
    assert qualified["status"] == "qualified" and qualified["score"] == 0.9
    assert (qualified["manual_version"], qualified["current_manual_version"]) == (1, 2)
    assert qualified["expires_at"].endswith("Z") and qualified["retry_available_at"] is None
    assert entries["refresh"]["status"] == "needs_refresh"
    assert entries["refresh"]["refresh_due_at"].endswith("Z")
    retry = entries["retry"]
    assert retry["status"] == "in_training"
    assert retry["retry_available_at"] == iso(api_world.failed_at + timedelta(days=1))
    fresh = entries["fresh"]
    assert fresh["status"] == "not_started" and fresh["manual_version"] is None
    assert fresh["current_manual_version"] == 2 and fresh["updated_at"].endswith("Z")


def test_a_lapsed_qualification_shows_as_expired_and_nothing_is_written(app, client, api_world,
                                                                         token):
    with app.app_context():
        record = db.session.scalar(select(Qualification).where(
            Qualification.course_id == api_world.courses["qualified"]))
        record.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    writes = []

    def count(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith("SELECT"):
            writes.append(statement)

    app.config["EXAM_SWEEP_SECONDS"] = 10**9  # the request sweep is not the view
    app.extensions["exam_sweep"] = {"last": float("inf")}
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            body = client.get("/api/v1/workers/w-1/qualifications",
                              headers=token.headers).get_json()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert by_course(body)["qualified"]["status"] == "expired"
    assert [w for w in writes if "api_tokens" not in w] == []


def test_the_lookup_runs_a_few_queries_however_many_courses(app, client, api_world, token,
                                                            make_user):
    def queries() -> int:
        seen = []
        with app.app_context():
            listener = lambda *args: seen.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                assert client.get("/api/v1/workers/w-1/qualifications",
                                  headers=token.headers).status_code == 200
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    app.extensions["exam_sweep"] = {"last": float("inf")}
    before = queries()
    from tests.factories import make_course
    instructor = make_user(Role.INSTRUCTOR)
    for n in range(5):
        course_id = make_course(app, instructor, f"more-{n}")
        enrol(app, api_world.user_id, course_id)
        put_record(app, api_world.user_id, course_id, QualificationStatus.IN_TRAINING)
    assert queries() <= before
    assert before <= 8


def test_etag_and_if_none_match(app, client, api_world, token):
    first = client.get("/api/v1/workers/w-1/qualifications", headers=token.headers)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = client.get("/api/v1/workers/w-1/qualifications",
                       headers={**token.headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    with app.app_context():
        record = db.session.scalar(select(Qualification).where(
            Qualification.course_id == api_world.courses["retry"]))
        record.status = QualificationStatus.FAILED
        db.session.commit()
    changed = client.get("/api/v1/workers/w-1/qualifications",
                         headers={**token.headers, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert by_course(changed.get_json())["retry"]["retry_available_at"] is None


def test_an_unknown_or_another_clients_worker_is_404(app, client, api_world, token, make_token):
    assert client.get("/api/v1/workers/nobody/qualifications",
                      headers=token.headers).status_code == 404
    other = make_token("qualifications:read", client="Other platform")
    response = client.get("/api/v1/workers/w-1/qualifications", headers=other.headers)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 404


def test_the_batch_check_answers_each_id_in_order(app, client, api_world, token, make_user):
    second = make_user(Role.TRAINEE)
    link_worker(app, second.id, "w-2")
    response = client.post("/api/v1/qualifications/check", headers=token.headers,
                           json={"course": "qualified",
                                 "external_ids": ["w-2", "ghost", "w-1", "w-1"]})
    assert response.status_code == 200, response.get_data(as_text=True)
    results = response.get_json()["results"]
    assert [(r["external_id"], r["status"], r["qualified"]) for r in results] == [
        ("w-2", "not_started", False), ("ghost", "unknown_worker", False),
        ("w-1", "qualified", True), ("w-1", "qualified", True)]
    assert results[2]["manual_version"] == 1 and results[2]["current_manual_version"] == 2


def test_the_batch_check_of_a_thousand_runs_a_constant_number_of_queries(app, client,
                                                                         api_world, token):
    ids = [f"x-{n}" for n in range(999)] + ["w-1"]
    seen = []
    app.extensions["exam_sweep"] = {"last": float("inf")}
    with app.app_context():
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            response = client.post("/api/v1/qualifications/check", headers=token.headers,
                                   json={"course": "refresh", "external_ids": ids})
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    assert len(response.get_json()["results"]) == 1000
    assert len(seen) <= 10


def test_the_batch_check_refuses_an_unknown_course_and_too_many_ids(client, api_world, token):
    unknown = client.post("/api/v1/qualifications/check", headers=token.headers,
                          json={"course": "nope", "external_ids": ["w-1"]})
    assert unknown.status_code == 404
    too_many = client.post("/api/v1/qualifications/check", headers=token.headers,
                           json={"course": "qualified",
                                 "external_ids": [str(n) for n in range(1001)]})
    assert too_many.status_code == 422
    assert too_many.mimetype == "application/problem+json"
    assert [e["field"] for e in too_many.get_json()["errors"]] == ["external_ids"]
    empty = client.post("/api/v1/qualifications/check", headers=token.headers,
                        json={"course": "qualified", "external_ids": []})
    assert empty.status_code == 422


# The bulk sync.


def sync_world(app, make_user, count: int) -> list[int]:
    """`count` linked workers with a record each in one course, changed a second apart
    (oldest first); returns the record ids in that order."""
    from tests.factories import make_course
    instructor = make_user(Role.INSTRUCTOR)
    course_id = make_course(app, instructor, "sync", versions=("# Sync {#sync}\n\nText.\n",))
    start = utcnow() - timedelta(hours=1)
    ids = []
    for n in range(count):
        worker = make_user(Role.TRAINEE)
        link_worker(app, worker.id, f"s-{n}")
        status = QualificationStatus.QUALIFIED if n % 2 else QualificationStatus.IN_TRAINING
        ids.append(put_record(app, worker.id, course_id, status,
                              version=1 if n % 2 else None,
                              updated_at=start + timedelta(seconds=n)))
    return ids


def page(client, token, **params) -> dict:
    response = client.get("/api/v1/qualifications", headers=token.headers, query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def touch(app, record_id: int) -> None:
    """A change to the record (as the exam engine would make), which moves updated_at."""
    with app.app_context():
        record = db.session.get(Qualification, record_id)
        record.score = (record.score or 0) + 0.01
        record.updated_at = utcnow()
        db.session.commit()


def test_sync_pages_through_every_record_in_order(app, client, token, make_user):
    sync_world(app, make_user, 7)
    seen, cursor = [], None
    while True:
        body = page(client, token, limit=3, **({"cursor": cursor} if cursor else {}))
        seen += [item["external_id"] for item in body["items"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == [f"s-{n}" for n in range(7)]


def test_rows_changed_between_pages_are_neither_skipped_nor_repeated(app, client, token,
                                                                     make_user):
    """A record changed after it was read comes again later, with its new state; one changed
    before it was reached comes once, at its new place; nothing else moves."""
    ids = sync_world(app, make_user, 6)
    first = page(client, token, limit=2)
    assert [i["external_id"] for i in first["items"]] == ["s-0", "s-1"]
    touch(app, ids[0])  # already read: comes again at the end
    touch(app, ids[3])  # not yet read: skipped where it was, comes at the end once
    seen = [i["external_id"] for i in first["items"]]
    cursor = first["next"]
    while cursor is not None:
        body = page(client, token, limit=2, cursor=cursor)
        seen += [i["external_id"] for i in body["items"]]
        cursor = body["next"]
    assert seen == ["s-0", "s-1", "s-2", "s-4", "s-5", "s-0", "s-3"]
    assert set(seen) == {f"s-{n}" for n in range(6)}  # nothing skipped
    assert seen.count("s-3") == 1


def test_sync_filters_by_course_status_and_time(app, client, token, make_user):
    sync_world(app, make_user, 6)
    qualified = page(client, token, status="qualified")["items"]
    assert [i["external_id"] for i in qualified] == ["s-1", "s-3", "s-5"]
    assert page(client, token, course="nope")["items"] == []
    third = page(client, token)["items"][2]
    later = page(client, token, updated_after=third["updated_at"])
    assert [i["external_id"] for i in later["items"]] == ["s-3", "s-4", "s-5"]


def test_sync_shows_an_unapplied_lapse_as_expired(app, client, token, make_user):
    ids = sync_world(app, make_user, 2)
    with app.app_context():
        db.session.get(Qualification, ids[1]).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert [i["external_id"] for i in page(client, token, status="expired")["items"]] == ["s-1"]
    assert page(client, token, status="qualified")["items"] == []


def test_a_tampered_cursor_is_a_400_problem(app, client, token, make_user):
    sync_world(app, make_user, 3)
    cursor = page(client, token, limit=1)["next"]
    forged = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    response = client.get("/api/v1/qualifications", headers=token.headers,
                          query_string={"cursor": forged})
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_sync_limits_and_bad_parameters_are_422_naming_the_field(client, token):
    for params, field in (({"limit": 0}, "limit"), ({"limit": 1001}, "limit"),
                          ({"status": "happy"}, "status"),
                          ({"updated_after": "yesterday"}, "updated_after")):
        response = client.get("/api/v1/qualifications", headers=token.headers,
                              query_string=params)
        assert response.status_code == 422, params
        assert [e["field"] for e in response.get_json()["errors"]] == [field], params
