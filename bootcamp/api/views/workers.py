"""API: workers. A platform links its own worker id to a trainee (made if needed), enrols
them, and gets a one-time sign-in link to hand to the worker."""

from __future__ import annotations

from flask import request, url_for

from bootcamp.api import bp
from bootcamp.api.auth import current_client, require_scope
from bootcamp.api.responses import documented, json_body
from bootcamp.api.schemas import Problem, ValidationProblem, Worker, WorkerCreated, WorkerRequest
from bootcamp.api.spec import spec
from bootcamp.api.workers import WorkerError, register, request_hash, reserve_key, store_answer
from bootcamp.errors import problem
from bootcamp.extensions import db
from bootcamp.users.sign_in_links import make_link_token

WRITE = "workers:write"
MAX_KEY = 255


@bp.post("/workers")
@require_scope(WRITE)
@spec.validate(json=WorkerRequest,
               resp=documented(
                   HTTP_200=(WorkerCreated, "The external id was already linked: its worker."),
                   HTTP_201=(WorkerCreated, "A new link (and account, if the email had none)."),
                   HTTP_403=(Problem, "The token lacks workers:write, or the email belongs "
                                      "to a staff account."),
                   HTTP_404=(Problem, "A course named is not open (or does not exist)."),
                   HTTP_409=(Problem, "The email's trainee is linked under another id, or a "
                                      "request with the same Idempotency-Key is running."),
                   HTTP_422=(ValidationProblem, "The body does not fit its model, or the "
                                                "Idempotency-Key was used with another "
                                                "body.")),
               tags=["workers"])
def create_worker(json: WorkerRequest):
    """Create a trainee for your worker, or link the existing trainee with this email; enrol
    them in the given open courses; answer a one-time sign-in link (72 hours).

    Idempotent: the same external_id answers the same worker (200). An `Idempotency-Key`
    header replays the first answer given to that key; the same key with another body is 422.
    """
    client = current_client()
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > MAX_KEY:
        return problem(422, "Invalid request", f"Idempotency-Key: at most {MAX_KEY} "
                       "characters.", errors=[{"field": "Idempotency-Key",
                                               "message": f"at most {MAX_KEY} characters"}])
    if key:
        digest = request_hash("POST", "/workers", json.model_dump(mode="json"))
        earlier = reserve_key(client.id, key, digest)
        if earlier is not None:
            db.session.rollback()
            return _replay(earlier, digest)
    try:
        found = register(client, json.external_id, json.email, json.name, json.courses)
    except WorkerError as error:
        db.session.rollback()
        return problem(error.status, error.title, str(error))
    answer = _answer(found, json.courses)
    status = 201 if found.created else 200
    if key:
        store_answer(client.id, key, status, answer.model_dump(mode="json"))
    db.session.commit()
    return json_body(answer, status)


def _answer(found, requested: list[str]) -> WorkerCreated:
    landing = (requested or found.courses or [None])[0]
    token, expires_at = make_link_token(found.user, landing)
    return WorkerCreated(
        worker=Worker(external_id=found.link.external_id, email=found.user.email,
                      name=found.user.name, courses=found.courses),
        sign_in_url=url_for("auth.link_sign_in", token=token, _external=True),
        expires_at=expires_at)


def _replay(earlier, digest: str):
    if earlier.request_hash != digest:
        return problem(422, "Idempotency-Key reused",
                       "This Idempotency-Key was used with another request body.",
                       errors=[{"field": "Idempotency-Key",
                                "message": "used before with another body"}])
    if not earlier.status:  # its first request has not answered yet
        return problem(409, "Request in progress", "A request with this Idempotency-Key is "
                       "still being answered: try again in a moment.")
    response = json_body(WorkerCreated.model_validate(earlier.body), earlier.status)
    response.headers["Idempotent-Replayed"] = "true"
    return response
