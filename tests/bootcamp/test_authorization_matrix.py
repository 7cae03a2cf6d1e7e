"""Every registered route, walked as anonymous, trainee, instructor, outsider and admin.

The instructor owns the world's course; the outsider is an instructor of another course, who
sees the world's course only as a trainee does. Adding a route without adding it here fails
`test_matrix_covers_every_route`, so the matrix grows with the application.
"""

from __future__ import annotations

import pytest
from flask import Flask, current_app, url_for

from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import CourseStatus, StaffRole
from courses.services import catalog, staff
from tests.helpers import csrf_token

ROLES = ["anonymous", "trainee", "instructor", "outsider", "admin"]
LOGIN = "login"  # a 302 to the log-in page

# (method, endpoint) -> expected status per role, in ROLES order.
PUBLIC = (200, 200, 200, 200, 200)
GUESTS = (200, 302, 302, 302, 302)  # logged-in users are sent to their dashboard
MEMBERS = (LOGIN, 200, 200, 200, 200)
ADMINS = (LOGIN, 403, 403, 403, 200)
ADMIN_REDIRECT = (LOGIN, 403, 403, 403, 302)
INSTRUCTORS = (LOGIN, 403, 200, 200, 200)  # pages of no course in particular
STAFF = (LOGIN, 403, 200, 403, 200)  # the course's staff and admins
STAFF_REDIRECT = (LOGIN, 403, 302, 403, 302)
MEMBERS_REDIRECT = (LOGIN, 302, 302, 302, 302)
ENROLLED_OR_STAFF = (LOGIN, 302, 200, 302, 200)  # those not enrolled are asked to enrol
API = (401, 401, 401, 401, 401)  # bearer tokens only, never a session

MATRIX: dict[tuple[str, str], tuple] = {
    ("GET", "static"): PUBLIC,
    ("GET", "home.index"): GUESTS,
    ("GET", "home.dashboard"): MEMBERS,
    ("GET", "auth.signup"): GUESTS,
    ("POST", "auth.signup"): GUESTS,  # an empty form re-renders with errors
    ("GET", "auth.login"): GUESTS,
    ("POST", "auth.login"): GUESTS,
    ("GET", "auth.forgot_password"): PUBLIC,
    ("POST", "auth.forgot_password"): PUBLIC,  # an empty form re-renders with errors
    ("POST", "auth.logout"): (302, 302, 302, 302, 302),
    ("GET", "auth.change_password"): MEMBERS,
    ("POST", "auth.change_password"): MEMBERS,
    ("GET", "auth.account"): MEMBERS,
    ("POST", "auth.end_other_sessions"): MEMBERS_REDIRECT,
    ("POST", "auth.end_all_sessions"): MEMBERS_REDIRECT,  # to log in again
    ("GET", "admin.users"): ADMINS,
    ("GET", "admin.audit_log"): ADMINS,
    ("POST", "admin.change_role"): (LOGIN, 403, 403, 403, 302),
    ("POST", "admin.password_link"): ADMINS,  # the page that shows the link once
    ("POST", "admin.deactivate_user"): ADMIN_REDIRECT,
    ("POST", "admin.reactivate_user"): ADMIN_REDIRECT,
    ("GET", "auth.reset_password"): (400, 400, 400, 400, 400),  # the world has no valid link
    ("POST", "auth.reset_password"): (400, 400, 400, 400, 400),
    # Platforms: API clients, tokens, webhooks. Forms posted empty re-render with errors;
    # revoking and deleting only ask for confirmation; the world's delivery has succeeded,
    # so it may be sent again.
    ("GET", "admin.platforms"): ADMINS,
    ("POST", "admin.platform_create"): ADMINS,
    ("GET", "admin.platform"): ADMINS,
    ("POST", "admin.token_issue"): ADMINS,
    ("GET", "admin.token_revoke"): ADMINS,
    ("POST", "admin.token_revoke"): ADMINS,
    ("POST", "admin.webhook_add"): ADMINS,
    ("GET", "admin.webhook"): ADMINS,
    ("POST", "admin.webhook_enabled"): ADMIN_REDIRECT,
    ("POST", "admin.webhook_rotate"): ADMINS,
    ("POST", "admin.webhook_test"): ADMIN_REDIRECT,
    ("GET", "admin.webhook_delete"): ADMINS,
    ("POST", "admin.webhook_delete"): ADMINS,
    ("POST", "admin.delivery_redeliver"): ADMIN_REDIRECT,
    # Trainee pages of an open course.
    ("GET", "courses.index"): MEMBERS,
    ("GET", "courses.home"): MEMBERS,
    ("POST", "courses.enrol"): MEMBERS_REDIRECT,
    # Leaving comes after enrolling in the walk, and the walk enrols again right after: every
    # signed-in column leaves and is sent back to the course home.
    ("POST", "courses.leave"): MEMBERS_REDIRECT,
    ("GET", "courses.manual"): MEMBERS,
    ("GET", "courses.manual_version"): MEMBERS,
    ("POST", "courses.mark_read"): (LOGIN, 400, 400, 400, 400),  # no section given
    ("GET", "courses.changes"): MEMBERS,
    ("GET", "courses.history"): MEMBERS,
    ("GET", "courses.diff"): MEMBERS,
    ("GET", "courses.media"): MEMBERS,
    # An invitation is shown to anyone; an anonymous empty post is a sign-up form with errors.
    ("GET", "courses.invite"): PUBLIC,
    ("POST", "courses.invite"): (200, 302, 302, 302, 302),
    # Practice: enrolled trainees; others are sent to enrol, staff preview. The walk does
    # every GET before "POST courses.enrol", so the trainee is enrolled only for the POST.
    ("GET", "courses.practice_index"): ENROLLED_OR_STAFF,
    ("GET", "courses.practice_module"): MEMBERS_REDIRECT,  # to the next item, or to enrol
    ("GET", "courses.practice_item"): ENROLLED_OR_STAFF,
    ("POST", "courses.practice_item"): MEMBERS,  # no answer given: the form says so
    # Authoring and cohorts: the course's staff and admins. Any instructor may create a course
    # (or import a new one) and list the courses they staff.
    ("GET", "courses.manage"): INSTRUCTORS,
    ("GET", "courses.bank"): STAFF,
    ("POST", "courses.import_items"): STAFF,  # no file given: the form says so
    ("GET", "courses.item_history"): STAFF,
    ("GET", "courses.new_item_kind"): STAFF,
    ("GET", "courses.new_item"): STAFF,
    ("POST", "courses.new_item"): STAFF,  # an empty form re-renders with errors
    ("GET", "courses.edit_item"): STAFF,
    ("POST", "courses.edit_item"): STAFF,  # an empty form re-renders with errors
    ("GET", "courses.new"): INSTRUCTORS,
    ("POST", "courses.new"): INSTRUCTORS,  # an empty form re-renders with errors
    ("GET", "courses.edit"): STAFF,
    ("POST", "courses.edit"): STAFF_REDIRECT,  # fields not posted keep their values
    ("GET", "courses.draft"): STAFF,
    ("POST", "courses.draft"): STAFF_REDIRECT,  # saves the (empty) draft
    ("POST", "courses.preview"): STAFF,
    ("POST", "courses.discard"): STAFF_REDIRECT,
    ("GET", "courses.publish"): STAFF,
    ("POST", "courses.publish"): STAFF,  # refused: the draft is empty
    ("GET", "courses.import_bundle"): INSTRUCTORS,
    ("POST", "courses.import_bundle"): INSTRUCTORS,
    ("GET", "courses.cohorts"): STAFF,
    ("POST", "courses.cohorts"): STAFF,
    ("GET", "courses.cohort"): STAFF,
    ("POST", "courses.invite_link"): STAFF,
    ("POST", "courses.invite_emails"): STAFF,
    # Course staff: its staff see the list; owners and admins change it (an empty form
    # re-renders with errors; the world's trainee is not on the staff).
    ("GET", "courses.staff_list"): STAFF,
    ("POST", "courses.add_staff"): STAFF,
    ("POST", "courses.remove_staff"): (LOGIN, 403, 302, 403, 302),
    # Exams, the instructor side: settings, qualifications, disputes (forms posted empty
    # re-render with errors). A trainee disputes a practice item: sent back to the item.
    ("GET", "exams.settings"): STAFF,
    ("POST", "exams.settings"): STAFF,
    ("GET", "exams.qualifications"): STAFF,
    ("GET", "exams.qualification"): STAFF,
    ("POST", "exams.revoke"): STAFF,
    ("POST", "exams.reinstate"): STAFF,
    ("GET", "exams.disputes"): STAFF,
    ("GET", "exams.round_requests"): STAFF,
    ("POST", "exams.answer_round_request"): (LOGIN, 403, 400, 403, 400),  # no decision given
    ("POST", "exams.ask_for_round"): MEMBERS_REDIRECT,  # back to the exam page, or to enrol
    # Progress, its CSV and the training-hours report: the course's staff and admins only.
    ("GET", "exams.progress"): STAFF,
    ("GET", "exams.progress_csv"): STAFF,
    ("GET", "exams.hours"): STAFF,
    ("GET", "exams.hours_csv"): STAFF,
    ("GET", "exams.dispute"): STAFF,
    # The course and cohort dashboards and their charts (SVG): staff and admins only.
    ("GET", "exams.dashboard"): STAFF,
    ("GET", "exams.dashboard_chart"): STAFF,
    ("GET", "exams.cohort_dashboard"): STAFF,
    ("GET", "exams.cohort_dashboard_chart"): STAFF,
    ("GET", "exams.characteristics_chart"): STAFF,  # the sequential exam's, on its settings page
    # Item analysis and the rules that cause errors show answers (gold among them): staff
    # only. The call-out button posted with no mistake chosen goes back to the rules page.
    ("GET", "exams.item_analysis_page"): STAFF,
    ("GET", "exams.rules"): STAFF,
    ("POST", "exams.add_callout"): STAFF_REDIRECT,
    ("POST", "exams.resolve_dispute"): STAFF,
    ("POST", "exams.dispute_practice_item"): MEMBERS_REDIRECT,
    # Exams, the trainee side. The world's attempt is another trainee's, graded: its owner only
    # takes it (404 for everyone else) and the course's staff may read its result. Autosave is
    # a JSON PUT whose CSRF token comes in a header: without one it is refused (401 when logged
    # out).
    ("GET", "exams.overview"): ENROLLED_OR_STAFF,
    ("POST", "exams.start"): MEMBERS_REDIRECT,  # to the attempt, or back with why not
    ("GET", "exams.take"): (LOGIN, 404, 404, 404, 404),
    ("PUT", "exams.save_answer"): (401, 400, 400, 400, 400),
    ("POST", "exams.submit"): (LOGIN, 404, 404, 404, 404),
    ("GET", "exams.result"): (LOGIN, 404, 200, 404, 200),
    ("POST", "exams.dispute_exam_item"): (LOGIN, 404, 404, 404, 404),
    ("GET", "exams.attempt_media"): (LOGIN, 404, 404, 404, 404),
    # A platform's one-time sign-in link: the world's token is no such link, for anyone.
    ("GET", "auth.link_sign_in"): (400, 400, 400, 400, 400),
    ("POST", "auth.link_sign_in"): (400, 400, 400, 400, 400),
    # The platform API takes bearer tokens only: a browser session opens nothing (401).
    # Its description and reference page are public.
    ("GET", "openapi_api/v1"): PUBLIC,
    ("GET", "api.reference"): PUBLIC,
    ("GET", "api.worker_qualifications"): API,
    ("POST", "api.check"): API,
    ("GET", "api.sync"): API,
    ("POST", "api.create_worker"): API,
    ("GET", "api.list_courses"): API,
    ("GET", "api.list_events"): API,
    ("GET", "api.list_webhooks"): API,
    ("POST", "api.create_webhook"): API,
    ("GET", "api.get_webhook"): API,
    ("PATCH", "api.update_webhook"): API,
    ("DELETE", "api.delete_webhook"): API,
    ("POST", "api.rotate_secret"): API,
    ("POST", "api.send_test"): API,
    ("GET", "api.list_deliveries"): API,
    ("POST", "api.redeliver"): API,
}


def sample_arguments(endpoint: str, world: dict) -> dict:
    """Real values for the URL parameters of each endpoint."""
    if endpoint == "static":
        return {"filename": "css/bootcamp.css"}
    with_params = {rule.endpoint: rule.arguments for rule in current_app.url_map.iter_rules()}
    # The dashboards' charts and new items' kinds are named in the URL.
    values = {"chart": "funnel", "kind_name": "boxes", **world}
    arguments = {name: values[name] for name in with_params[endpoint]}
    if endpoint == "exams.characteristics_chart":  # the test to chart is in the query
        arguments |= {"chart": "pass", "p0": 0.7, "p1": 0.85, "alpha": 0.05, "beta": 0.05,
                      "min_items": 10, "max_items": 123}
    return arguments


def registered_routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (method, rule.endpoint)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_matrix_covers_every_route(app):
    assert registered_routes(app) == set(MATRIX)


def log_in_as(app, client, world, role: str, login_as) -> None:
    """Log the client in for a column of the matrix (the instructor owns the world's course)."""
    if role == "anonymous":
        return
    user = login_as(Role.INSTRUCTOR if role == "outsider" else Role(role))
    if role == "instructor":
        with app.app_context():
            course = catalog.find_course(world["slug"])
            staff.appoint(course, db.session.get(User, user.id), StaffRole.OWNER, None)
            db.session.commit()


def walk(app, client, world, role: str, login_as):
    """Every route of the matrix, in order; yields (method, url, expected, response, body)."""
    role_index = ROLES.index(role)
    log_in_as(app, client, world, role, login_as)
    for (method, endpoint), statuses in sorted(MATRIX.items()):
        with app.test_request_context():
            url = url_for(endpoint, **sample_arguments(endpoint, world))
        data = {"csrf_token": csrf_token(client)} if method == "POST" else None
        response = client.open(url, method=method, data=data)
        body = response.get_data(as_text=True)
        response.close()  # static files are streamed from an open file
        yield method, url, statuses[role_index], response, body
        if endpoint in {"auth.logout", "auth.end_all_sessions"}:
            log_in_as(app, client, world, role, login_as)  # logging out was the point
        if endpoint == "courses.leave" and role != "anonymous":  # so was leaving: come back
            with app.test_request_context():
                again = url_for("courses.enrol", slug=world["slug"])
            client.post(again, data={"csrf_token": csrf_token(client)})


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_expected_status_everywhere(app, client, world, login_as, role):
    mismatches = []
    for method, url, expected, response, _ in walk(app, client, world, role, login_as):
        got = response.status_code
        if expected == LOGIN:
            ok = got == 302 and response.headers["Location"].startswith("/auth/login")
        else:
            ok = got == expected
        if not ok:
            mismatches.append(f"{method} {url}: expected {expected}, got {got}")
    assert mismatches == []


def test_an_instructor_of_another_course_never_sees_its_trainees(app, client, world, login_as):
    """Whatever the status, no page shows the outsider the course's trainee or their dispute."""
    with app.app_context():
        email = db.session.get(User, world["user_id"]).email
    leaks = [f"{method} {url}" for method, url, _, _, body
             in walk(app, client, world, "outsider", login_as)
             if email in body or "Why?" in body]
    assert leaks == []


def test_another_instructors_draft_course_is_not_found(app, client, world, login_as):
    """A draft course does not exist for an instructor who is not on its staff: every page
    that names it answers 404, whatever it would have said to its staff."""
    with app.app_context():
        catalog.find_course(world["slug"]).status = CourseStatus.DRAFT
        db.session.commit()
    with app.test_request_context():
        urls = {url_for(rule.endpoint, **sample_arguments(rule.endpoint, world))
                for rule in app.url_map.iter_rules() if "slug" in rule.arguments}
    got = {f"{method} {url}": response.status_code
           for method, url, _, response, _ in walk(app, client, world, "outsider", login_as)
           if url in urls}
    assert got and set(got.values()) == {404}, got
