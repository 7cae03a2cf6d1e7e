"""`bootcamp exams sweep`: attempts past their deadline are graded, lapsed qualifications expire.
`bootcamp exams characteristics`: a sequential exam's exact characteristics, as a table.

Self-contained: the course is the clothing-tagging example bundle (with its exam block, a
sequential exam, and exam items), imported through the bundle service.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bootcamp.demo_cohorts import take_exam
from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import User
from courses.models import Course
from courses.services.bundles import import_bundle
from exams.cli import exams_cli
from exams.models import Attempt, AttemptState, Qualification, QualificationStatus
from exams.rules import DEFAULTS, SEQUENTIAL_FIELDS
from exams.sequential import SequentialRules, characteristics
from exams.services import attempts, settings

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "clothing-tagging"


def _course(app) -> int:
    with app.app_context():
        course = import_bundle(EXAMPLE, actor=None).course
        db.session.commit()
        return course.id


def _fixed(app, course_id: int) -> None:
    """Make the course's exam fixed-length, with the default sequential settings."""
    with app.app_context():
        course = db.session.get(Course, course_id)
        rules = dataclasses.replace(
            settings.rules_of(settings.settings_for(course)), mode="fixed",
            **{name: getattr(DEFAULTS, name) for name in SEQUENTIAL_FIELDS})
        settings.save_settings(course, rules, None)
        db.session.commit()


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
        now = utcnow()
        take_exam(attempt, lambda item, _: item.gold, answered_at=lambda: now,
                  handed_in_at=lambda: now)  # block by block: the exam is sequential
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


def characteristics_output(*args: str, exit_code: int = 0) -> str:
    result = CliRunner().invoke(exams_cli, ["characteristics", *args])
    assert result.exit_code == exit_code, result.output
    return result.output


def test_characteristics_of_the_issues_example_as_bootcamp_prints_them(app):
    result = app.test_cli_runner().invoke(args=["exams", "characteristics"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Sequential exam: p0 0.70, p1 0.85, alpha 0.050, beta 0.050; "
                               "10 to 123 items, at 123 a pass needs 78.1% right.")
    assert lines[1].startswith("Max items 123 is the fewest that keeps the error rates: "
                               "alpha 0.0492, beta 0.0448 (nominal 0.0500, 0.0500;")
    assert lines[2].split() == ["accuracy", "pass", "probability", "expected", "items",
                                "95th", "percentile", "items"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[3:-1]}
    assert list(rows) == [f"{0.5 + 0.05 * i:.3f}" for i in range(11)]
    assert rows["0.700"] == ["0.0492", "40.3", "101"]
    assert rows["0.850"] == ["0.9552", "45.2", "103"]
    assert lines[-1] == ("Fixed-length equivalent: 85 items, passed with 67 right "
                         "(pass rate 0.0455 at p0, 0.9543 at p1).")


def test_characteristics_for_given_settings_and_accuracies():
    output = characteristics_output("--p0", "0.6", "--p1", "0.8", "--alpha", "0.1",
                                    "--min-items", "5", "--max-items", "40", "--cut", "0.7",
                                    "--accuracy", "0.65", "--accuracy", "0.9")
    assert "5 to 40 items, at 40 a pass needs 70.0% right." in output
    assert "Max items" not in output  # given, not chosen
    rows = [line.split() for line in output.splitlines()[2:4]]
    rules = SequentialRules(p0=0.6, p1=0.8, alpha=0.1, min_items=5, max_items=40, cut=0.7)
    expected = characteristics(rules, [0.65, 0.9])
    assert rows == [[f"{row.accuracy:.3f}", f"{row.pass_probability:.4f}",
                     f"{row.expected_items:.1f}", str(row.items_p95)] for row in expected]


@pytest.mark.parametrize(("args", "words"), [
    (["--p1", "0.6"], "Invalid value for --p1: must be above p0"),
    (["--max-items", "501"], "Invalid value for --max-items: must be a whole number of at most"),
    (["--alpha", "0.5"], "Invalid value for --alpha: must lie strictly between 0 and 0.5"),
    (["--beta", "0.3"], "Invalid value for --max-items: no maximum up to 500 items keeps the "
                        "error rates: at 500 items they are alpha 0.0519"),
])
def test_characteristics_refuses_settings_out_of_bounds(args, words):
    assert words in characteristics_output(*args, exit_code=2)


def course_characteristics(app, *args: str, exit_code: int = 0) -> list[str]:
    result = app.test_cli_runner().invoke(args=["exams", "characteristics", *args])
    assert result.exit_code == exit_code, result.output
    return result.output.splitlines()


def test_characteristics_of_a_fixed_course_show_what_its_sequential_settings_would_give(app):
    _fixed(app, _course(app))
    lines = course_characteristics(app, "clothing-tagging")
    assert lines[0] == ("Tagging clothing in photos (clothing-tagging) has a fixed-length exam "
                        "(6 items, pass mark 80%); what its sequential settings, with any "
                        "options given, would give:")
    assert lines[1].startswith("Sequential exam: p0 0.70, p1 0.85, alpha 0.050, beta 0.050; "
                               "10 to 123 items")
    rows = {line.split()[0]: line.split()[1:] for line in lines[3:-2]}
    assert rows["0.700"] == ["0.0492", "40.3", "101"]  # the course's max_items: not chosen
    assert lines[-2].startswith("Fixed-length equivalent: ")
    assert lines[-1] == "Stopping at the most items keeps both error rates."


def test_characteristics_of_a_sequential_course_use_its_settings_and_the_options(app):
    course_id = _course(app)
    with app.app_context():
        course = db.session.get(Course, course_id)
        rules = dataclasses.replace(settings.rules_of(settings.settings_for(course)),
                                    mode="sequential", sequential_p0=0.6, sequential_p1=0.8,
                                    sequential_max_items=40, sequential_min_items=5)
        settings.save_settings(course, rules, None)
        db.session.commit()
    lines = course_characteristics(app, "clothing-tagging", "--accuracy", "0.9")
    assert lines[0] == ("Tagging clothing in photos (clothing-tagging) has a sequential exam; "
                        "its settings, with any options given:")
    expected = characteristics(SequentialRules(p0=0.6, p1=0.8, min_items=5, max_items=40),
                               [0.9])[0]
    assert lines[3].split() == ["0.900", f"{expected.pass_probability:.4f}",
                                f"{expected.expected_items:.1f}", str(expected.items_p95)]
    shorter = course_characteristics(app, "clothing-tagging", "--max-items", "12")
    assert "5 to 12 items" in shorter[1]
    assert shorter[-1].startswith("With at most 12 items the sequential exam, computed "
                                  "exactly, passes ")


def test_characteristics_of_an_unknown_course_are_refused(app):
    output = "\n".join(course_characteristics(app, "no-such-course", exit_code=2))
    assert "Invalid value for SLUG: no course has the slug 'no-such-course'" in output
