"""Call-outs added to the next manual draft from the rules page's common mistakes.

The call-out goes into the draft only (created from the latest published text when there is
none): an instructor reads and publishes it like any other change, so nothing reaches a
trainee unseen.
"""

from __future__ import annotations

import re

from bootcamp.users.models import User
from courses.models import Course, ManualVersion
from courses.rendering import render_manual
from courses.services import manuals

_BACKTICKS = re.compile(r"`+")
MAX_ANSWER = 200  # characters of an answer quoted in a call-out (boxes can be long JSON)


def inline_code(text: str) -> str:
    """`text` as a Markdown code span, fenced with more backticks than it holds, so an answer
    is shown as typed: never as a link, HTML or a heading."""
    flat = " ".join(text.split())
    if len(flat) > MAX_ANSWER:
        flat = flat[:MAX_ANSWER].rstrip() + "…"
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(flat)), default=0) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or not flat else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def mistake_callout(item_key: str, answer: str, count: int) -> str:
    """The short call-out naming a common mistake (the answer, never the gold)."""
    times = "once" if count == 1 else f"{count} times"
    return (f"::: note\nA common mistake: on item {inline_code(item_key)}, trainees answered "
            f"{inline_code(answer)} ({times}). Say here why that answer is wrong.\n:::")


def insert_under_section(markdown: str, section: str, block: str) -> tuple[str, bool]:
    """`block` added at the end of `section` (before the next heading); at the end of the
    manual when the draft has no such section. Returns the text and whether it was found."""
    lines = markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for each in render_manual(markdown).sections:
        if each.id == section:
            end = each.line - 1 + len(each.markdown.split("\n"))
            after = lines[end:]
            gap = [] if after and not after[0].strip() else [""]
            new = [*lines[:end], "", *block.split("\n"), *gap, *after]
            return "\n".join(new).rstrip("\n") + "\n", True
    return markdown.rstrip("\n") + "\n\n" + block + "\n", False


def add_to_draft(course: Course, section: str, block: str, author: User
                 ) -> tuple[ManualVersion, bool]:
    """Append the call-out to the course's draft (created from the latest version when there
    is none); never publishes. Returns the draft and whether the section was found."""
    text, found = insert_under_section(manuals.draft_text(course), section, block)
    return manuals.save_draft(course, text, author), found
