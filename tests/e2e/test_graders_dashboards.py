"""The grader dashboards on the demo's history, in Chromium: the cohort funnel matches the data,
the wrong gold is flagged, and every page reads well on a desktop and on a phone.

The demo data is made in the test's own database by `seed_demo` (as `bootcamp demo` does);
the expected funnel is counted here with plain queries, not with the service the page uses.
Screenshots go to /tmp/shots, where the other e2e tests put theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import and_, select

from bootcamp.demo import seed_demo
from bootcamp.demo_cohorts import COHORTS, COURSE, WRONG_GOLD_ITEM
from bootcamp.events import Event
from bootcamp.extensions import db
from courses.models import Cohort, Enrollment, Item, ItemStatus, ManualVersion, PracticeAnswer
from courses.practice_modules import replay
from exams.models import Attempt, AttemptState, Qualification, QualificationChange
from tests.e2e.steps import DESKTOP, expect_fits_the_screen, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SHOTS = Path("/tmp/shots")  # noqa: S108  (a fixed place to look at them)
PHONE = {"width": 390, "height": 844}
STEPS = ("Enrolled", "Opened the manual", "Read the whole manual", "Practised",
         "Mastered every practice module", "Took the exam", "Qualified")
COHORT = COHORTS[1][0]  # the second cohort: some of its trainees are still under way


@pytest.fixture
def demo(app) -> dict[str, str]:
    """The demo's accounts and history in this test's database; email -> password."""
    with app.app_context():
        return {account.email: account.password for account in seed_demo()}


def shoot(page: Page, name: str, viewport: dict) -> None:
    """A full-page screenshot named after the page and the viewport's width."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"graders-{name}-{viewport['width']}.png"), full_page=True)


def _flags(app, cohort_name: str) -> list[tuple[bool, ...]]:
    """Per trainee of the cohort, which funnel steps they did, from the raw rows."""
    with app.app_context():
        cohort = db.session.scalar(select(Cohort).where(Cohort.name == cohort_name))
        course_id = cohort.course_id
        members = list(db.session.scalars(select(Enrollment.user_id)
                                          .where(Enrollment.cohort_id == cohort.id)))
        latest = db.session.scalars(select(ManualVersion).where(
            ManualVersion.course_id == course_id).order_by(ManualVersion.number.desc())).first()
        sections = {entry["id"] for entry in latest.outline}
        modules: dict[str, tuple[str, ...]] = {}
        for item in db.session.scalars(select(Item).where(
                Item.course_id == course_id, Item.status == ItemStatus.ACTIVE)
                .order_by(Item.position, Item.id)):
            if "practice" in item.pools:
                modules[item.sections[0]] = (*modules.get(item.sections[0], ()), item.key)
        return [_trainee_flags(user_id, course_id, latest.number, sections, modules)
                for user_id in members]


def _trainee_flags(user_id: int, course_id: int, version: int, sections: set[str],
                   modules: dict[str, tuple[str, ...]]) -> tuple[bool, ...]:
    events = db.session.execute(select(Event.kind, Event.data).where(
        Event.user_id == user_id, Event.course_id == course_id)).all()
    opened = any(kind in ("manual_opened", "section_read") for kind, _ in events)
    read = {data["section"] for kind, data in events
            if kind == "section_read" and data["version"] == version}
    answers = db.session.execute(select(Item.key, PracticeAnswer.correct).join(
        Item, Item.id == PracticeAnswer.item_id).where(
        PracticeAnswer.user_id == user_id, PracticeAnswer.course_id == course_id)
        .order_by(PracticeAnswer.created_at, PracticeAnswer.id)).all()
    mastered = all(replay(keys, answers).mastered for keys in modules.values())
    examined = db.session.scalar(select(Attempt.id).where(
        Attempt.user_id == user_id, Attempt.course_id == course_id,
        Attempt.state == AttemptState.GRADED).limit(1)) is not None
    qualified = db.session.scalar(select(QualificationChange.id).join(
        Qualification, and_(Qualification.id == QualificationChange.qualification_id,
                            Qualification.user_id == user_id,
                            Qualification.course_id == course_id))
        .where(QualificationChange.to_status == "qualified").limit(1)) is not None
    return (True, opened, read >= sections, bool(answers), bool(answers) and mastered,
            examined, qualified)


def expected_funnel(app, cohort_name: str) -> dict[str, int]:
    """Step label -> trainees who got at least that far (a later step counts the earlier)."""
    furthest = [max(i for i, done in enumerate(flags) if done)
                for flags in _flags(app, cohort_name)]
    return {label: sum(f >= index for f in furthest) for index, label in enumerate(STEPS)}


def open_as(new_page: Callable[..., Page], base_url: str, email: str, password: str,
            viewport: dict) -> Page:
    page = new_page(base_url, viewport)
    log_in(page, email, password)
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    return page


def test_the_cohort_funnel_matches_the_data_and_the_wrong_gold_is_flagged(
        app, demo, live_server, new_page, browser_errors):
    expected = expected_funnel(app, COHORT)
    assert expected["Enrolled"] == 50 and 0 < expected["Qualified"] < expected["Took the exam"]
    page = open_as(new_page, live_server, "instructor@example.com",
                   demo["instructor@example.com"], DESKTOP)
    page.goto(f"/courses/{COURSE}")
    page.get_by_role("link", name="Cohorts and invitations").click()
    page.get_by_role("link", name=f"Dashboard of {COHORT}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{COHORT}: dashboard")
    funnel = page.get_by_role("table", name="How far the trainees got")
    for label, count in expected.items():
        row = funnel.get_by_role("row").filter(has=page.get_by_role("rowheader", name=label,
                                                                    exact=True))
        expect(row.get_by_role("cell")).to_have_text(f"{count} ({100 * count / 50:.0f}%)")

    page.get_by_role("link", name="exam item analysis").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Exam items of")
    to_look_at = page.get_by_role("region", name="Items to look at")
    flagged = to_look_at.get_by_role("listitem").filter(has_text=WRONG_GOLD_ITEM)
    expect(flagged).to_contain_text("suspicious: often missed and contested")
    expect(flagged.get_by_role("link", name=f"Edit the item {WRONG_GOLD_ITEM}")).to_be_visible()
    expect(to_look_at.get_by_role("listitem").filter(has_text="suspicious")).to_have_count(1)
    assert browser_errors == []


STAFF_PAGES = (  # (screenshot name, path under the course, the page's heading)
    ("course-dashboard", "dashboard", "Dashboard of Tagging clothing in photos"),
    ("item-analysis", "items/analysis", "Exam items of Tagging clothing in photos"),
    ("rules", "rules", "Rules that cause errors in Tagging clothing in photos"),
    ("progress", "progress", "Progress"),
)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_grader_pages_read_well_on_a_desktop_and_a_phone(
        app, demo, live_server, new_page, browser_errors, viewport):
    staff = open_as(new_page, live_server, "instructor@example.com",
                    demo["instructor@example.com"], viewport)
    with app.app_context():
        cohort_id = db.session.scalar(select(Cohort.id).where(Cohort.name == COHORT))
    staff.goto(f"/courses/{COURSE}/cohorts/{cohort_id}/dashboard")
    expect(staff.get_by_role("heading", level=1)).to_have_text(f"{COHORT}: dashboard")
    expect_fits_the_screen(staff, viewport)
    shoot(staff, "cohort-dashboard", viewport)
    for name, path, heading in STAFF_PAGES:
        staff.goto(f"/courses/{COURSE}/{path}")
        expect(staff.get_by_role("heading", level=1)).to_have_text(heading)
        expect_fits_the_screen(staff, viewport)
        shoot(staff, name, viewport)
    staff.goto(f"/courses/{COURSE}/rules")
    staff.get_by_role("button", name="Add a call-out").first.click()
    expect(staff.get_by_role("status").first).to_contain_text("A call-out about item")
    expect_fits_the_screen(staff, viewport)
    shoot(staff, "callout-added", viewport)

    trainee = open_as(new_page, live_server, "trainee@example.com",
                      demo["trainee@example.com"], viewport)
    trainee.goto(f"/courses/{COURSE}")
    honest = trainee.get_by_role("region", name="How long it really takes")
    expect(honest).to_be_visible()
    expect(honest.get_by_role("table")).to_contain_text("Read the manual")
    expect_fits_the_screen(trainee, viewport)
    shoot(trainee, "course-home", viewport)
    trainee.get_by_text("Leave this course", exact=True).first.click()  # the summary
    shoot(trainee, "leave-open", viewport)
    trainee.get_by_role("button", name="Leave this course").click()
    expect(trainee.get_by_role("status")).to_contain_text("You have left")
    expect(trainee.get_by_role("button", name="Enrol again")).to_be_visible()
    expect_fits_the_screen(trainee, viewport)
    shoot(trainee, "leave-done", viewport)
    assert browser_errors == []
