"""The exams blueprint: taking exams, results, qualifications, disputes and exam settings."""

from flask import Blueprint

bp = Blueprint("exams", __name__)

import exams.services.qualifications  # noqa: E402, F401  (signal receivers)
import exams.services.regrading  # noqa: E402, F401  (signal receivers)
from exams import bundle_hooks, models  # noqa: E402, F401  (bundle hooks, the tables)
from exams.views import (  # noqa: E402, F401  (register routes and hooks)
    dashboard,
    disputes,
    item_analysis,
    progress,
    qualifications,
    rounds,
    settings,
    sweep,
    taking,
)
