"""Import errors: every problem in a source file as `file:line: message`, reported together.

The shape matches courses.bundles.BundleError and BundleInvalid, so the CLI and the bundle
reader show both the same way. They are separate classes because the bundle reader uses this
package (native.load_items for items.jsonl), and a package must not import back what imports it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ItemError:
    """One problem at a 1-based line of a source file."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class ImportInvalid(Exception):
    """A source that cannot be converted; `errors` lists every problem, sorted by file and line."""

    def __init__(self, errors: list[ItemError]):
        self.errors = sorted(dict.fromkeys(errors), key=lambda e: (e.file, e.line))
        super().__init__("\n".join(str(e) for e in self.errors))


class Problems(list[ItemError]):
    """Problems collected while converting one file, so that all of them are shown at once."""

    def __init__(self, file: str) -> None:
        super().__init__()
        self.file = file

    def add(self, line: int, message: str) -> None:
        """Record a problem at `line` of this file."""
        self.append(ItemError(self.file, max(line, 1), message))

    def raise_if_any(self) -> None:
        """Raise ImportInvalid when anything was recorded."""
        if self:
            raise ImportInvalid(list(self))
