"""Every registered route, walked as anonymous, trainee, instructor and admin.

Adding a route without adding it here fails `test_matrix_covers_every_route`, so the matrix
grows with the application.
"""

from __future__ import annotations

import pytest
from flask import Flask, current_app, url_for

from bootcamp.users.models import Role
from tests.helpers import csrf_token

ROLES = ["anonymous", "trainee", "instructor", "admin"]
LOGIN = "login"  # a 302 to the log-in page

# (method, endpoint) -> expected status per role, in ROLES order.
PUBLIC = (200, 200, 200, 200)
GUESTS = (200, 302, 302, 302)  # logged-in users are sent to their dashboard
MEMBERS = (LOGIN, 200, 200, 200)
ADMINS = (LOGIN, 403, 403, 200)
STAFF = (LOGIN, 403, 200, 200)
STAFF_REDIRECT = (LOGIN, 403, 302, 302)
MEMBERS_REDIRECT = (LOGIN, 302, 302, 302)
ENROLLED_OR_STAFF = (LOGIN, 302, 200, 200)  # the trainee is not enrolled: asked to enrol

MATRIX: dict[tuple[str, str], tuple] = {
    ("GET", "static"): PUBLIC,
    ("GET", "home.index"): (200, 302, 302, 302),
    ("GET", "home.dashboard"): MEMBERS,
    ("GET", "auth.signup"): GUESTS,
    ("POST", "auth.signup"): GUESTS,  # an empty form re-renders with errors
    ("GET", "auth.login"): GUESTS,
    ("POST", "auth.login"): GUESTS,
    ("POST", "auth.logout"): (302, 302, 302, 302),
    ("GET", "auth.change_password"): MEMBERS,
    ("POST", "auth.change_password"): MEMBERS,
    ("GET", "admin.users"): ADMINS,
    ("POST", "admin.change_role"): (LOGIN, 403, 403, 302),
    # Trainee pages of an open course.
    ("GET", "courses.index"): MEMBERS,
    ("GET", "courses.home"): MEMBERS,
    ("POST", "courses.enrol"): MEMBERS_REDIRECT,
    ("GET", "courses.manual"): MEMBERS,
    ("GET", "courses.manual_version"): MEMBERS,
    ("POST", "courses.mark_read"): (LOGIN, 400, 400, 400),  # no section given
    ("GET", "courses.changes"): MEMBERS,
    ("GET", "courses.history"): MEMBERS,
    ("GET", "courses.diff"): MEMBERS,
    ("GET", "courses.media"): MEMBERS,
    ("GET", "courses.invite"): MEMBERS,
    ("POST", "courses.invite"): MEMBERS_REDIRECT,
    # Practice: enrolled trainees; others are sent to enrol, staff preview. The walk does
    # every GET before "POST courses.enrol", so the trainee is enrolled only for the POST.
    ("GET", "courses.practice_index"): ENROLLED_OR_STAFF,
    ("GET", "courses.practice_module"): MEMBERS_REDIRECT,  # to the next item, or to enrol
    ("GET", "courses.practice_item"): ENROLLED_OR_STAFF,
    ("POST", "courses.practice_item"): MEMBERS,  # no answer given: the form says so
    # Authoring and cohorts: instructors and admins.
    ("GET", "courses.manage"): STAFF,
    ("GET", "courses.bank"): STAFF,
    ("POST", "courses.import_items"): STAFF,  # no file given: the form says so
    ("GET", "courses.item_history"): STAFF,
    ("GET", "courses.edit_item"): STAFF,
    ("POST", "courses.edit_item"): STAFF,  # an empty form re-renders with errors
    ("GET", "courses.new"): STAFF,
    ("POST", "courses.new"): STAFF,  # an empty form re-renders with errors
    ("GET", "courses.edit"): STAFF,
    ("POST", "courses.edit"): STAFF_REDIRECT,  # fields not posted keep their values
    ("GET", "courses.draft"): STAFF,
    ("POST", "courses.draft"): STAFF_REDIRECT,  # saves the (empty) draft
    ("POST", "courses.preview"): STAFF,
    ("POST", "courses.discard"): STAFF_REDIRECT,
    ("GET", "courses.publish"): STAFF,
    ("POST", "courses.publish"): STAFF,  # refused: the draft is empty
    ("GET", "courses.import_bundle"): STAFF,
    ("POST", "courses.import_bundle"): STAFF,
    ("GET", "courses.cohorts"): STAFF,
    ("POST", "courses.cohorts"): STAFF,
    ("GET", "courses.cohort"): STAFF,
    ("POST", "courses.invite_link"): STAFF,
    ("POST", "courses.invite_emails"): STAFF,
    # Exams, the instructor side: settings, qualifications, disputes (forms posted empty
    # re-render with errors). A trainee disputes a practice item: sent back to the item.
    ("GET", "exams.settings"): STAFF,
    ("POST", "exams.settings"): STAFF,
    ("GET", "exams.qualifications"): STAFF,
    ("GET", "exams.qualification"): STAFF,
    ("POST", "exams.revoke"): STAFF,
    ("POST", "exams.reinstate"): STAFF,
    ("GET", "exams.disputes"): STAFF,
    ("GET", "exams.dispute"): STAFF,
    ("POST", "exams.resolve_dispute"): STAFF,
    ("POST", "exams.dispute_practice_item"): MEMBERS_REDIRECT,
    # Exams, the trainee side. The world's attempt is another trainee's, graded: its owner only
    # takes it (404 for everyone else) and staff may read its result. Autosave is a JSON PUT
    # whose CSRF token comes in a header: without one it is refused (401 when logged out).
    ("GET", "exams.overview"): ENROLLED_OR_STAFF,
    ("POST", "exams.start"): MEMBERS_REDIRECT,  # to the attempt, or back with why not
    ("GET", "exams.take"): (LOGIN, 404, 404, 404),
    ("PUT", "exams.save_answer"): (401, 400, 400, 400),
    ("POST", "exams.submit"): (LOGIN, 404, 404, 404),
    ("GET", "exams.result"): (LOGIN, 404, 200, 200),
    ("POST", "exams.dispute_exam_item"): (LOGIN, 404, 404, 404),
    ("GET", "exams.attempt_media"): (LOGIN, 404, 404, 404),
}


def sample_arguments(endpoint: str, world: dict) -> dict:
    """Real values for the URL parameters of each endpoint."""
    if endpoint == "static":
        return {"filename": "css/bootcamp.css"}
    with_params = {rule.endpoint: rule.arguments for rule in current_app.url_map.iter_rules()}
    return {name: world[name] for name in with_params[endpoint]}


def registered_routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (method, rule.endpoint)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_matrix_covers_every_route(app):
    assert registered_routes(app) == set(MATRIX)


@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
def test_each_role_gets_the_expected_status_everywhere(app, client, world, login_as,
                                                        role_index):
    if ROLES[role_index] != "anonymous":
        login_as(Role(ROLES[role_index]))
    mismatches = []
    for (method, endpoint), statuses in sorted(MATRIX.items()):
        expected = statuses[role_index]
        with app.test_request_context():
            url = url_for(endpoint, **sample_arguments(endpoint, world))
        data = {"csrf_token": csrf_token(client)} if method == "POST" else None
        response = client.open(url, method=method, data=data)
        response.close()  # static files are streamed from an open file
        got = response.status_code
        if expected == LOGIN:
            ok = got == 302 and response.headers["Location"].startswith("/auth/login")
        else:
            ok = got == expected
        if not ok:
            mismatches.append(f"{method} {url}: expected {expected}, got {got}")
        if endpoint == "auth.logout" and ROLES[role_index] != "anonymous":
            login_as(Role(ROLES[role_index]))  # logging out was the point; log back in
    assert mismatches == []
