"""Publishing material changes first says how many qualified trainees it sends to a refresh
exam, and publishes only when the instructor confirms that very choice."""

from __future__ import annotations

import re

from sqlalchemy import select

from bootcamp.extensions import db
from courses.models import ManualVersion, VersionStatus
from courses.services import manuals
from exams.models import Qualification, QualificationStatus
from tests.factories import WORLD_MANUAL_V2, make_world, post_form, signed_in, take

PUBLISH = "/courses/exam-course/manual/publish"


def _world_with_a_draft(app, make_user, qualified: int):
    world = make_world(app, make_user)
    with app.app_context():
        for user in [world.trainee, *(make_user() for _ in range(qualified - 1))][:qualified]:
            take(world, user)
        manuals.save_draft(world.course(), WORLD_MANUAL_V2, world.user(world.instructor))
        db.session.commit()
    return world


def _publish(client, **fields):
    return post_form(client, PUBLISH, {"changelog": "Helmets.", **fields}, page=PUBLISH)


def _published(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(ManualVersion.number).where(
            ManualVersion.status == VersionStatus.PUBLISHED).order_by(ManualVersion.number)))


def _statuses(app) -> list[str]:
    with app.app_context():
        return sorted(str(q.status) for q in db.session.scalars(select(Qualification)))


def test_material_changes_ask_first_and_publish_on_confirmation(app, make_user):
    world = _world_with_a_draft(app, make_user, qualified=2)
    client = signed_in(app, world.instructor)
    asked = _publish(client, material=["hats"])
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and _published(app) == [1]
    assert "2 qualified trainees are asked to take a refresh exam" in page
    assert ">Publish and ask 2 trainees to refresh</button>" in page
    confirmed = re.search(r'name="confirmed" type="hidden" value="([^"]*)"', page)[1]
    assert confirmed == "2:hats"
    # Other sections ticked than the warning named: asked again, nothing published.
    again = _publish(client, material=["hats", "shoes"], confirmed=confirmed)
    assert "2 qualified trainees" in again.get_data(as_text=True) and _published(app) == [1]
    without_changelog = _publish(client, material=["hats"], confirmed=confirmed, changelog="")
    assert "Describe what changed" in without_changelog.get_data(as_text=True)
    done = _publish(client, material=["hats"], confirmed=confirmed)
    assert done.status_code == 302 and _published(app) == [1, 2]
    assert _statuses(app) == [QualificationStatus.NEEDS_REFRESH] * 2


def test_without_qualified_trainees_or_material_changes_it_publishes_at_once(app, make_user):
    world = _world_with_a_draft(app, make_user, qualified=0)
    client = signed_in(app, world.instructor)
    assert _publish(client, material=["hats"]).status_code == 302
    assert _published(app) == [1, 2]


def test_a_version_without_material_changes_does_not_ask(app, make_user):
    world = _world_with_a_draft(app, make_user, qualified=1)
    assert _publish(signed_in(app, world.instructor)).status_code == 302
    assert _published(app) == [1, 2] and _statuses(app) == [QualificationStatus.QUALIFIED]
