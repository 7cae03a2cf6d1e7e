"""The exams blueprint: taking exams, results, qualifications, disputes and exam settings."""

from flask import Blueprint

bp = Blueprint("exams", __name__)

from exams import bundle_hooks, models  # noqa: E402, F401  (bundle hooks, the tables)
from exams.services import qualifications, regrading  # noqa: E402, F401  (signal receivers)
from exams.views import manage, rules, sweep, taking  # noqa: E402, F401  (routes, hooks)
