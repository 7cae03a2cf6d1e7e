"""The progress pages: who may see them, sorting and filters, the CSV exports (and their guard
against formulas), the training-hours report, and the trainee's own panel on the course home.
The hand-built history is tests/exams/test_progress.py's.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import Role, User
from courses.models import Enrollment
from exams.views.progress import format_duration, safe_cell
from tests.exams.test_progress import SLUG, History, build_history
from tests.factories import signed_in

BASE = f"/courses/{SLUG}"


@pytest.fixture
def history(app, make_user) -> History:
    """The hand-built history, read by the pages at the real clock, long after T: everyone
    neither qualified nor withdrawn has dropped out."""
    return build_history(app, make_user)


@pytest.fixture
def staff_client(app, history):
    return signed_in(app, history.instructor)


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _emails_in_order(body: str, history: History) -> list[str]:
    emails = [history.ada.email, history.ben.email, history.cyd.email, history.dee.email]
    found = {email: body.index(email) for email in emails if email in body}
    return sorted(found, key=found.get)


@pytest.mark.parametrize("path", ["/progress", "/progress.csv", "/hours", "/hours.csv"])
def test_only_the_course_staff_and_admins_get_in(app, client, history, make_user, path):
    assert client.get(BASE + path).status_code == 302  # to log in
    trainee = signed_in(app, history.ada)
    assert trainee.get(BASE + path).status_code == 403
    outsider = signed_in(app, make_user(Role.INSTRUCTOR))
    assert outsider.get(BASE + path).status_code == 403
    assert signed_in(app, make_user(Role.ADMIN)).get(BASE + path).status_code == 200
    assert signed_in(app, history.instructor).get(BASE + path).status_code == 200


def test_the_table_shows_every_trainee_with_their_numbers(staff_client, history):
    body = staff_client.get(BASE + "/progress").get_data(as_text=True)
    assert _emails_in_order(body, history) == sorted(
        [history.ada.email, history.ben.email, history.cyd.email, history.dee.email])
    assert "32 min" in body and "3 of 3" in body and "100%" in body
    assert "Left the course" in body and "Dropped out" in body
    assert 'aria-sort="ascending"' in body  # sorted by trainee


def test_sorting_by_time_on_task_and_the_header_links(staff_client, history):
    body = staff_client.get(BASE + "/progress?sort=time&dir=desc").get_data(as_text=True)
    assert _emails_in_order(body, history)[0] == history.ada.email
    assert re.search(r'<th scope="col" aria-sort="descending">\s*<a href="[^"]*sort=time&amp;'
                     r'dir=asc', body)
    ascending = staff_client.get(BASE + "/progress?sort=last&dir=asc").get_data(as_text=True)
    # Ben (last active at T + 1 h) before Ada (the next day); no activity sorts last.
    assert _emails_in_order(ascending, history)[:2] == [history.ben.email, history.ada.email]


def test_filters_by_state_stage_cohort_and_search(staff_client, history):
    def shown(query: str) -> list[str]:
        response = staff_client.get(BASE + "/progress?" + query)
        assert response.status_code == 200
        return _emails_in_order(response.get_data(as_text=True).split("<tbody>")[1], history)

    assert shown("state=withdrawn") == [history.dee.email]
    assert shown("state=qualified") == [history.ada.email]
    assert shown("stage=reading") == [history.ben.email]
    assert shown(f"cohort={history.cohort_id}") == [history.ben.email]
    assert shown(f"q={history.cyd.email.split('@')[0].upper()}") == [history.cyd.email]
    assert shown("state=nonsense") == sorted(
        [history.ada.email, history.ben.email, history.cyd.email, history.dee.email])
    assert staff_client.get(BASE + "/progress?cohort=999999").status_code == 404


def test_the_csv_has_the_same_rows_and_filters(staff_client, history):
    rows = _csv(staff_client.get(BASE + "/progress.csv?sort=time&dir=desc"))
    assert [row["email"] for row in rows][0] == history.ada.email
    ada = rows[0]
    assert ada["sections_read"] == "3" and ada["practice_correct"] == "9"
    assert ada["best_score_percent"] == "100" and ada["active_minutes"] == "32.0"
    assert ada["standing"] == "Qualified" and ada["first_active_utc"] == "2026-03-02 09:00"
    only = _csv(staff_client.get(BASE + "/progress.csv?state=dropped"))
    assert {row["email"] for row in only} == {history.ben.email, history.cyd.email}


def test_the_csv_never_starts_a_cell_with_a_formula(app, staff_client, history):
    with app.app_context():
        db.session.get(User, history.ben.id).name = '=HYPERLINK("http://evil","x")'
        db.session.get(User, history.cyd.id).name = "@SUM(A1)"
        db.session.commit()
    rows = {row["email"]: row for row in _csv(staff_client.get(BASE + "/progress.csv"))}
    assert rows[history.ben.email]["name"] == '\'=HYPERLINK("http://evil","x")'
    assert rows[history.cyd.email]["name"] == "'@SUM(A1)"
    assert [safe_cell(v) for v in ("+1", "-1", "\tx", "a=b", 3, None)] == [
        "'+1", "'-1", "'\tx", "a=b", "3", ""]


def test_training_hours_table_and_csv(staff_client, history):
    body = staff_client.get(BASE + "/hours").get_data(as_text=True)
    assert "27 min" in body and "5 min" in body and "Mon 2 Mar 2026" in body
    assert history.ben.email not in body  # no time measured for Ben
    days = _csv(staff_client.get(BASE + "/hours.csv?period=day"))
    assert [(r["day_utc"], r["email"], r["active_minutes"], r["active_hours"]) for r in days] == [
        ("2026-03-02", history.ada.email, "27.0", "0.45"),
        ("2026-03-03", history.ada.email, "5.0", "0.08")]
    weeks = _csv(staff_client.get(BASE + "/hours.csv?period=week&to=2026-03-02"))
    assert [(r["week_starting_monday"], r["active_minutes"]) for r in weeks] == [
        ("2026-03-02", "27.0")]


def test_the_trainee_sees_only_their_own_progress(app, history):
    ada = signed_in(app, history.ada).get(BASE).get_data(as_text=True)
    assert "Your progress" in ada
    assert "You have read 3 of 3 sections" in ada and "best score is 100%" in ada
    assert "32 min" in ada
    ben = signed_in(app, history.ben).get(BASE).get_data(as_text=True)
    assert "You have read 1 of 3 sections" in ben and "You have not taken the exam" in ben
    assert "32 min" not in ben and history.ada.email not in ben


def test_the_panel_is_not_for_staff_nor_for_those_not_enrolled(app, history, make_user):
    assert "Your progress" not in signed_in(app, history.instructor).get(BASE).get_data(
        as_text=True)
    assert "Your progress" not in signed_in(app, make_user()).get(BASE).get_data(as_text=True)


def test_instructor_pages_link_to_progress(staff_client, history):
    home = staff_client.get(BASE).get_data(as_text=True)
    assert f'href="{BASE}/progress"' in home and f'href="{BASE}/hours"' in home
    assert f'href="{BASE}/progress"' in staff_client.get("/courses/manage").get_data(
        as_text=True)


def test_a_recent_trainee_is_active(app, staff_client, history):
    with app.app_context():
        enrolment = db.session.scalar(db.select(Enrollment).where(
            Enrollment.user_id == history.cyd.id))
        enrolment.created_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    rows = {row["email"]: row for row in _csv(staff_client.get(BASE + "/progress.csv"))}
    assert rows[history.cyd.email]["standing"] == "Active"


def test_durations_read_as_people_say_them():
    assert [format_duration(timedelta(seconds=s)) for s in (0, 30, 60 * 12, 3600 + 300)] == [
        "none", "under a minute", "12 min", "1 h 05 min"]
