"""The courses blueprint: the training centre, manuals, practice, authoring and cohorts."""

from flask import Blueprint

bp = Blueprint("courses", __name__)

from courses import models  # noqa: E402, F401  (the tables)
from courses.views import (  # noqa: E402, F401  (register routes)
    authoring,
    bank,
    cohorts,
    item_create,
    item_editor,
    media,
    practice,
    reading,
    staff,
)
