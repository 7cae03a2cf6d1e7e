"""What a trainee's phone downloads for the exam page of a 50-item mixed exam: the page
compressed (Flask-Compress) and every file it loads (WhiteNoise: compressed copies,
content-hashed names cached for a year), under 150 KB on a first visit and 30 KB on the next."""

from __future__ import annotations

import re
from dataclasses import dataclass

import brotli
import pytest
from flask.testing import FlaskClient

from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import Course
from exams.services import attempts
from tests.factories import (
    TAKING_BOXES_GOLD,
    TAKING_BOXES_SPEC,
    TAKING_SPAN_GOLD,
    TAKING_SPAN_TEXT,
    _exam_course,
    _rules,
    fake_png,
    native,
    signed_in,
)

ACCEPT = {"Accept-Encoding": "br, gzip"}
LOADED = re.compile(r'(?:src|href|data-widget|data-media)="(/[^"]+)"')
IMPORTED = re.compile(r'''\bfrom\s*["']([^"']+)["']''')
MANUAL = "# Clothing {#clothing}\n\nTag clothing.\n\n# Streets {#street}\n\nBox cars.\n"


def fifty_items() -> list[dict]:
    """Ten each of choice, labels, boxes, spans and points, in the exam pool."""
    kinds = [
        ("choice", {"options": ["yes, tag it", "no, leave it"]}, "yes, tag it", None),
        ("labels", {"options": ["hat", "armour", "legging", "tights"]}, ["hat", "legging"], None),
        ("boxes", TAKING_BOXES_SPEC, TAKING_BOXES_GOLD, "media/street.png"),
        ("spans", {"text": TAKING_SPAN_TEXT, "labels": ["intent", "object"]}, TAKING_SPAN_GOLD,
         None),
        ("points", {"width": 200, "height": 150, "keypoints": ["nose", "left_wrist"]},
         [{"keypoints": {"nose": [100, 30, 2], "left_wrist": [60, 100, 2]}, "area": 6000}],
         "media/street.png"),
    ]
    return [native(f"{kind}-{n}", kind, spec, gold, ["clothing"], media=media, pools=("exam",),
                   prompt=f"Question {n} about {kind}: is this right for a {kind} item?")
            for n in range(10) for kind, spec, gold, media in kinds]


@dataclass
class Visit:
    bytes: int  # bodies as sent (compressed) plus headers
    requests: int


def _size(response) -> int:
    body = response.get_data()
    response.close()
    return len(body) + sum(len(k) + len(v) + 4 for k, v in response.headers.items())


def _text(response) -> str:
    body = response.get_data()
    if response.headers.get("Content-Encoding") == "br":
        body = brotli.decompress(body)
    return body.decode(errors="replace")


def visit(client: FlaskClient, path: str, cache: dict[str, dict]) -> Visit:
    """GET the page and what it loads as a browser would, given what it cached before."""
    page = client.get(path, headers=ACCEPT)
    assert page.status_code == 200
    assert page.headers["Content-Encoding"] == "br"
    total, requests = _size(page), 1
    queue, seen = LOADED.findall(_text(page)), set()
    while queue:
        url = queue.pop().replace("&amp;", "&")
        if url in seen or url.startswith("/attempts/") and url.endswith("/submit"):
            continue
        seen.add(url)
        cached = cache.get(url)
        if cached and re.search(r"max-age=[1-9]\d{3,}", cached.get("Cache-Control", "")):
            continue  # fresh in the browser's cache: not asked for at all
        headers = dict(ACCEPT)
        if cached and "ETag" in cached:
            headers["If-None-Match"] = cached["ETag"]
        response = client.get(url, headers=headers)
        if not url.startswith(("/static/", "/attempts/")):  # a link, not something loaded
            response.close()
            continue
        assert response.status_code in (200, 304), url
        cache[url] = dict(response.headers)
        if url.endswith(".js") and response.status_code == 200:
            base = url.rsplit("/", 1)[0]
            queue += [f"{base}/{name.removeprefix('./')}" for name in
                      IMPORTED.findall(_text(response)) if name.startswith("./")]
        total += _size(response)
        requests += 1
    return Visit(total, requests)


@pytest.fixture
def fifty_item_attempt(app, make_user) -> tuple[FlaskClient, int]:
    instructor, trainee = make_user(Role.INSTRUCTOR), make_user()
    rules = _rules(item_count=50, shuffle=True, pass_mark=0.8, time_limit_seconds=3600,
                   attempts_allowed=2, retry_delay_seconds=0, validity_days=30)
    course_id = _exam_course(app, instructor, "heavy-exam", MANUAL, fifty_items(), rules,
                             (trainee,), media={"media/street.png": fake_png(TAKING_BOXES_SPEC)})
    with app.app_context():
        attempt = attempts.start(db.session.get(User, trainee.id),
                                 db.session.get(Course, course_id))
        db.session.commit()
        attempt_id = attempt.id
    return signed_in(app, trainee), attempt_id


def test_the_exam_page_of_fifty_items_is_light_first_and_lighter_next(fifty_item_attempt):
    client, attempt_id = fifty_item_attempt
    cache: dict[str, dict] = {}
    first = visit(client, f"/attempts/{attempt_id}", cache)
    assert any("/static/js/widgets/" in url for url in cache)  # the widgets were loaded
    assert first.bytes < 150_000, first
    second = visit(client, f"/attempts/{attempt_id}", cache)
    assert second.bytes < 30_000, second
    assert second.requests == 1, second  # static files and media come from the cache


def test_static_files_have_hashed_names_cached_for_a_year_and_come_compressed(client):
    page = client.get("/auth/login").get_data(as_text=True)
    css = re.search(r'href="(/static/css/bootcamp\.[0-9a-f]{12}\.css)"', page)
    assert css, page
    response = client.get(css.group(1), headers=ACCEPT)
    assert response.headers["Content-Encoding"] == "br"
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=315360000" in response.headers["Cache-Control"]
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    response.close()


def _static_call(app, extra: dict) -> tuple[object, list[str]]:
    """Call the app's WSGI stack for a static file as a server would."""
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path="/static/css/bootcamp.css").get_environ()
    environ.pop("wsgi.file_wrapper", None)
    environ.update(extra)
    statuses: list[str] = []
    return app.wsgi_app(environ, lambda status, headers, *_: statuses.append(status)), statuses


def test_a_static_file_is_read_and_closed_when_the_server_has_no_file_wrapper(app):
    """Werkzeug's server may never call close() on a dropped client: leave it nothing open."""
    body, statuses = _static_call(app, {})
    assert statuses == ["200 OK"]
    assert isinstance(body, list) and b".button" in body[0]


def test_a_static_file_goes_through_the_servers_own_file_wrapper(app):
    wrapped = []
    body, _ = _static_call(app, {"wsgi.file_wrapper": lambda file: wrapped.append(file) or file})
    assert body is wrapped[0] and not body.closed
    body.close()
