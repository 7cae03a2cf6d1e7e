"""Every link and button whose accessible name differs from its visible text starts with that
text (WCAG 2.5.3, Label in Name): someone using voice control says what they see ("click Mark as
read") and screen-reader users hear the words sighted colleagues point at.

Checked on the templates' source, where the visible text and the aria-label are written side by
side (Jinja expressions included, compared as written), so every page is covered at once.
"""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# A link or button written on one line with an aria-label, and the text up to its first tag.
LABELLED = re.compile(r'<(?:a|button)\b[^>]*\baria-label="(?P<name>[^"]*)"[^>]*>(?P<text>[^<]*)<')


def _labelled_controls() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in LABELLED.finditer(line):
                found.append((f"{path.relative_to(TEMPLATES)}:{number}",
                              match["name"], match["text"].strip()))
    return found


def test_accessible_names_start_with_the_visible_text():
    controls = _labelled_controls()
    assert len(controls) > 20  # the pattern still finds the templates' labelled controls
    wrong = [f"{where}: {name!r} does not start with {text!r}"
             for where, name, text in controls if text and not name.startswith(text)]
    assert wrong == []
