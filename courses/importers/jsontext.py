"""Parse a JSON file and remember the line on which every object in it begins.

Errors about a COCO annotation or a Label Studio task must name a line, and json.loads forgets
where things were. This decoder is the standard library's own pure-Python scanner with its
object parser wrapped to record the offset of each object's `{`: the parsed values and the
error messages are exactly json.loads's, only slower, which is fine for files of gold items.
"""

from __future__ import annotations

import bisect
import json
import re
from json.scanner import py_make_scanner
from typing import Any

from courses.errors import SourceError, SourceInvalid


class LocatedJson:
    """A parsed JSON document and the line of each of its objects (dicts)."""

    def __init__(self, value: Any, starts: dict[int, int], newlines: list[int]) -> None:
        self.value = value
        self._starts = starts  # id(dict) -> offset of its "{"; the dicts live as long as value
        self._newlines = newlines

    def line(self, obj: object, default: int = 1) -> int:
        """The 1-based line where `obj` begins; `default` when it is not an object of the file."""
        offset = self._starts.get(id(obj))
        return default if offset is None else bisect.bisect_left(self._newlines, offset) + 1


class _LineDecoder(json.JSONDecoder):
    """json.JSONDecoder recording where each object starts."""

    def __init__(self) -> None:
        super().__init__()
        self.starts: dict[int, int] = {}
        parse_object = self.parse_object

        def tracking(s_and_end: tuple[str, int], *args: Any) -> tuple[Any, int]:
            value, end = parse_object(s_and_end, *args)
            self.starts[id(value)] = s_and_end[1] - 1
            return value, end

        self.parse_object = tracking
        self.scan_once = py_make_scanner(self)


def load_json(text: str, file: str) -> LocatedJson:
    """Parse `text`; a syntax error is raised as SourceInvalid at the line where it is."""
    text = text.removeprefix("\ufeff")
    decoder = _LineDecoder()
    try:
        value = decoder.decode(text)
    except json.JSONDecodeError as error:
        message = f"not valid JSON: {error.msg} (column {error.colno})"
        raise SourceInvalid([SourceError(file, error.lineno, message)]) from None
    except RecursionError:
        raise SourceInvalid([SourceError(file, 1, "not valid JSON: nested too deeply")]) from None
    newlines = [match.start() for match in re.finditer("\n", text)]
    return LocatedJson(value, decoder.starts, newlines)
