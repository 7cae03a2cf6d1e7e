"""Benchmark: the worst manuals an author can write, refused or rendered in bounded time.

Run from the repository root: `python bench/manual_limits.py [--quick]`. Each case is a
pathological manual of MAX_MANUAL_BYTES (1 MB; 20 KB with --quick): identical headings,
nested emphasis, nested lists and block quotes, a huge table, one long line, many links and
images, many call-outs, everything at once. For each it prints `metric: value` lines:
- `<case>_refused`: 1 when the author-facing checks refuse the whole manual;
- `<case>_check_ms`: how long those checks take on it;
- `<case>_kb`, `<case>_ms`, `<case>_peak_mb`: size, render time and peak memory (tracemalloc)
  of the largest part of it that the checks accept: the manual cut just before the first
  place that passes a limit, so the worst a trainee's page can cost.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from courses.rendering import (  # noqa: E402
    MAX_MANUAL_BYTES,
    STRUCTURE_LIMITS,
    render_manual,
    size_problem,
    structure_problems,
)


def fill(unit: str, size: int, head: str = "", tail: str = "") -> str:
    """head + unit repeated + tail, as close to `size` UTF-8 bytes as whole units allow."""
    room = size - len((head + tail).encode())
    return head + unit * max(1, room // len(unit.encode())) + tail


def nested_emphasis(size: int) -> str:
    """*a **b *c **d ... : every opener waits for a closer that never comes."""
    return fill("*a **b ", size)


def deep_nesting(size: int) -> str:
    """Lists and quotes nested as deep as the text allows, line after line."""
    return fill("> - > 1. " * 40 + "x\n\n", size)


def table(size: int) -> str:
    """One table: a 100-column header and as many rows as fit."""
    header = "|" + "|".join(f"c{n}" for n in range(100)) + "|\n" + "|-" * 100 + "|\n"
    return fill("|" + "x|" * 100 + "\n", size, head=header)


CASES: dict[str, Callable[[int], str]] = {
    "identical_headings": lambda size: fill("# a\n\n", size),
    "identical_headings_with_text": lambda size: fill("## Rule\n\nText.\n\n", size),
    "explicit_id_collisions": lambda size: fill("# x {#x-2}\n\n# x\n\n", size),
    "nested_emphasis": nested_emphasis,
    "nested_brackets": lambda size: fill("[", size),
    "deep_nesting": deep_nesting,
    "table": table,
    "long_line": lambda size: fill("word ", size),
    "links_and_images": lambda size: fill("[a](b) ![c](media/d.png) ", size),
    "call_outs": lambda size: fill("::: do\nx\n:::\n\n", size),
    "unclosed_call_outs": lambda size: fill("::: do\n", size),
    "html_blocks": lambda size: fill("<div>\n\n", size),
    "deep_quotes": lambda size: fill(">" * 40 + " x\n\n", size),
    "list_items": lambda size: fill("- a\n", size),
    "everything": lambda size: fill("- *a* [b](c) <b>x</b> | `d`\n", size),
}


def accepted_part(markdown: str) -> str:
    """The manual cut just before the first place where it passes a structure limit."""
    cut = len(markdown)
    for pattern, limit, _ in STRUCTURE_LIMITS:
        over = next(itertools.islice(pattern.finditer(markdown), limit, None), None)
        cut = min(cut, over.start()) if over else cut
    return markdown[:cut]


def checked_ms(markdown: str) -> tuple[bool, float]:
    started = time.perf_counter()
    refused = bool(size_problem(markdown) or structure_problems(markdown))
    return refused, (time.perf_counter() - started) * 1000


def measure(markdown: str) -> tuple[float, float]:
    """Milliseconds and peak megabytes of one render (time taken without tracemalloc)."""
    started = time.perf_counter()
    render_manual(markdown)
    elapsed = (time.perf_counter() - started) * 1000
    tracemalloc.start()
    render_manual(markdown)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return elapsed, peak


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20 KB manuals instead of 1 MB")
    parser.add_argument("--case", action="append", help="run only this case (repeatable)")
    args = parser.parse_args(argv)
    size = 20_000 if args.quick else MAX_MANUAL_BYTES
    for name, make in CASES.items():
        if args.case and name not in args.case:
            continue
        markdown = make(size)
        refused, check_ms = checked_ms(markdown)
        part = accepted_part(markdown)
        elapsed, peak = measure(part)
        print(f"{name}_refused: {int(refused)}")
        print(f"{name}_check_ms: {check_ms:.0f}")
        print(f"{name}_kb: {len(part.encode()) / 1024:.0f}")
        print(f"{name}_ms: {elapsed:.0f}")
        print(f"{name}_peak_mb: {peak:.1f}", flush=True)


if __name__ == "__main__":
    main()
