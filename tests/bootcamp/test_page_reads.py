"""Pages marked @reads_only read in autocommit from the session load on (no BEGIN and
ROLLBACK round trips); others keep their transaction. (tests/exams/test_reads_never_write.py:
the sweep before a marked page still settles what is due.)"""

from __future__ import annotations

from flask_login import current_user, login_required

from bootcamp.extensions import db
from bootcamp.page_reads import reads_only
from bootcamp.users.models import Role


def _isolation() -> dict:
    """Whether the session that loaded the user reads in autocommit."""
    options = db.session.connection().get_execution_options()
    return {"user": current_user.id, "autocommit": options.get("isolation_level") == "AUTOCOMMIT"}


def test_a_marked_page_reads_in_autocommit_and_others_do_not(app, client, login_as):
    app.get("/test-reads", endpoint="test_reads")(reads_only(login_required(_isolation)))
    app.get("/test-writes", endpoint="test_writes")(login_required(_isolation))
    user = login_as(Role.TRAINEE)
    assert client.get("/test-reads").get_json() == {"user": user.id, "autocommit": True}
    assert client.get("/test-writes").get_json() == {"user": user.id, "autocommit": False}
