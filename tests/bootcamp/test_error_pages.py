"""Bad requests get a 400 or 413 page (or a problem document), never a bare 500.

The error handler must not read the body that caused the error a second time. The app here
does not propagate exceptions (as under gunicorn), so a handler that fails shows up as a 500.
"""

from __future__ import annotations

import pytest

from bootcamp.users.models import Role
from tests.helpers import csrf_token, log_in


@pytest.fixture
def served(make_extra_app, make_user):
    """A client of an app configured as in production, logged in as an instructor."""
    served_app = make_extra_app(TESTING=False)
    client = served_app.test_client()
    assert log_in(client, make_user(Role.INSTRUCTOR).email).status_code == 302
    return client


@pytest.mark.parametrize("body", ["{not json", "[" * 5000 + "]" * 5000])
@pytest.mark.parametrize("with_token", [False, True])
def test_a_form_route_given_bad_json_answers_400_with_a_page(served, body, with_token):
    headers = {"X-CSRFToken": csrf_token(served, "/courses/new")} if with_token else {}
    response = served.post("/courses/new", data=body, content_type="application/json",
                           headers=headers)
    assert response.status_code == 400 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Error 400" in page
    if with_token:  # past the CSRF check, the form itself could not read the body
        assert "Something was wrong with that request" in page


def test_an_upload_over_the_limit_answers_413_with_the_limit(served):
    too_big = b"x" * (65 * 1024 * 1024)
    response = served.post("/courses/import", data=too_big,
                           content_type="multipart/form-data; boundary=edge")
    assert response.status_code == 413 and response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert "That file is too large" in body and "up to 64 MB" in body
    assert 'name="csrf_token"' in body  # the logged-in page still renders whole


def test_programs_get_problem_documents(served):
    missing = served.get("/courses/no-such-course", headers={"Accept": "application/json"})
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert missing.get_json() == {"type": "about:blank", "title": "Page not found",
                                  "detail": "The address may be mistyped, or the page was moved.",
                                  "status": 404}
    page = served.get("/courses/no-such-course", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.status_code == 404 and page.mimetype == "text/html"
