"""API: courses. What a platform needs to know of each course to gate work on it."""

from __future__ import annotations

from sqlalchemy import select

from bootcamp.api import bp
from bootcamp.api.auth import require_scope
from bootcamp.api.cursors import BadCursor, make_cursor, read_cursor
from bootcamp.api.responses import documented, json_body
from bootcamp.api.schemas import CourseInfo, CoursePage, ExamRules, PageQuery, Problem
from bootcamp.api.spec import spec
from bootcamp.api.standings import current_version_column
from bootcamp.errors import problem
from bootcamp.extensions import db
from courses.models import Course, CourseStatus
from exams.models import ExamSettings
from exams.rules import DEFAULTS

COURSES_CURSOR = "courses"
RULES = tuple(ExamRules.model_fields)


@bp.get("/courses")
@require_scope("qualifications:read")
@spec.validate(query=PageQuery,
               resp=documented(HTTP_200=CoursePage,
                               HTTP_400=(Problem, "The cursor is not one this server gave.")),
               tags=["courses"])
def list_courses(query: PageQuery):
    """Open and archived courses (not drafts): slug, title, code name, the current manual
    version and the exam rules a qualification is earned under."""
    statement = (select(Course, current_version_column(Course.id), ExamSettings)
                 .outerjoin(ExamSettings, ExamSettings.course_id == Course.id)
                 .where(Course.status != CourseStatus.DRAFT))
    if query.cursor is not None:
        try:
            (after,) = read_cursor(COURSES_CURSOR, query.cursor)
            statement = statement.where(Course.id > int(after))
        except (BadCursor, TypeError, ValueError):
            return problem(400, "Invalid cursor", "This cursor is not valid: pass the `next` "
                           "of the previous page unchanged.")
    found = db.session.execute(statement.order_by(Course.id).limit(query.limit + 1)).all()
    page = found[:query.limit]
    items = [CourseInfo(slug=course.slug, title=course.title, code_name=course.code_name,
                        status=str(course.status), current_manual_version=current,
                        exam=ExamRules(**{name: getattr(settings or DEFAULTS, name)
                                          for name in RULES}))
             for course, current, settings in page]
    more = len(found) > query.limit
    return json_body(CoursePage(items=items, next=make_cursor(COURSES_CURSOR,
                                                              [page[-1][0].id]) if more
                                else None))
