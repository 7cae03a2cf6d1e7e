"""course.yaml's optional `exam:` block: the course's exam rules, read with file:line errors.

Pure logic: no Flask, no database. courses never import exams, so the bundle reader hands the
block to `read_exam` through courses.signals.exam_block_read. Bounds and defaults are those of
exams.rules; the block writes them in the units instructors think in (minutes, hours, days),
ExamRules keeps seconds, like the exam settings.
"""

from __future__ import annotations

import math
import re

from yaml.nodes import MappingNode, Node, ScalarNode

from courses.bundles.model import normalise_line
from courses.bundles.yaml_doc import YamlMapping, fill_mapping, is_null
from courses.errors import ErrorList
from courses.signals import exam_block_read
from exams.rules import (
    BOUNDS,
    DEFAULTS,
    MODES,
    RESULT_DETAILS,
    SEQUENTIAL_FIELDS,
    ExamRules,
    is_quota,
    quota_problems,
    sequential_problems,
)

EXAM_KEYS = ("items", "quotas", "shuffle", "pass_mark", "critical_rule", "result_detail",
             "time_limit_minutes", "attempts", "retry_delay_hours", "validity_days", "refresh",
             "mode", "sequential")
REFRESH_KEYS = ("items", "grace_days")
SEQUENTIAL_KEYS = tuple(BOUNDS[name].key.rpartition(".")[2] for name in SEQUENTIAL_FIELDS)

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_STR = "tag:yaml.org,2002:str"
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_NUMBER = re.compile(r"-?((0|[1-9][0-9]*)(\.[0-9]+)?|\.[0-9]+)")
_MISSING = object()


class _Reader:
    """Values of one mapping of the block, each checked and reported at its key's line."""

    def __init__(self, doc: YamlMapping, prefix: str, errors: ErrorList):
        self.doc, self.prefix, self.errors = doc, prefix, errors

    def _node(self, key: str) -> Node | object:
        return self.doc.nodes.get(key, _MISSING)

    def report(self, key: str, message: str) -> None:
        self.errors.add(self.doc.file, self.doc.at(key), f"{self.prefix}{key} {message}")

    def whole(self, key: str, default: int | None, bounds: tuple[int, int], example: str,
              nullable: bool = False) -> int | None:
        """A whole number within bounds; null only where nullable; absent: the default."""
        node = self._node(key)
        if node is _MISSING:
            return default
        if nullable and is_null(node):
            return None
        if not (isinstance(node, ScalarNode) and node.tag == _INT
                and _DECIMAL.fullmatch(node.value)):
            also = " or null" if nullable else ""
            self.report(key, f"must be a whole number{also}, like {example}")
            return default
        value = int(node.value)
        if not bounds[0] <= value <= bounds[1]:
            self.report(key, f"must be between {bounds[0]} and {bounds[1]}, not {value}")
        return value

    def number(self, key: str, default: float | None, example: str,
               nullable: bool = False) -> float | None:
        """A plain decimal number (1, 0.8, 1.5); null only where nullable; absent: default."""
        node = self._node(key)
        if node is _MISSING:
            return default
        if nullable and is_null(node):
            return None
        if not (isinstance(node, ScalarNode) and node.tag in (_INT, _FLOAT)
                and _NUMBER.fullmatch(node.value) and math.isfinite(float(node.value))):
            also = " or null" if nullable else ""
            self.report(key, f"must be a number{also}, like {example}")
            return default
        return float(node.value)

    def flag(self, key: str, default: bool) -> bool:
        node = self._node(key)
        if node is _MISSING:
            return default
        if isinstance(node, ScalarNode) and node.tag == _BOOL \
                and node.value.lower() in ("true", "false"):
            return node.value.lower() == "true"
        self.report(key, "must be true or false")
        return default

    def choice(self, key: str, default: str, allowed: tuple[str, ...]) -> str:
        """One of the allowed words; absent: the default."""
        node = self._node(key)
        if node is _MISSING:
            return default
        if isinstance(node, ScalarNode) and node.tag == _STR and node.value in allowed:
            return node.value
        self.report(key, f"must be one of {', '.join(allowed)}")
        return default

    def mapping(self, key: str, allowed: tuple[str, ...]) -> YamlMapping | None:
        """A nested mapping (its keys checked); None when absent or null."""
        node = self._node(key)
        if node is _MISSING or is_null(node):
            return None
        if not isinstance(node, MappingNode):
            self.report(key, f"must be keys and values, like {key}: {{...}}")
            return None
        nested = YamlMapping(self.doc.file, self.doc.first_line)
        fill_mapping(node, nested, allowed, self.errors, f"{self.prefix}{key}.")
        return nested


@exam_block_read.connect
def read_exam(doc: YamlMapping, errors: ErrorList, sections: set[str] | None) -> ExamRules | None:
    """The `exam:` block of course.yaml; None when absent or null.

    Absent keys take the defaults of exams.rules. `sections` are the section ids of the latest
    manual version, which quotas must name; None skips that check (the manual has errors).
    """
    node = doc.nodes.get("exam")
    if is_null(node):
        return None
    if not isinstance(node, MappingNode):
        errors.add(doc.file, doc.at("exam"),
                   'exam must be keys and values on the lines below it, like "  items: 10"')
        return None
    exam = YamlMapping(doc.file, doc.first_line)
    fill_mapping(node, exam, EXAM_KEYS, errors, "exam.")
    read = _Reader(exam, "exam.", errors)
    count = _bounded(read, "item_count")
    time_limit = _bounded(read, "time_limit_seconds")
    retry_delay = _bounded(read, "retry_delay_seconds")
    pass_mark = _bounded(read, "pass_mark")
    refresh = read.mapping("refresh", REFRESH_KEYS)
    refresh_read = _Reader(refresh or YamlMapping(doc.file, doc.first_line), "exam.refresh.",
                           errors)
    mode = read.choice("mode", DEFAULTS.mode, MODES)
    nested = read.mapping("sequential", SEQUENTIAL_KEYS)
    test_read = _Reader(nested or YamlMapping(doc.file, doc.first_line), "exam.sequential.",
                        errors)
    test = {name: _bounded(test_read, name) for name in SEQUENTIAL_FIELDS}
    quotas = _quotas(read, test["sequential_max_items"] if mode == "sequential" else count,
                     sections)
    rules = ExamRules(
        item_count=count,
        quotas=quotas,
        shuffle=read.flag("shuffle", DEFAULTS.shuffle),
        pass_mark=pass_mark,
        critical_rule=read.flag("critical_rule", DEFAULTS.critical_rule),
        time_limit_seconds=time_limit,
        attempts_allowed=_bounded(read, "attempts_allowed"),
        retry_delay_seconds=retry_delay,
        validity_days=_bounded(read, "validity_days"),
        refresh_item_count=_bounded(refresh_read, "refresh_item_count"),
        refresh_grace_days=_bounded(refresh_read, "refresh_grace_days"),
        result_detail=read.choice("result_detail", DEFAULTS.result_detail, RESULT_DETAILS),
        mode=mode,
        **test,
    )
    if rules.is_sequential and all(BOUNDS[name].holds(getattr(rules, name))
                                   for name in SEQUENTIAL_FIELDS):
        key = "sequential" if nested is not None else "mode"
        for problem in sequential_problems(rules):
            errors.add(doc.file, exam.at(key), f"exam.sequential: {problem}")
    return rules


def _bounded(read: _Reader, name: str) -> int | float | None:
    """The rule `name` in stored units, read in written units and checked against its Bound."""
    bound = BOUNDS[name]
    key = bound.key.rpartition(".")[2]
    default = getattr(DEFAULTS, name)
    if bound.whole:
        return read.whole(key, default, bound.written(), bound.example, bound.nullable)
    written = read.number(key, None if default is None else default / bound.scale,
                          bound.example, bound.nullable)
    if not bound.holds(written, written=True):
        low, high = bound.written()
        also = ", or null" if bound.nullable else ""
        read.report(key, bound.bundle_range or f"must be between {low} and {high}{bound.note}"
                                               f"{also}")
    if written is None or bound.scale == 1:
        return written
    return round(written * bound.scale)


def _quotas(read: _Reader, count: int, sections: set[str] | None) -> dict[str, int]:
    """Section id -> at least that many items; each a section of the latest manual version."""
    node = read.doc.nodes.get("quotas")
    if is_null(node):
        return {}
    file = read.doc.file
    if not isinstance(node, MappingNode):
        read.report("quotas", "must map section ids to numbers of items, like "
                              "{what-counts: 2, footwear: 1}")
        return {}
    # The keys and values become a mapping here (a whole number in decimal digits an int,
    # anything else the text written); exams.rules.quota_problems checks it.
    written: dict[str, int | str | None] = {}
    lines: dict[str, tuple[int, int]] = {}  # section -> the lines of its key and its value
    found: list[tuple[int, str]] = []
    for key, value in node.value:
        line = read.doc.line(key)
        section = normalise_line(key.value) if isinstance(key, ScalarNode) else ""
        if not section or "\n" in section:
            found.append((line, "exam.quotas must use section ids as keys"))
            continue
        if section in written:
            found.append((line, f'exam.quotas: section "{section}" is listed twice'))
            continue
        lines[section] = line, read.doc.line(value)
        if isinstance(value, ScalarNode) and value.tag == _INT and _DECIMAL.fullmatch(value.value):
            written[section] = int(value.value)
        else:
            written[section] = value.value if isinstance(value, ScalarNode) else None
    problems = quota_problems(written, item_count=count,
                              sections=None if sections is None else sorted(sections))
    for problem in problems:
        if problem.section is not None:  # a wrong number is shown at the value, else the key
            key_line, value_line = lines[problem.section]
            found.append((value_line if problem.check == "count" else key_line,
                          f"exam.quotas{problem.key}"))
    for line, message in sorted(found, key=lambda entry: entry[0]):
        read.errors.add(file, line, message)
    for problem in problems:
        if problem.section is None:  # their sum: at the quotas key
            read.errors.add(file, read.doc.at("quotas"), f"exam.quotas{problem.key}")
    return dict(sorted((section, n) for section, n in written.items() if is_quota(n)))
