"""Instructor pages for exams (settings, qualifications, disputes) and the practice dispute."""

from __future__ import annotations

import html
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from bootcamp.audit import AuditEntry
from bootcamp.extensions import db
from bootcamp.users.models import User
from courses.models import Course, Item
from exams.models import (
    Attempt,
    Dispute,
    DisputeStatus,
    ExamSettings,
    QualificationChange,
    QualificationStatus,
)
from exams.services import disputes, notices, qualifications
from tests.factories import (
    MANAGE_SLUG,
    SEQUENTIAL_DATA,
    post_form,
    response_of,
    signed_in,
    take,
)

BASE = f"/courses/{MANAGE_SLUG}"


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def staff(app, setup):
    return signed_in(app, setup.instructor)


@pytest.fixture
def trainee(app, setup):
    return signed_in(app, setup.trainee)


class _Cells(HTMLParser):
    """The text of every table row's cells, each row a list."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_rows(page: str) -> list[list[str]]:
    parser = _Cells()
    parser.feed(page)
    return parser.rows


def settings_data(**overrides) -> dict:
    data = {"item_count": "4", "quotas": "", "shuffle": "y", "pass_mark": "80",
            "critical_rule": "y", "time_limit_minutes": "30", "attempts_allowed": "3",
            "retry_delay_hours": "24", "validity_days": "", "refresh_item_count": "2",
            "refresh_grace_days": "14", "result_detail": "sections", **SEQUENTIAL_DATA}
    data.update(overrides)
    return data


# --- Exam settings ---------------------------------------------------------------------------


def test_settings_form_shows_the_stored_rules_and_readiness(staff):
    page = text_of(staff.get(f"{BASE}/exam/settings"))
    assert 'value="4"' in page
    assert 'id="pass_mark"' in page and 'value="100.0"' in page
    assert "Ready: the exam pool has 4 active items." in page
    assert "shoes" in page and "Section ids of the latest manual" in page
    assert "practice pool too" not in page


def test_settings_warn_about_exam_items_whose_gold_practice_shows(app, staff, setup):
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.key == "shoe-1"))
        item.pools = ["practice", "exam"]
        db.session.commit()
    page = text_of(staff.get(f"{BASE}/exam/settings"))
    assert "1 item is in the practice pool too (shoe-1)" in page
    assert "memory rather than skill" in page


def test_settings_save_converts_units_and_is_audited(app, staff, setup):
    response = post_form(staff, f"{BASE}/exam/settings", settings_data(
        quotas="shoes: 1\n\n  hats : 2  ", pass_mark="80", time_limit_minutes="",
        attempts_allowed="", retry_delay_hours="0.5", validity_days="90", shuffle=""),
        page=f"{BASE}/exam/settings", follow_redirects=True)
    assert "Exam settings saved." in text_of(response)
    with app.app_context():
        stored = db.session.scalar(select(ExamSettings).where(
            ExamSettings.course_id == setup.course_id))
        assert stored.quotas == {"shoes": 1, "hats": 2}
        assert stored.pass_mark == pytest.approx(0.8)
        assert stored.time_limit_seconds is None and stored.attempts_allowed is None
        assert stored.retry_delay_seconds == 1800 and stored.validity_days == 90
        assert stored.shuffle is False and stored.critical_rule is True
        audit = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "exam_settings_changed").order_by(AuditEntry.id.desc())).first()
        assert audit.actor_id == setup.instructor.id
        assert audit.data["retry_delay_seconds"] == 1800
    page = text_of(staff.get(f"{BASE}/exam/settings"))
    assert "shoes: 1\nhats: 2" in page and 'value="0.5"' in page


def test_quota_lines_with_errors_name_the_line_and_the_known_sections(app, staff, setup):
    response = post_form(staff, f"{BASE}/exam/settings", settings_data(
        quotas="shoes: 1\nsocks: 2\nhats two\nshoes: 1\nhats: 0"), page=f"{BASE}/exam/settings")
    assert response.status_code == 200
    page = text_of(response)
    assert ("Line 2: there is no section “socks”. The latest manual's sections are: "
            "intro, shoes, hats.") in page
    assert "Line 3: write “section-id: number”, not “hats two”." in page
    assert "Line 4: section “shoes” is already on line 1." in page
    assert "Line 5: the number of items for “hats” must be a whole number above 0" in page
    with app.app_context():
        stored = db.session.scalar(select(ExamSettings).where(
            ExamSettings.course_id == setup.course_id))
        assert stored.quotas == {} and stored.pass_mark == 1.0  # unchanged


def test_field_errors_and_rule_problems_keep_the_old_settings(app, staff, setup):
    response = post_form(staff, f"{BASE}/exam/settings", settings_data(
        item_count="0", pass_mark="", retry_delay_hours="-1"), page=f"{BASE}/exam/settings")
    assert response.status_code == 200
    page = text_of(response)
    assert page.count('aria-invalid="true"') == 3
    with app.app_context():
        assert db.session.scalar(select(ExamSettings.item_count).where(
            ExamSettings.course_id == setup.course_id)) == 4


def test_settings_save_even_when_the_pool_is_too_small_but_warn(app, staff, setup):
    response = post_form(staff, f"{BASE}/exam/settings", settings_data(
        item_count="10", quotas="hats: 3"), page=f"{BASE}/exam/settings", follow_redirects=True)
    page = text_of(response)
    assert "Exam settings saved." in page
    assert "Trainees cannot start the exam yet" in page
    assert "The exam pool has 4 active items; the exam needs 10." in page
    assert "Section 'hats' has 2 exam items; its quota is 3." in page
    with app.app_context():
        assert db.session.scalar(select(ExamSettings.item_count).where(
            ExamSettings.course_id == setup.course_id)) == 10


# --- Qualifications --------------------------------------------------------------------------


def test_qualifications_list_counts_and_filters_by_status(app, make_user, staff, setup):
    with app.app_context():
        take(setup, wrong={"hat-1"})  # one attempt allowed: failed
        passing = make_user()
        from courses.services import enrolment
        enrolment.enrol(db.session.get(User, passing.id), db.session.get(Course, setup.course_id),
                        enrolment.EnrollmentSource.SELF)
        db.session.commit()
    page = text_of(staff.get(f"{BASE}/qualifications"))
    assert "2 trainees" in page
    assert "Not qualified: no attempts left (1)" in page and "Not started (1)" in page
    assert setup.trainee.email in page and passing.email in page
    failed = text_of(staff.get(f"{BASE}/qualifications?status=failed"))
    assert setup.trainee.email in failed and passing.email not in failed
    qualified = text_of(staff.get(f"{BASE}/qualifications?status=qualified"))
    assert "Nobody is “Qualified”." in qualified


def test_qualification_detail_shows_attempts_and_history(app, staff, setup):
    with app.app_context():
        attempt_id = take(setup).id
    page = text_of(staff.get(f"{BASE}/qualifications/{setup.trainee.id}"))
    assert "Qualified" in page and "100%" in page and "v1" in page
    assert "Passed the exam (attempt 1) with 100%." in page
    assert "Not started → In training" in page and "In training → Qualified" in page
    assert f'href="/attempts/{attempt_id}/result">Passed</a>' in page


def test_revoke_and_reinstate_need_a_reason_and_are_kept_in_history_and_audit(
        app, staff, setup):
    with app.app_context():
        take(setup)
    path = f"{BASE}/qualifications/{setup.trainee.id}"
    response = post_form(staff, f"{path}/revoke", {"revoke-reason": "  "}, page=path)
    assert response.status_code == 200
    assert "Give a reason" in text_of(response)
    response = post_form(staff, f"{path}/revoke", {"revoke-reason": "Shared their answers."},
                         page=path, follow_redirects=True)
    page = text_of(response)
    assert f"The qualification of {setup.trainee.email} was revoked." in page
    assert "Qualified → Revoked" in page and "Revoked: Shared their answers." in page
    assert setup.instructor.email in page  # the actor of the change
    response = post_form(staff, f"{path}/revoke", {"revoke-reason": "Again."}, page=path,
                         follow_redirects=True)
    assert "Reinstate" in text_of(response)
    response = post_form(staff, f"{path}/reinstate", {"reinstate-reason": ""}, page=path)
    assert response.status_code == 200 and "Give a reason" in text_of(response)
    response = post_form(staff, f"{path}/reinstate", {"reinstate-reason": "Cleared."},
                         page=path, follow_redirects=True)
    page = text_of(response)
    assert "reinstated: now “Qualified”" in page
    assert "Revoked → Qualified" in page and "Reinstated: Cleared." in page
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.actor_id == setup.instructor.id,
            AuditEntry.action.like("qualification_%")).order_by(AuditEntry.id)).all()
        assert actions == ["qualification_revoked", "qualification_reinstated"]
        record = qualifications.qualification_of(setup.trainee.id, setup.course_id)
        assert record.status == QualificationStatus.QUALIFIED
        reasons = [c.reason for c in qualifications.history(record)]
        assert reasons[-2:] == ["Revoked: Shared their answers.", "Reinstated: Cleared."]
        texts = [n.text for n in notices.recent_notices(setup.trainee.id, setup.course_id)]
        assert any("Shared their answers." in t for t in texts)


def test_reinstating_a_qualified_trainee_is_refused_with_a_message(app, staff, setup):
    with app.app_context():
        take(setup)
    path = f"{BASE}/qualifications/{setup.trainee.id}"
    response = post_form(staff, f"{path}/reinstate", {"reinstate-reason": "Why not."},
                         page=path, follow_redirects=True)
    assert "Only revoked qualifications" in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(QualificationChange.id).where(
            QualificationChange.reason.like("Reinstated%"))) is None


def test_a_trainee_who_never_started_can_be_revoked(app, staff, setup):
    path = f"{BASE}/qualifications/{setup.trainee.id}"
    assert "No attempts yet." in text_of(staff.get(path))
    response = post_form(staff, f"{path}/revoke", {"revoke-reason": "Fraud."}, page=path,
                         follow_redirects=True)
    assert "Not started → Revoked" in text_of(response)


def test_unknown_trainees_and_disputes_are_404(staff):
    assert staff.get(f"{BASE}/qualifications/999999").status_code == 404
    assert staff.get(f"{BASE}/disputes/999999").status_code == 404
    assert staff.get(f"{BASE}/disputes?item=nope").status_code == 404


def test_trainees_get_403_on_every_instructor_page(app, setup, trainee):
    with app.app_context():
        attempt_id = take(setup, wrong={"hat-0"}).id
        found = disputes.open_dispute(
            db.session.get(User, setup.trainee.id),
            db.session.get(Item, response_of(attempt_id, "hat-0").item_id), "no", "Hats vary.")
        db.session.commit()
        dispute_id = found.id
    user = setup.trainee.id
    for path in [f"{BASE}/exam/settings", f"{BASE}/qualifications",
                 f"{BASE}/qualifications/{user}", f"{BASE}/disputes",
                 f"{BASE}/disputes/{dispute_id}"]:
        assert trainee.get(path).status_code == 403, path
    for path, data in [(f"{BASE}/exam/settings", settings_data()),
                       (f"{BASE}/qualifications/{user}/revoke", {"revoke-reason": "x"}),
                       (f"{BASE}/qualifications/{user}/reinstate", {"reinstate-reason": "x"}),
                       (f"{BASE}/disputes/{dispute_id}/resolve",
                        {"action": "accept_alternative"})]:
        assert post_form(trainee, path, data).status_code == 403, path
    with app.app_context():
        assert db.session.get(Dispute, dispute_id).status == DisputeStatus.OPEN


# --- Disputes --------------------------------------------------------------------------------


def practice_url(key: str = "boots") -> str:
    return f"{BASE}/practice/shoes/{key}"


def test_practice_dispute_flow(app, setup, trainee, staff):
    item_page = practice_url()
    assert "Dispute this item" not in text_of(trainee.get(item_page))  # not answered yet
    response = post_form(trainee, f"{item_page}/dispute", {"comment": "Boots are shoes."},
                         page=item_page, follow_redirects=True)
    assert "Answer the item before disputing it." in text_of(response)
    page = text_of(post_form(trainee, item_page, {"answer": "no"}, page=item_page))
    assert "Not quite" in page and "Dispute this item" in page
    assert '<label for="dispute-comment">' in page
    response = post_form(trainee, f"{item_page}/dispute", {"comment": " "}, page=item_page,
                         follow_redirects=True)
    assert "Say what you think is wrong." in text_of(response)
    response = post_form(trainee, f"{item_page}/dispute", {"comment": "Boots are not shoes."},
                         page=item_page)
    assert response.status_code == 302 and response.headers["Location"].endswith(item_page)
    assert "Your dispute was sent" in text_of(trainee.get(item_page))
    response = post_form(trainee, f"{item_page}/dispute", {"comment": "Again."},
                         page=item_page, follow_redirects=True)
    assert "You already have an open dispute about this item." in text_of(response)
    with app.app_context():
        (found,) = db.session.scalars(select(Dispute)).all()
        assert found.answer == "no" and found.practice_answer_id is not None
        assert found.response_id is None and found.comment == "Boots are not shoes."
    # Staff preview the item: no dispute form, and a post is refused.
    preview = text_of(post_form(staff, item_page, {"answer": "no"}, page=item_page))
    assert "Not quite" in preview and "Dispute this item" not in preview
    response = post_form(staff, f"{item_page}/dispute", {"comment": "x"}, page=item_page,
                         follow_redirects=True)
    assert "Only trainees enrolled in the course can dispute" in text_of(response)
    assert post_form(trainee, f"{practice_url('hat-0')}/dispute", {"comment": "x"},
                     page=item_page).status_code == 404  # an exam item is no practice item


def test_disputes_queue_counts_answers_misses_and_disputes(app, make_user, setup, trainee,
                                                           staff):
    item_page = practice_url()
    post_form(trainee, item_page, {"answer": "no"}, page=item_page)
    post_form(trainee, item_page, {"answer": "yes"}, page=item_page)
    post_form(trainee, f"{item_page}/dispute", {"comment": "Boots are not shoes."},
              page=item_page)
    with app.app_context():
        take(setup, wrong={"hat-0"})
    page = text_of(staff.get(f"{BASE}/disputes"))
    rows = {row[0].split()[0]: row[1:] for row in table_rows(page)
            if row and row[0].split()[0] in ("boots", "hat-0", "shoe-0", "shoe-1")}
    assert rows["boots"] == ["2", "1", "50%", "1", "1"]
    assert rows["hat-0"] == ["1", "1", "100%", "0", "0"]
    assert "shoe-0" not in rows  # never missed, never disputed
    assert f'href="/courses/{MANAGE_SLUG}/items/boots"' in page
    filtered = text_of(staff.get(f"{BASE}/disputes?item=boots"))
    assert "Disputes of item boots" in filtered and "Boots are not shoes." in filtered
    manage = text_of(staff.get("/courses/manage"))
    assert "Disputes (1 open)" in manage and f"{BASE}/exam/settings" in manage


def exam_dispute(app, setup, key: str = "hat-1") -> tuple[int, int]:
    """The trainee fails the exam on `key` and disputes it from the result: (attempt, dispute)."""
    with app.app_context():
        attempt_id = take(setup, wrong={key}).id
        response = response_of(attempt_id, key)
        found = disputes.open_dispute(
            db.session.get(User, setup.trainee.id), db.session.get(Item, response.item_id),
            response.answer, "A hat can be a no.", response=response)
        db.session.commit()
        return attempt_id, found.id


def test_accepting_an_alternative_regrades_a_failed_attempt_to_passed(app, setup, staff):
    attempt_id, dispute_id = exam_dispute(app, setup)
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).passed is False
        assert qualifications.status_of(setup.trainee.id, setup.course_id) \
            == QualificationStatus.FAILED
    path = f"{BASE}/disputes/{dispute_id}"
    page = text_of(staff.get(path))
    assert "Question hat-1?" in page and "A hat can be a no." in page
    assert "Current gold" in page and "<p>yes</p>" in page and "<p>no</p>" in page
    assert "Missed</dt><dd>1 (100%)" in page and "Disputed</dt><dd>1 (1 open)" in page
    response = post_form(staff, f"{path}/resolve", {"action": "accept_alternative",
                                                    "reply": "Fair point."},
                         page=path, follow_redirects=True)
    assert ("Dispute accepted. Regraded 1 attempt (1 changed between pass and fail) and 0 "
            "practice answers.") in text_of(response)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.passed is True and attempt.score == 1.0
        item = db.session.get(Item, db.session.get(Dispute, dispute_id).item_id)
        assert item.gold == "yes" and item.alternatives == ["no"]
        record = qualifications.qualification_of(setup.trainee.id, setup.course_id)
        assert record.status == QualificationStatus.QUALIFIED
        last = qualifications.history(record)[-1]
        assert f"dispute #{dispute_id} accepted" in last.reason
        found = db.session.get(Dispute, dispute_id)
        assert found.status == DisputeStatus.ACCEPTED and found.resolution == "alternative"
        texts = [n.text for n in notices.recent_notices(setup.trainee.id, setup.course_id)]
        assert any("was accepted" in t and "Fair point." in t for t in texts)
    page = text_of(staff.get(path))
    assert "Accepted: the trainee's answer is accepted as another correct answer" in page
    response = post_form(staff, f"{path}/resolve", {"action": "reject", "reply": "No."},
                         page=path, follow_redirects=True)
    assert "This dispute is already resolved." in text_of(response)


def test_accepting_a_correction_changes_the_gold(app, setup, staff):
    _, dispute_id = exam_dispute(app, setup)
    path = f"{BASE}/disputes/{dispute_id}"
    response = post_form(staff, f"{path}/resolve", {"action": "accept_correct"}, page=path,
                         follow_redirects=True)
    assert "Dispute accepted. Regraded 1 attempt" in text_of(response)
    with app.app_context():
        item = db.session.get(Item, db.session.get(Dispute, dispute_id).item_id)
        assert item.gold == "no"


def test_rejecting_requires_a_reply_that_the_trainee_sees(app, setup, staff):
    attempt_id, dispute_id = exam_dispute(app, setup)
    path = f"{BASE}/disputes/{dispute_id}"
    response = post_form(staff, f"{path}/resolve", {"action": "reject", "reply": "  "},
                         page=path)
    assert response.status_code == 200
    assert "Write a reply: the trainee sees it." in text_of(response)
    response = post_form(staff, f"{path}/resolve", {}, page=path)
    assert response.status_code == 200 and "Choose a decision." in text_of(response)
    with app.app_context():
        assert db.session.get(Dispute, dispute_id).status == DisputeStatus.OPEN
    response = post_form(staff, f"{path}/resolve",
                         {"action": "reject", "reply": "Rule 3 says hats are clothing."},
                         page=path, follow_redirects=True)
    assert "Dispute rejected" in text_of(response)
    with app.app_context():
        found = db.session.get(Dispute, dispute_id)
        assert found.status == DisputeStatus.REJECTED
        assert found.resolved_by_id == setup.instructor.id
        assert db.session.get(Attempt, attempt_id).passed is False
        texts = [n.text for n in notices.recent_notices(setup.trainee.id, setup.course_id)]
        assert any("was not accepted: Rule 3 says hats are clothing." in t for t in texts)
        assert db.session.scalar(select(AuditEntry.id).where(
            AuditEntry.action == "dispute_resolved")) is not None
