"""Reading an answer (or a gold) from a posted form, the same way for every page."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.datastructures import MultiDict

from courses import kinds
from courses.services import practice


def parse_answer(kind: str, form: MultiDict) -> Any:
    """The answer a form posts, in the shape graders.score takes; AnswerRefused when unreadable."""
    reader = kinds.kind_of(kind).reader
    if reader == "one":
        if "answer" not in form:
            raise practice.AnswerRefused("Choose one of the options, then check your answer.")
        return form["answer"]
    if reader == "many":
        return form.getlist("answer")
    try:
        return json.loads(form.get("answer") or "[]")
    except (ValueError, RecursionError) as error:
        raise practice.AnswerRefused(
            "Your answer could not be read. Reload the page and draw it again.") from error
