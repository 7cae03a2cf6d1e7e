"""Checked specs kept by content: every answer to an item comes with the same spec, and
checking it again for each scored answer is a cost worth saving.

The key is `marshal.dumps(spec)`, an exact serialisation of plain data made in C: it tags
every value with its exact type (True, 1 and 1.0 differ, as they do to the checks), keeps
every float's bits and refuses anything else (a subclass, an object), for which the spec is
checked every time. Equal keys are therefore equal plain specs, which the checks cannot tell
apart; a spec changed after it was cached has another key. Invalid specs are never cached,
so their errors come from the checks each time. Callers share a cached result, so results
must be immutable (tuples, read-only mappings and arrays). The answers to an item come with
the same gold too: boxes and points cache their checked gold the same way, keyed by the
(spec, gold) pair, since what the checks make of a gold depends on its spec.
"""

from __future__ import annotations

import marshal
from collections.abc import Callable
from typing import Any, TypeVar

SIZE = 64  # entries kept per cache (a kind's specs, its golds); the oldest goes first
_VERSION = 2  # no references between equal objects: equal specs give equal bytes

T = TypeVar("T")


def spec_key(spec: Any) -> bytes | None:
    """The cache key of a plain spec, or None for anything marshal refuses."""
    try:
        return marshal.dumps(spec, _VERSION)
    except ValueError:  # not plain data, or nested too deeply
        return None


def cached(check: Callable[[Any], T],
           key: Callable[[Any], bytes | None] = spec_key) -> Callable[[Any], T]:
    """`check` with its results for up to SIZE plain specs kept, by `key` (spec_key unless
    a kind keys on less than the whole spec)."""
    entries: dict[bytes, T] = {}

    def parse_spec(spec: Any) -> T:
        found = key(spec)
        if found is None:
            return check(spec)
        result = entries.get(found)
        if result is None:
            result = check(spec)
            if len(entries) >= SIZE:  # the oldest goes (pop: another thread may be first)
                entries.pop(next(iter(entries), None), None)
            entries[found] = result
        return result

    parse_spec.__doc__ = check.__doc__
    return parse_spec
