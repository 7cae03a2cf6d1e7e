"""`bootcamp exams sweep`: attempts past their deadline are graded, lapsed qualifications expire.

Self-contained: the course is the clothing-tagging example bundle (with its exam block and
exam items), imported through the bundle service.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import User
from courses.models import Course, Item
from courses.services.bundles import import_bundle
from exams.models import Attempt, AttemptState, Qualification, QualificationStatus
from exams.services import attempts

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "clothing-tagging"


def _course(app) -> int:
    with app.app_context():
        course = import_bundle(EXAMPLE, actor=None).course
        db.session.commit()
        return course.id


def sweep(app):
    result = app.test_cli_runner().invoke(args=["exams", "sweep"])
    assert result.exit_code == 0, result.output
    return result.output


def test_sweep_grades_an_attempt_whose_deadline_passed(app, make_user):
    course_id = _course(app)
    trainee, other = make_user(), make_user()
    with app.app_context():
        course = db.session.get(Course, course_id)
        started = utcnow() - timedelta(hours=2)  # the time limit is 20 minutes
        late = attempts.start(db.session.get(User, trainee.id), course, now=started)
        first = late.responses[0]
        attempts.save_answer(late, first.position, None, 1, now=started)
        current = attempts.start(db.session.get(User, other.id), course)  # still running
        db.session.commit()
        late_id, current_id = late.id, current.id

    assert sweep(app) == "Closed 1 expired attempt(s); expired 0 qualification(s).\n"
    with app.app_context():
        graded = db.session.get(Attempt, late_id)
        assert graded.state == AttemptState.GRADED
        assert graded.closed_by == "deadline"
        assert graded.passed is False and graded.score == 0.0
        assert db.session.get(Attempt, current_id).state == AttemptState.OPEN
        status = db.session.scalar(select(Qualification.status).where(
            Qualification.user_id == trainee.id))
        assert status == QualificationStatus.IN_TRAINING  # one attempt of two used
    assert sweep(app).startswith("Closed 0 expired attempt(s)")


def test_sweep_expires_a_qualification_whose_validity_ended(app, make_user):
    course_id = _course(app)
    trainee = make_user()
    with app.app_context():
        course = db.session.get(Course, course_id)
        attempt = attempts.start(db.session.get(User, trainee.id), course)
        for response in attempt.responses:
            gold = db.session.get(Item, response.item_id).gold
            attempts.save_answer(attempt, response.position, gold, 1)
        attempts.submit(attempt)
        qualification = db.session.scalar(select(Qualification).where(
            Qualification.user_id == trainee.id))
        assert qualification.status == QualificationStatus.QUALIFIED
        qualification.expires_at = utcnow() - timedelta(minutes=1)  # a year went by
        db.session.commit()

    assert sweep(app) == "Closed 0 expired attempt(s); expired 1 qualification(s).\n"
    with app.app_context():
        status = db.session.scalar(select(Qualification.status).where(
            Qualification.user_id == trainee.id))
        assert status == QualificationStatus.EXPIRED
