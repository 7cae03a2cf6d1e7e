"""Course staff: instructors see and change only the courses they staff; admins every course.

Owners add and remove staff (a course keeps one owner), every change is audited, and a bundle
uploaded in the browser cannot take over a course its uploader does not staff.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import column, insert, select, table
from sqlalchemy import inspect as sa_inspect

from bootcamp.audit import AuditEntry, record_audit
from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import Role, User
from courses.models import Course, CourseStatus
from courses.services import catalog, staff
from tests.conftest import make_app
from tests.courses.test_bundle_import import alert_items, import_cli, upload, zipped
from tests.factories import make_course, post_form, row_counts, signed_in

SLUG = "clothing-tagging"


def staff_roles(app, slug: str) -> dict[str, str]:
    """Email -> role of the course's staff."""
    with app.app_context():
        course = catalog.find_course(slug)
        return {user.email: member.role.value for member, user in staff.staff_of(course)}


def audit_actions(app) -> list[tuple[str, dict]]:
    with app.app_context():
        return [(entry.action, entry.data) for entry in db.session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("course_staff_%"))
            .order_by(AuditEntry.id))]


def add(client, slug: str, email: str, role: str = "instructor"):
    return post_form(client, f"/courses/{slug}/staff", {"email": email, "role": role},
                     page=f"/courses/{slug}/staff")


def zipped_with(folder, course_yaml: str) -> bytes:
    """The bundle zipped, with another course.yaml."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(zipped(folder))) as source, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if re.fullmatch(r"[^/]+/course\.yaml", info.filename):
                content = course_yaml.encode("utf-8")
            target.writestr(info.filename, content)
    return buffer.getvalue()


def remove(client, slug: str, user_id: int):
    return post_form(client, f"/courses/{slug}/staff/{user_id}/remove",
                     page=f"/courses/{slug}/staff")


@pytest.fixture
def owner(make_user) -> User:
    return make_user(Role.INSTRUCTOR, email="owner@example.com")


@pytest.fixture
def outsider(make_user) -> User:
    return make_user(Role.INSTRUCTOR, email="outsider@example.com")


def test_the_creator_of_a_course_is_its_owner(app, owner):
    client = signed_in(app, owner)
    response = post_form(client, "/courses/new", {
        "title": "Street scenes", "slug": "street", "status": "draft"}, page="/courses/new")
    assert response.status_code == 302
    assert staff_roles(app, "street") == {"owner@example.com": "owner"}
    page = client.get("/courses/street/staff").get_data(as_text=True)
    assert "owner@example.com" in page and "Owner" in page


def test_manage_lists_only_the_courses_an_instructor_staffs(app, owner, outsider, make_user):
    make_course(app, owner, "mine", title="Mine to change")
    make_course(app, outsider, "theirs", title="Theirs to change")
    page = signed_in(app, owner).get("/courses/manage").get_data(as_text=True)
    assert "Mine to change" in page and "Theirs to change" not in page
    admin_page = signed_in(app, make_user(Role.ADMIN)).get("/courses/manage").get_data(
        as_text=True)
    assert "Mine to change" in admin_page and "Theirs to change" in admin_page


def test_an_instructor_of_another_course_sees_it_as_a_trainee_does(app, owner, outsider):
    make_course(app, owner, "open-one", versions=("# Rules\n\nText.",))
    make_course(app, owner, "draft-one", status=CourseStatus.DRAFT)
    client = signed_in(app, outsider)
    home = client.get("/courses/open-one")
    assert home.status_code == 200
    assert "For instructors" not in home.get_data(as_text=True)
    assert client.get("/courses/open-one/edit").status_code == 403
    assert client.get("/courses/open-one/staff").status_code == 403
    assert client.get("/courses/draft-one").status_code == 404
    assert client.get("/courses/draft-one/edit").status_code == 404
    assert client.get("/courses/draft-one/manual/draft").status_code == 404
    assert signed_in(app, owner).get("/courses/draft-one/edit").status_code == 200


def test_an_owner_adds_an_instructor_who_then_edits_the_course(app, owner, outsider):
    make_course(app, owner, "shared")
    outsider_client = signed_in(app, outsider)
    assert outsider_client.get("/courses/shared/edit").status_code == 403
    response = add(signed_in(app, owner), "shared", "  Outsider@Example.com ")
    assert response.status_code == 302
    assert staff_roles(app, "shared") == {"owner@example.com": "owner",
                                          "outsider@example.com": "instructor"}
    assert outsider_client.get("/courses/shared/edit").status_code == 200
    page = outsider_client.get("/courses/manage").get_data(as_text=True)
    assert "/courses/shared/edit" in page
    # An instructor on the staff is not an owner: they see the staff, and change nothing.
    staff_page = outsider_client.get("/courses/shared/staff").get_data(as_text=True)
    assert "Only the course's owners and admins can add or remove staff." in staff_page
    assert add(outsider_client, "shared", "owner@example.com", "instructor").status_code == 403
    assert remove(outsider_client, "shared", owner.id).status_code == 403
    added = [data for action, data in audit_actions(app) if action == "course_staff_added"]
    assert added[-1] == {"user": "outsider@example.com", "role": "instructor"}


@pytest.mark.parametrize(("email", "role", "message"), [
    ("nobody@example.com", "instructor", "No account has the email nobody@example.com."),
    ("trainee1@example.com", "instructor", "trainee1@example.com is a trainee account."),
    ("owner@example.com", "owner", "owner@example.com is already on the staff, as an owner."),
    ("", "instructor", "This field is required."),
    ("outsider@example.com", "boss", "Not a valid choice."),
])
def test_adding_staff_is_refused_with_the_reason(app, owner, outsider, make_user, email, role,
                                                 message):
    make_user(Role.TRAINEE, email="trainee1@example.com")
    make_course(app, owner, "shared")
    before = staff_roles(app, "shared")
    response = add(signed_in(app, owner), "shared", email, role)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert staff_roles(app, "shared") == before


def test_the_last_owner_stays(app, owner, outsider):
    make_course(app, owner, "shared")
    client = signed_in(app, owner)
    removed = remove(client, "shared", owner.id)
    assert removed.status_code == 302
    page = client.get(removed.headers["Location"]).get_data(as_text=True)
    assert "owner@example.com is the only owner." in page
    demoted = add(client, "shared", "owner@example.com", "instructor")
    assert demoted.status_code == 200
    assert "owner@example.com is the only owner." in demoted.get_data(as_text=True)
    assert staff_roles(app, "shared") == {"owner@example.com": "owner"}
    # With a second owner, the first may leave, and then no longer reaches the course.
    assert add(client, "shared", "outsider@example.com", "owner").status_code == 302
    response = remove(client, "shared", owner.id)
    assert response.status_code == 302 and response.headers["Location"] == "/courses/manage"
    assert staff_roles(app, "shared") == {"outsider@example.com": "owner"}
    assert client.get("/courses/shared/edit").status_code == 403
    assert [action for action, _ in audit_actions(app)] == [
        "course_staff_added", "course_staff_added", "course_staff_removed"]


def test_an_admin_manages_the_staff_of_any_course(app, owner, outsider, make_user):
    make_course(app, owner, "shared")
    admin = signed_in(app, make_user(Role.ADMIN))
    assert admin.get("/courses/shared/edit").status_code == 200
    assert add(admin, "shared", "outsider@example.com", "owner").status_code == 302
    assert remove(admin, "shared", owner.id).status_code == 302
    assert staff_roles(app, "shared") == {"outsider@example.com": "owner"}


def test_an_instructor_made_a_trainee_loses_their_courses(app, owner, make_user):
    make_course(app, owner, "shared", status=CourseStatus.DRAFT)
    client = signed_in(app, owner)
    assert client.get("/courses/shared/edit").status_code == 200
    with app.app_context():
        db.session.get(User, owner.id).role = Role.TRAINEE
        db.session.commit()
    assert client.get("/courses/shared/edit").status_code == 403  # staff_required
    assert client.get("/courses/shared").status_code == 404


def test_a_bundle_cannot_take_over_a_course_its_uploader_does_not_staff(
        app, owner, outsider, example_bundle):
    assert upload(signed_in(app, owner), zipped(example_bundle)).status_code == 302
    original = (example_bundle / "course.yaml").read_text(encoding="utf-8")
    changed = original.replace("title: ", "title: Hijacked ", 1)
    client = signed_in(app, outsider)
    before = row_counts(app)
    with app.app_context():
        title = catalog.find_course(SLUG).title
    response = upload(client, zipped_with(example_bundle, changed))
    assert response.status_code == 200
    line = next(n for n, text in enumerate(changed.splitlines(), start=1)
                if text.startswith("slug:"))
    assert alert_items(response.get_data(as_text=True)) == [
        f"course.yaml:{line}: a course with the slug '{SLUG}' already exists and you are not "
        "on its staff, so this bundle cannot change it; use another slug, or ask its owner to "
        "add you"]
    assert row_counts(app) == before
    with app.app_context():
        assert catalog.find_course(SLUG).title == title
    assert staff_roles(app, SLUG) == {"owner@example.com": "owner"}


def test_a_bundle_upload_of_a_new_course_makes_the_uploader_its_owner(app, outsider,
                                                                        example_bundle):
    assert upload(signed_in(app, outsider), zipped(example_bundle)).status_code == 302
    assert staff_roles(app, SLUG) == {"outsider@example.com": "owner"}


def test_the_command_line_imports_into_any_course(app, owner, example_bundle):
    """The operator at the command line is trusted: no staff check, and no owner is made."""
    make_course(app, owner, SLUG, title="Made in the browser")
    result = import_cli(app, example_bundle)
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert catalog.find_course(SLUG).title != "Made in the browser"
    assert staff_roles(app, SLUG) == {"owner@example.com": "owner"}



def test_the_demo_instructor_owns_the_examples_and_the_outsider_staffs_none(app):
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert re.search(r"instructor +outsider@example\.com +demo-\S+ +\(an instructor on the "
                     r"staff of no course\)", result.output), result.output
    with app.app_context():
        slugs = [course.slug for course in db.session.scalars(select(Course))]
        assert len(slugs) >= 4
        for slug in slugs:
            assert staff_roles(app, slug) == {"instructor@example.com": "owner"}, slug
        outsider = db.session.scalar(select(User).where(User.email == "outsider@example.com"))
        assert outsider.role == Role.INSTRUCTOR
        assert catalog.staff_courses(outsider) == []


def insert_course_at_0008(slug: str) -> int:
    """A course row as schema 0008 knows it: the model has columns added by later migrations."""
    now = utcnow()
    courses = table("courses", column("id"), column("slug"), column("title"),
                    column("description"), column("qualifies_for"), column("status"),
                    column("created_at"), column("updated_at"))
    return db.session.execute(insert(courses).values(
        slug=slug, title=slug, description="", qualifies_for="", status="draft",
        created_at=now, updated_at=now).returning(courses.c.id)).scalar_one()


def insert_user_at_0008(role: str) -> int:
    """A user row as schema 0008 knows it (later migrations add columns the model has)."""
    users = table("users", column("id"), column("email"), column("name"),
                  column("password_hash"), column("role"), column("created_at"))
    return db.session.execute(insert(users).values(
        email=f"{role}@example.com", name=role, password_hash="-", role=role,
        created_at=utcnow()).returning(users.c.id)).scalar_one()


def test_the_migration_makes_each_courses_creator_its_owner(empty_database_url):
    """Existing courses get their creator (while still an instructor or admin) as owner; a
    course made at the command line, or by someone no longer an instructor, gets nobody."""
    migrated = make_app(empty_database_url)
    with migrated.app_context():
        upgrade(revision="0008")
        people = {role: insert_user_at_0008(role) for role in ("instructor", "admin", "trainee")}
        created = {"by-instructor": people["instructor"], "by-admin": people["admin"],
                   "by-cli": None, "by-demoted": people["trainee"]}
        for slug, actor_id in created.items():
            course_id = insert_course_at_0008(slug)
            record_audit("course_created", actor_id=actor_id, target=f"course:{course_id}")
            record_audit("course_updated", actor_id=people["admin"],
                         target=f"course:{course_id}")
        db.session.commit()
        upgrade()
        assert {slug: staff_roles(migrated, slug) for slug in created} == {
            "by-instructor": {"instructor@example.com": "owner"},
            "by-admin": {"admin@example.com": "owner"}, "by-cli": {}, "by-demoted": {}}
        downgrade(revision="0008")
        assert "course_staff" not in sa_inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()
