"""Spans items: labelled character spans of a text, scored by span F1.

spec: {"text": str, "labels": [str, ...], "match": "exact" (default) or "overlap",
"overlap_threshold": 0.5 (optional, overlap mode only)}; gold and answer: a list of
{"start", "end", "label"} with offsets in Unicode code points (Python str indices), end exclusive.
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import itemgetter, le, lt
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from graders import checks, spec_cache
from graders.geometry import span_iou, span_rows
from graders.matching import match_cells, precision_recall_f1
from graders.result import Score

MAX_TEXT_CHARS = 1_000_000
MAX_SPANS = 1000
MAX_LABELS = 100
MODES = ("exact", "overlap")
DEFAULT_OVERLAP_THRESHOLD = 0.5
SPAN_KEYS = ("start", "end", "label")
_SPAN_VALUES = itemgetter("label", "start", "end")


class SpanSpec(NamedTuple):
    """A checked spec: text length, allowed labels (an ordered set), mode, overlap threshold."""

    length: int
    labels: Mapping[str, None]
    mode: str
    overlap_threshold: float


class Spans(NamedTuple):
    """Checked spans: their edge rows (graders.geometry.span_rows) and labels."""

    edges: np.ndarray
    labels: list[str]


def check_spec(spec: Any) -> SpanSpec:
    """Check a spans spec; the text is needed to check offsets in the same unit it is stored in."""
    checks.obj(spec, "spec", ("text", "labels"), ("match", "overlap_threshold"))
    text = spec["text"]
    if type(text) is not str:
        checks.fail("spec.text", f"must be a string, got {checks.type_name(text)}")
    if not 0 < len(text) <= MAX_TEXT_CHARS:
        checks.fail("spec.text", f"must have 1 to {MAX_TEXT_CHARS} characters, got {len(text)}")
    labels = checks.names(spec["labels"], "spec.labels", 1, MAX_LABELS)
    mode = spec.get("match", "exact")
    if mode not in MODES:
        checks.fail("spec.match", f"must be 'exact' or 'overlap', got {checks.show(mode)}")
    threshold = DEFAULT_OVERLAP_THRESHOLD
    if "overlap_threshold" in spec:
        if mode != "overlap":
            checks.fail("spec.overlap_threshold", "is only used with match 'overlap'")
        threshold = checks.fraction(spec["overlap_threshold"], "spec.overlap_threshold")
    return SpanSpec(len(text), MappingProxyType(dict.fromkeys(labels)), mode, threshold)


def spec_key(spec: Any) -> bytes | None:
    """The cache key of a spec with a string text, which checking reads only the length of: a
    transcript of a megabyte is too much to copy per scored answer and keep. Other specs are
    invalid: they get no key and are checked each time."""
    if type(spec) is not dict or type(spec.get("text")) is not str:
        return None
    rest = {key: value for key, value in spec.items() if key != "text"}
    return spec_cache.spec_key((len(spec["text"]), rest))


parse_spec = spec_cache.cached(check_spec, spec_key)


def parse_span(spec: SpanSpec, value: Any, path: str) -> tuple[str, int, int]:
    """One span as (label, start, end) with 0 <= start < end <= len(text)."""
    checks.obj(value, path, SPAN_KEYS)
    label = checks.member(value["label"], f"{path}.label", spec.labels, "label")
    start = checks.integer(value["start"], f"{path}.start", 0, spec.length - 1)
    end = checks.integer(value["end"], f"{path}.end", 1, spec.length)
    if end <= start:
        checks.fail(f"{path}.end", f"must be greater than start ({start}), got {end}")
    return label, start, end


def parse(spec: SpanSpec, value: Any, role: str) -> Spans:
    """A list of spans; in gold, spans with the same label must not overlap (ambiguous gold)."""
    items = checks.array(value, role, MAX_SPANS)
    columns = quick_columns(spec, items)
    if columns is None:
        rows = [parse_span(spec, item, f"{role}[{i}]") for i, item in enumerate(items)]
        columns = tuple(zip(*rows, strict=True)) if rows else ((), (), ())
    labels, starts, ends = columns
    if role == "gold" and not all(map(le, ends, starts[1:])):
        # Else they are in text order and each ends before the next starts: as start < end,
        # every span ends before all later ones start, so no two overlap, whatever the labels.
        refuse_overlaps(list(zip(labels, starts, ends, strict=True)))
    return Spans(span_rows(starts, ends, role == "gold"), list(labels))


def quick_columns(spec: SpanSpec, items: list | tuple) -> tuple[tuple, tuple, tuple] | None:
    """The labels, starts and ends of spans that are plainly valid, or None so that parse_span
    can say what is wrong. Every check of parse_span is made, each once over all spans: exact
    types by set(map(type, ...)), then 0 <= start < end <= len(text) with min, max and map(lt)."""
    if not ({dict} >= set(map(type, items)) and {3} >= set(map(len, items))):
        return None
    try:
        rows = list(map(_SPAN_VALUES, items))
    except KeyError:
        return None
    if not rows:
        return (), (), ()
    labels, starts, ends = zip(*rows, strict=True)
    if not ({str} >= set(map(type, labels)) and {int} >= set(map(type, starts))
            and {int} >= set(map(type, ends)) and spec.labels.keys() >= set(labels)):
        return None
    if not (min(starts) >= 0 and max(ends) <= spec.length and all(map(lt, starts, ends))):
        return None
    return labels, starts, ends


def refuse_overlaps(rows: list[tuple[str, int, int]]) -> None:
    """Name a gold span that overlaps another with the same label (the later one of the two)."""
    order = sorted(range(len(rows)), key=rows.__getitem__)
    for before, after in zip(order, order[1:], strict=False):
        if rows[before][0] == rows[after][0] and rows[after][1] < rows[before][2]:
            first, second = sorted((before, after))
            checks.fail(f"gold[{second}]", f"overlaps gold[{first}], which has the same label "
                                           f"{checks.show(rows[first][0])}")


def score(spec: Any, gold: Any, answer: Any) -> Score:
    """F1 of same-label matches (exact, or overlap >= threshold); correct at F1 = 1."""
    checked = parse_spec(spec)
    expected = parse(checked, gold, "gold")
    given = parse(checked, answer, "answer")
    overlap = span_iou(expected.edges, given.edges)
    if checked.mode == "exact":
        allowed = overlap == 1.0
    else:
        allowed = overlap >= checked.overlap_threshold
    matching = match_cells(overlap, allowed, expected.labels, given.labels)
    hits = len(matching.matched)
    precision, recall, f1 = precision_recall_f1(hits, len(expected.labels), len(given.labels))
    details: dict[str, Any] = {
        "matched": [
            {"gold": i, "answer": j, "label": expected.labels[i], "overlap": value}
            for i, j, value in matching.matched
        ],
        "mislabelled": [
            {"gold": i, "answer": j, "gold_label": expected.labels[i],
             "answer_label": given.labels[j], "overlap": value}
            for i, j, value in matching.mislabelled
        ],
        "missed": matching.missed, "extra": matching.extra,
        "precision": precision, "recall": recall, "f1": f1, "mode": checked.mode,
    }
    if checked.mode == "overlap":
        details["overlap_threshold"] = checked.overlap_threshold
    correct = hits == len(expected.labels) == len(given.labels)
    return Score(f1, correct, details)
