"""The attempt media route refuses names that leave media/ (issue 9, point 1).

An attack before the fix could leave exam items whose media, and media rows whose path, name a
traversal ("media/../../../..<a secret>"). /attempts/<id>/media/<name> serves the media of the
attempt's own items, so it would serve such a row: a name that is not canonical is refused
before any lookup. The corpus is the one tests/courses/test_media_traversal.py uses.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest
from flask import Flask
from sqlalchemy import select

from bootcamp.extensions import db
from courses.models import Item, MediaFile
from tests.courses.test_media_traversal import URL_NAMES, leaks, storable
from tests.factories import Taker


def attack(app: Flask, course_id: int, path: str, secret: Path) -> None:
    """Point an exam item at `path` and store the secret there, as an old attack could."""
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.course_id == course_id,
                                                    Item.key == "c-critical"))
        item.media = path
        db.session.add(MediaFile(course_id=course_id, path=path, content=secret.read_bytes(),
                                 sha256="1" * 64))
        db.session.commit()


@pytest.mark.parametrize("label", sorted(URL_NAMES))
def test_the_attempt_media_route_refuses_every_traversal(app, exam_course, taker: Taker, secret,
                                                         label):
    name = URL_NAMES[label].format(target=str(secret).lstrip("/"))
    stored = "media/" + unquote(name)
    with app.app_context():
        if storable(stored):  # else no attack could have stored it: the name is still refused
            attack(app, exam_course, stored, secret)
    attempt_id = taker.start()
    response = taker.get(f"/attempts/{attempt_id}/media/{name}", follow_redirects=True)
    assert response.status_code == 404, response.get_data()[:200]
    assert not any(leaks(body, secret) for _, body in taker.bodies)
    assert taker.get(f"/attempts/{attempt_id}/media/street.png").status_code == 200
