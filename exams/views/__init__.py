"""The exams blueprint: taking exams, results, qualifications, disputes and exam settings."""

from flask import Blueprint

bp = Blueprint("exams", __name__)

from exams import models  # noqa: E402, F401  (the tables)
from exams.services import qualifications, regrading  # noqa: E402, F401  (signal receivers)
