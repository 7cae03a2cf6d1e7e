"""Instructor pages for exams: settings, qualifications (revoke, reinstate), the dispute queue.

Also the trainee's "Dispute this item" from practice feedback, which posts here.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from bootcamp.events import Event
from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.access import role_required
from bootcamp.users.models import Role, User
from courses.models import Course, Enrollment, Item, ManualVersion
from courses.services import enrolment, manuals, practice
from courses.views.access import editable_course, media_prefix, viewable_course
from exams.forms import (
    DisputeForm,
    ExamSettingsForm,
    ReasonForm,
    ResolveDisputeForm,
    parse_quotas,
    quotas_text,
)
from exams.models import Dispute, DisputeStatus, Qualification
from exams.services import attempts, disputes, qualifications
from exams.services import settings as exam_settings
from exams.services.qualifications import LABELS, Status
from exams.views import bp

staff_only = role_required(Role.INSTRUCTOR)


@bp.app_template_global("open_dispute_counts")
def open_dispute_counts(course_ids: list[int]) -> dict[int, int]:
    """Open disputes per course, for the course management page (one query)."""
    if not course_ids:
        return {}
    return dict(db.session.execute(
        select(Dispute.course_id, func.count())
        .where(Dispute.course_id.in_(course_ids), Dispute.status == DisputeStatus.OPEN)
        .group_by(Dispute.course_id)).all())


# ---------------------------------------------------------------------------------------------
# Exam settings


def _fill(form: ExamSettingsForm, stored, sections: dict[str, str]) -> None:
    form.item_count.data = stored.item_count
    form.quotas.data = quotas_text(stored.quotas, list(sections))
    form.shuffle.data = stored.shuffle
    form.pass_mark.data = round(stored.pass_mark * 100, 4)
    form.critical_rule.data = stored.critical_rule
    form.result_detail.data = str(stored.result_detail)
    form.time_limit_minutes.data = (stored.time_limit_seconds // 60
                                    if stored.time_limit_seconds else None)
    form.attempts_allowed.data = stored.attempts_allowed
    form.retry_delay_hours.data = round(stored.retry_delay_seconds / 3600, 4)
    form.validity_days.data = stored.validity_days
    form.refresh_item_count.data = stored.refresh_item_count
    form.refresh_grace_days.data = stored.refresh_grace_days


def _rules(form: ExamSettingsForm, quotas: dict[str, int]) -> exam_settings.ExamRules:
    minutes = form.time_limit_minutes.data
    return exam_settings.ExamRules(
        item_count=form.item_count.data, quotas=quotas, shuffle=bool(form.shuffle.data),
        pass_mark=round(form.pass_mark.data / 100, 6), critical_rule=bool(form.critical_rule.data),
        time_limit_seconds=minutes * 60 if minutes else None,
        attempts_allowed=form.attempts_allowed.data,
        retry_delay_seconds=round(form.retry_delay_hours.data * 3600),
        validity_days=form.validity_days.data, refresh_item_count=form.refresh_item_count.data,
        refresh_grace_days=form.refresh_grace_days.data, result_detail=form.result_detail.data)


@bp.route("/courses/<slug>/exam/settings", methods=["GET", "POST"])
@staff_only
def settings(slug: str):
    course = editable_course(slug)
    stored = exam_settings.settings_for(course)
    sections = practice.section_titles(course)
    form = ExamSettingsForm()
    problems: list[str] = []
    if form.is_submitted():
        quotas, quota_problems = parse_quotas(form.quotas.data or "", sections)
        valid = form.validate()
        form.quotas.errors = [*form.quotas.errors, *quota_problems]
        if valid and not quota_problems:
            rules = _rules(form, quotas)
            problems = exam_settings.rule_problems(rules)
            if not problems:
                exam_settings.save_settings(course, rules, current_user)
                db.session.commit()
                flash("Exam settings saved.", "success")
                return redirect(url_for("exams.settings", slug=slug))
    else:
        _fill(form, stored, sections)
    pool = exam_settings.exam_pool(course)
    return render_template(
        "exams/manage_settings.html", course=course, form=form, problems=problems,
        sections=sections, pool_size=len(pool),
        readiness=exam_settings.readiness_problems(course, stored), saved=stored.id is not None,
        in_practice=exam_settings.exam_items_in_practice(course),
        disclosure=exam_settings.disclosure_warnings(stored, len(pool)))


# ---------------------------------------------------------------------------------------------
# Qualifications


def _trainee_rows(course: Course) -> list[dict]:
    """Every enrolled trainee and everyone with a qualification record, by email."""
    found = db.session.execute(
        select(User, Qualification, ManualVersion.number)
        .outerjoin(Enrollment, (Enrollment.user_id == User.id)
                   & (Enrollment.course_id == course.id))
        .outerjoin(Qualification, (Qualification.user_id == User.id)
                   & (Qualification.course_id == course.id))
        .outerjoin(ManualVersion, ManualVersion.id == Qualification.manual_version_id)
        .where((Enrollment.id.is_not(None)) | (Qualification.id.is_not(None)))
        .order_by(User.email)).all()
    without = [user.id for user, qualification, _ in found if qualification is None]
    started = set(db.session.scalars(
        select(Event.user_id).where(Event.course_id == course.id,
                                    Event.kind.in_(qualifications.STARTED_EVENTS),
                                    Event.user_id.in_(without)).distinct())) if without else set()
    now = utcnow()
    return [{"user": user, "qualification": qualification, "version": version,
             "status": qualifications.shown_status(qualification, user.id in started, now)}
            for user, qualification, version in found]


@bp.route("/courses/<slug>/qualifications", endpoint="qualifications")
@staff_only
def qualifications_list(slug: str):
    course = editable_course(slug)
    rows = _trainee_rows(course)
    counts = dict.fromkeys(Status, 0)
    for row in rows:
        counts[row["status"]] += 1
    wanted = request.args.get("status", "")
    chosen = Status(wanted) if wanted in {s.value for s in Status} else None
    shown = [row for row in rows if chosen is None or row["status"] == chosen]
    return render_template("exams/manage_qualifications.html", course=course, rows=shown,
                           total=len(rows), counts=counts, chosen=chosen, labels=LABELS)


def _trainee(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _render_qualification(course: Course, user: User, revoke_form: ReasonForm | None = None,
                          reinstate_form: ReasonForm | None = None):
    status, qualification = qualifications.standing(user.id, course.id)  # applies an expiry
    changes = qualifications.history(qualification) if qualification else []
    actor_ids = {change.actor_id for change in changes if change.actor_id}
    actors = ({u.id: u for u in db.session.scalars(select(User).where(User.id.in_(actor_ids)))}
              if actor_ids else {})
    version = (db.session.get(ManualVersion, qualification.manual_version_id)
               if qualification and qualification.manual_version_id else None)
    return render_template(
        "exams/manage_qualification.html", course=course, trainee=user,
        qualification=qualification, status=status, labels=LABELS, changes=changes,
        actors=actors, version=version, attempts=attempts.attempts_of(user.id, course.id),
        can_revoke=status != Status.REVOKED,
        can_reinstate=status in (Status.REVOKED, Status.FAILED),
        revoke_form=revoke_form or ReasonForm(prefix="revoke", formdata=None),
        reinstate_form=reinstate_form or ReasonForm(prefix="reinstate", formdata=None))


@bp.route("/courses/<slug>/qualifications/<int:user_id>")
@staff_only
def qualification(slug: str, user_id: int):
    course = editable_course(slug)
    return _render_qualification(course, _trainee(user_id))


def _act(slug: str, user_id: int, action: str):
    course = editable_course(slug)
    user = _trainee(user_id)
    form = ReasonForm(prefix=action)
    if not form.validate_on_submit():
        forms = {f"{action}_form": form}
        return _render_qualification(course, user, **forms)
    row, created = qualifications.locked(user.id, course.id)
    if created and not qualifications.has_started(user.id, course.id):
        row.status = Status.NOT_STARTED
    try:
        if action == "revoke":
            qualifications.revoke(row, form.reason.data, current_user)
        else:
            qualifications.reinstate(row, form.reason.data, current_user)
    except qualifications.QualificationError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        done = "revoked" if action == "revoke" else f"reinstated: now “{LABELS[row.status]}”"
        flash(f"The qualification of {user.email} was {done}.", "success")
    return redirect(url_for("exams.qualification", slug=slug, user_id=user.id))


@bp.route("/courses/<slug>/qualifications/<int:user_id>/revoke", methods=["POST"])
@staff_only
def revoke(slug: str, user_id: int):
    return _act(slug, user_id, "revoke")


@bp.route("/courses/<slug>/qualifications/<int:user_id>/reinstate", methods=["POST"])
@staff_only
def reinstate(slug: str, user_id: int):
    return _act(slug, user_id, "reinstate")


# ---------------------------------------------------------------------------------------------
# Disputes


@bp.route("/courses/<slug>/disputes", endpoint="disputes")
@staff_only
def disputes_queue(slug: str):
    course = editable_course(slug)
    item = None
    if request.args.get("item"):
        item = db.session.scalar(select(Item).where(Item.course_id == course.id,
                                                    Item.key == request.args["item"]))
        if item is None:
            abort(404)
    listed = disputes.disputes_of(course, item=item)
    keys = dict(db.session.execute(select(Item.id, Item.key).where(
        Item.id.in_({d.item_id for d in listed}))).all()) if listed else {}
    users = ({u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_({d.user_id for d in listed})))} if listed else {})
    return render_template("exams/manage_disputes.html", course=course,
                           queue=disputes.queue(course), disputes=listed, item=item,
                           keys=keys, users=users)


def _dispute(course: Course, dispute_id: int) -> Dispute:
    dispute = db.session.get(Dispute, dispute_id)
    if dispute is None or dispute.course_id != course.id:
        abort(404)
    return dispute


def _answer_view(item: Item, answer):
    """The score of the disputed answer under the current gold, when it can be drawn."""
    if answer is None:
        return None
    score = attempts.score_response(item, answer)
    return None if "invalid" in (score.details or {}) else score


def _render_dispute(course: Course, dispute: Dispute, form: ResolveDisputeForm | None = None):
    item = db.session.get(Item, dispute.item_id)
    trouble = next((row for row in disputes.queue(course) if row.item.id == item.id), None)
    media_url = (manuals.media_url_for(media_prefix(course))(item.media) if item.media
                 else None)
    return render_template(
        "exams/manage_dispute.html", course=course, dispute=dispute, item=item,
        trainee=db.session.get(User, dispute.user_id), trouble=trouble,
        resolver=db.session.get(User, dispute.resolved_by_id) if dispute.resolved_by_id else None,
        score=_answer_view(item, dispute.answer), media_url=media_url,
        form=form or ResolveDisputeForm(formdata=None))


@bp.route("/courses/<slug>/disputes/<int:dispute_id>")
@staff_only
def dispute(slug: str, dispute_id: int):
    course = editable_course(slug)
    return _render_dispute(course, _dispute(course, dispute_id))


@bp.route("/courses/<slug>/disputes/<int:dispute_id>/resolve", methods=["POST"])
@staff_only
def resolve_dispute(slug: str, dispute_id: int):
    course = editable_course(slug)
    found = _dispute(course, dispute_id)
    form = ResolveDisputeForm()
    valid = form.validate_on_submit()
    if valid and form.action.data == "reject" and not form.reply.data:
        form.reply.errors = [*form.reply.errors, "Write a reply: the trainee sees it."]
        valid = False
    if not valid:
        return _render_dispute(course, found, form)
    action = form.action.data
    try:
        if action == "reject":
            disputes.reject(found, current_user, form.reply.data)
            message = "Dispute rejected; the trainee will see your reply."
        else:
            resolution = (disputes.ALTERNATIVE if action == "accept_alternative"
                          else disputes.CORRECTED)
            summary = disputes.accept(found, resolution, current_user, form.reply.data or "")
            message = (f"Dispute accepted. Regraded {summary.attempts} "
                       f"attempt{'' if summary.attempts == 1 else 's'} "
                       f"({summary.flipped} changed between pass and fail) and "
                       f"{summary.practice_answers} practice "
                       f"answer{'' if summary.practice_answers == 1 else 's'}.")
    except disputes.DisputeRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("exams.dispute", slug=slug, dispute_id=dispute_id))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("exams.disputes", slug=slug))


# ---------------------------------------------------------------------------------------------
# A trainee disputes a practice item from its feedback


@bp.route("/courses/<slug>/practice/<module>/<item_key>/dispute", methods=["POST"])
@login_required
def dispute_practice_item(slug: str, module: str, item_key: str):
    course = viewable_course(slug)
    back = url_for("courses.practice_item", slug=slug, module=module, item_key=item_key)
    item = practice.practice_item(course, item_key)
    if item is None:
        abort(404)
    if enrolment.enrollment_of(current_user.id, course.id) is None:
        flash("Only trainees enrolled in the course can dispute its items.", "error")
        return redirect(back)
    form = DisputeForm()
    if not form.validate_on_submit():
        flash(" ".join(form.comment.errors) or "The form has expired; try again.", "error")
        return redirect(back)
    answered = disputes.latest_practice_answer(current_user, item)
    if answered is None:
        flash("Answer the item before disputing it.", "error")
        return redirect(back)
    try:
        disputes.open_dispute(current_user, item, answered.answer, form.comment.data,
                              practice_answer=answered)
    except disputes.DisputeRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(back)
    db.session.commit()
    flash("Your dispute was sent to the instructors. You will find their answer on the "
          "course page.", "success")
    return redirect(back)
