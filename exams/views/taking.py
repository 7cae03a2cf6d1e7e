"""The trainee's side of exams: the rules, taking an attempt with autosave, and the result.

Exam gold never reaches the browser: pages and JSON answers carry prompts, specs (options,
labels, texts), media and the trainee's own answers, never an item's gold, alternatives,
explanation or per-item grading details.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from flask import (
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import MultiDict

from bootcamp.errors import problem
from bootcamp.extensions import csrf, db
from bootcamp.forms import ActionForm
from bootcamp.page_reads import reads_only
from bootcamp.types import utcnow
from courses import kinds
from courses.media_paths import media_path_problem
from courses.models import Course, Item, MediaFile
from courses.services import catalog, enrolment, manuals, practice
from courses.views.access import viewable_course
from courses.views.answers import parse_answer
from courses.views.media import media_response
from exams import grading
from exams.forms import DisputeForm, RoundRequestForm
from exams.models import Attempt, DisputeStatus, Response
from exams.services import (
    attempts,
    disputes,
    notices,
    qualifications,
    round_requests,
    sequential_exams,
)
from exams.services.settings import settings_for
from exams.services.summary import exam_rules, refresh_rules, status_label
from exams.views import bp
from exams.views.disputes import send_dispute

MAX_SEQ = 2**62


# --- Helpers. ---------------------------------------------------------------------------------

def _iso(moment: datetime | None) -> str:
    """UTC with milliseconds, as JavaScript's Date.parse reads it."""
    if moment is None:
        return ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _own_attempt(attempt_id: int) -> Attempt:
    """The attempt, if it is the current user's; 404 for everyone else."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    return attempt


# --- The exam page: rules, standing, past attempts, notices and disputes. ---------------------

@bp.route("/courses/<slug>/exam")
@login_required
def overview(slug: str):
    course = viewable_course(slug)
    staff = catalog.can_edit(course.id, current_user)
    if not staff and enrolment.enrollment_of(current_user.id, course.id) is None:
        flash("Enrol in this course to take its exam.", "info")
        return redirect(url_for("courses.home", slug=slug))
    context: dict[str, Any] = {"course": course, "rules": exam_rules(course), "staff": staff,
                               "form": ActionForm(), "now_iso": _iso(utcnow())}
    if not staff:
        standing = attempts.standing(current_user, course)
        titles = manuals.latest_section_titles(course)
        qualification = qualifications.qualification_of(current_user.id, course.id)
        if standing.is_refresh and qualification is not None:
            context["refresh_rules"] = refresh_rules(course, qualification)
        if standing.status == qualifications.Status.FAILED:
            context.update(round_request=round_requests.current_request(current_user.id,
                                                                        course.id),
                           round_form=RoundRequestForm())
        context.update(
            standing=standing, status_label=status_label(standing.status),
            qualification=qualification,
            past=_past_attempts(course),
            notices=notices.recent_notices(current_user.id, course.id),
            disputes=_disputes_with_items(course),
            retry_iso=_iso(standing.retry_at), section_titles=titles,
            refresh=standing.is_refresh,
        )
    return render_template("exams/overview.html", **context)


def _past_attempts(course: Course) -> list[tuple[Attempt, float | None]]:
    """The trainee's graded attempts with their scores, None where the result page keeps the
    score to itself (a sequential attempt's; one of fewer than grading.MIN_GROUP items)."""
    past = [a for a in attempts.attempts_of(current_user.id, course.id) if not a.is_open]
    counts = attempts.item_counts([a.id for a in past])
    return [(a, None if a.is_sequential or counts.get(a.id, 0) < grading.MIN_GROUP
             else a.score) for a in past]


def _disputes_with_items(course: Course) -> list[tuple[Any, Item | None]]:
    found = disputes.disputes_of(course, user=current_user)
    return [(d, db.session.get(Item, d.item_id)) for d in found]


@bp.route("/courses/<slug>/exam/start", methods=["POST"])
@login_required
def start(slug: str):
    course = viewable_course(slug)
    if catalog.can_edit(course.id, current_user):
        flash("Staff cannot take the exam: it is for enrolled trainees.", "info")
        return redirect(url_for("exams.overview", slug=slug))
    if enrolment.enrollment_of(current_user.id, course.id) is None:
        flash("Enrol in this course to take its exam.", "info")
        return redirect(url_for("courses.home", slug=slug))
    try:
        attempt = attempts.start(current_user, course)
    except attempts.StartRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("exams.overview", slug=slug))
    db.session.commit()
    return redirect(url_for("exams.take", attempt_id=attempt.id))


# --- Taking an attempt. -----------------------------------------------------------------------

@bp.route("/attempts/<int:attempt_id>")
@reads_only
@login_required
def take(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    if not attempt.is_open or attempts.is_past_deadline(attempt, utcnow()):
        return redirect(url_for("exams.result", attempt_id=attempt.id))  # the sweep grades it
    course = db.session.get(Course, attempt.course_id)
    graded = attempts.graded_items(attempt)
    drawn, answered = len(graded), None
    if attempt.is_sequential:  # only the block being answered; earlier ones are decided on
        answered, start = sequential_exams.progress(attempt, drawn)
        graded = [(response, item) for response, item in graded if response.position >= start]
    rows = [(response, item, _attempt_media_url(attempt, item.media) if item.media else None)
            for response, item in graded]
    return render_template(
        "exams/take.html", course=course, attempt=attempt, rows=rows, form=ActionForm(),
        deadline_iso=_iso(attempt.deadline), now_iso=_iso(utcnow()),
        drawn=drawn, answered=answered,
        uses_widgets=any(kinds.kind_of(item.kind).widget for _, item, _ in rows),
    )


def _attempt_media_url(attempt: Attempt, path: str) -> str:
    if not path.startswith("media/"):
        return path  # an absolute URL given by the item
    return url_for("exams.attempt_media", attempt_id=attempt.id, name=path[len("media/"):])


@bp.route("/attempts/<int:attempt_id>/media/<path:name>")
@login_required
def attempt_media(attempt_id: int, name: str):
    """The picture of an item of the trainee's open attempt (exam-only media are not served
    by the course's media route, so that nobody studies them before the exam). A name that is
    not canonical is refused before any lookup, like the course's media route does."""
    path = f"media/{name}"
    if media_path_problem(path):
        abort(404)
    attempt = _own_attempt(attempt_id)
    if not attempt.is_open or not any(item.media == path
                                      for _, item in attempts.graded_items(attempt)):
        abort(404)
    file = db.session.scalar(db.select(MediaFile).where(
        MediaFile.course_id == attempt.course_id, MediaFile.path == path))
    if file is None:
        abort(404)
    return media_response(file)


@bp.route("/attempts/<int:attempt_id>/answers/<int:position>", methods=["PUT"])
@csrf.exempt  # checked below, so that a refusal is a JSON problem like every other error
def save_answer(attempt_id: int, position: int):
    if not current_user.is_authenticated:
        return problem(401, "Not logged in", "Log in again, then reload the exam page.")
    try:
        csrf.protect()
    except CSRFError as error:
        return problem(400, "Missing or invalid CSRF token",
                       f"{error.description} Reload the page and try again.")
    attempt = attempts.lock_attempt(attempt_id)  # the one lock, held until the commit
    if attempt is None or attempt.user_id != current_user.id:
        db.session.rollback()  # another's attempt: let it go at once
        return problem(404, "No such attempt", "This attempt does not exist.")
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or "answer" not in body:
        return problem(400, "Malformed request",
                       'Send JSON like {"answer": ..., "seq": 1}.')
    seq = body.get("seq")
    if type(seq) is not int or not 0 < seq < MAX_SEQ:
        return problem(400, "Malformed request", "seq must be a positive whole number.")
    try:
        response = attempts.save_locked_answer(attempt, position, body["answer"], seq)
    except LookupError:
        db.session.rollback()
        return problem(404, "No such item", f"This attempt has no item {position}.")
    except attempts.ItemLocked as locked:
        db.session.rollback()
        return problem(403, "Item decided on", str(locked))
    except attempts.AttemptClosed as closed:
        db.session.rollback()
        return problem(409, "Attempt closed", str(closed))
    except practice.AnswerRefused as refused:
        db.session.rollback()
        return problem(400, "Answer refused", str(refused))
    payload = {"position": response.position, "seq": response.answer_seq,
               "saved_at": _iso(response.saved_at)}
    db.session.commit()
    return jsonify(payload)


def _save_posted_answers(attempt: Attempt) -> int:
    """Keep the answers a plain form post carries (the page without JavaScript); how many
    could not be read."""
    if attempts.is_past_deadline(attempt, utcnow(), attempts.SAVE_GRACE):
        return 0
    seq = min(int(time.time() * 1000), MAX_SEQ - 1)
    refused = 0
    for response, item in attempts.graded_items(attempt):
        field = f"answer-{response.position}"
        if field not in request.form:
            continue
        values = MultiDict([("answer", value) for value in request.form.getlist(field)])
        try:
            answer = parse_answer(item.kind, values)
            if (answer == [] and response.answer is None
                    and kinds.kind_of(item.kind).reader == "json"):
                continue  # an untouched drawing tool: still not answered
            attempts.save_answer(attempt, response.position, answer, seq)
        except practice.AnswerRefused:
            refused += 1
        except attempts.ItemLocked:
            continue  # a page of a block decided on already (another tab went on)
        except attempts.AttemptClosed:
            break
    return refused


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@login_required
def submit(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    if attempt.is_open:
        refused = _save_posted_answers(attempt)
        if refused:
            flash(f"{refused} answer{'' if refused == 1 else 's'} could not be read and "
                  f"{'was' if refused == 1 else 'were'} not kept.", "error")
        if attempt.is_sequential:  # "Next items": decide, then end or draw the next block
            attempt = sequential_exams.advance(attempt, _shown())
        else:
            late = attempts.is_past_deadline(attempt, utcnow())  # the page submits at zero
            attempts.submit(attempt, closed_by="deadline" if late else "trainee")
        db.session.commit()
        if attempt.is_open:
            return redirect(url_for("exams.take", attempt_id=attempt.id))
    return redirect(url_for("exams.result", attempt_id=attempt.id))


def _shown() -> int | None:
    """How many items a sequential attempt had drawn when the posting page showed them."""
    value = request.form.get("drawn", "")
    return int(value) if value.isdigit() and len(value) < 6 else None


# --- The result. ------------------------------------------------------------------------------

@bp.route("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int):
    attempt = db.session.get(Attempt, attempt_id)
    staff = attempt is not None and catalog.can_edit(attempt.course_id, current_user)
    if attempt is None or (attempt.user_id != current_user.id and not staff):
        abort(404)
    own = attempt.user_id == current_user.id
    if attempt.is_open:  # its own trainee's is closed by the sweep before this page if time is up
        if own:
            return redirect(url_for("exams.take", attempt_id=attempt.id))
        abort(404)
    course = db.session.get(Course, attempt.course_id)
    rows = attempts.graded_items(attempt)
    titles = manuals.latest_section_titles(course)
    outcome = attempts.result_of(attempt, rows, list(titles))
    context: dict[str, Any] = {}
    if own:
        # The trainee sees only what cannot be narrowed down to one item (exams.grading).
        detail = settings_for(course).result_detail
        shown = (grading.disclose_sequential(outcome.passed, attempts.stored_grades(rows), detail,
                                             list(titles))
                 if attempt.is_sequential else grading.disclose(outcome, attempt.pass_mark,
                                                                detail))
        standing = attempts.standing(current_user, course)
        context.update(shown=shown, groups=[(_named(g.sections, titles), g) for g in shown.groups],
                       standing=standing, status_label=status_label(standing.status),
                       qualification=qualifications.qualification_of(current_user.id, course.id),
                       retry_iso=_iso(standing.retry_at), now_iso=_iso(utcnow()),
                       open_disputes={d.item_id for d in disputes.disputes_of(
                           course, user=current_user) if d.status == DisputeStatus.OPEN})
    else:  # staff see everything, item by item
        by_key = {item.key: item for _, item in rows}
        context.update(critical=_critical_sections(outcome.critical_missed, by_key, titles),
                       sections=[(s, _named((s.section,), titles)[0]) for s in outcome.sections])
    if attempt.is_sequential:
        context["ending"] = (sequential_exams.trainee_ending(attempt, len(rows)) if own
                             else sequential_exams.ending(attempt, rows))
    return render_template(
        "exams/result.html", course=course, attempt=attempt, outcome=outcome, own=own,
        rows=[(response, item, kinds.answer_summary(item.kind, item.spec, response.answer))
              for response, item in rows],
        form=ActionForm(), **context,
    )


def _named(sections: tuple[str, ...], titles: dict[str, str]) -> list[tuple[str | None, str]]:
    """(anchor, title) per section id: no anchor for a section the latest manual lacks, and
    "" stands for the items that test no section."""
    return [(section, titles[section]) if section in titles
            else (None, section or "items on no manual section") for section in sections]


def _critical_sections(missed: tuple[str, ...], by_key: dict[str, Item],
                       titles: dict[str, str]) -> list[tuple[str, str]]:
    """The manual sections the missed critical items test, for staff (a trainee's result
    names sections only through grading.disclose's groups)."""
    sections = dict.fromkeys(section for key in missed if key in by_key
                             for section in by_key[key].sections if section in titles)
    return [(section, titles[section]) for section in sections]


@bp.route("/attempts/<int:attempt_id>/items/<int:position>/dispute", methods=["POST"])
@login_required
def dispute_exam_item(attempt_id: int, position: int):
    attempt = _own_attempt(attempt_id)
    if attempt.is_open:
        abort(404)
    response = db.session.scalar(db.select(Response).where(
        Response.attempt_id == attempt.id, Response.position == position))
    if response is None:
        abort(404)
    item = db.session.get(Item, response.item_id)
    back = url_for("exams.result", attempt_id=attempt.id, _anchor=f"item-{position}")
    form = DisputeForm()
    refusal = form.refusal()
    if refusal:
        flash(refusal, "error")
        return redirect(back)
    return send_dispute(form, item, response.answer, back,
                        f"Thanks: your dispute about item {position} was sent to the "
                        "instructors. You will see their answer on the exam page.",
                        response=response)

