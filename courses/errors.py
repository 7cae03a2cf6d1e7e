"""Problems in source files: each as `file:line: message`, all of them reported together.

One family for course bundles and item imports, so that the CLI, the pages and the bundle
reader show both the same way. Pure: no Flask, no database. It lives here, below both
courses.bundles and courses.importers, because the bundle reader uses the importers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceError:
    """One problem at a 1-based line of a file (a bundle's files are named from its root)."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class SourceInvalid(Exception):
    """A source that cannot be imported; `errors` lists every problem, sorted by file and line."""

    def __init__(self, errors: list[SourceError]):
        self.errors = sorted(dict.fromkeys(errors), key=lambda e: (e.file, e.line))
        super().__init__("\n".join(str(e) for e in self.errors))


class ErrorList(list[SourceError]):
    """Problems collected across the files of a bundle, so that an instructor sees all at once."""

    def add(self, file: str, line: int, message: str) -> None:
        self.append(SourceError(file, max(line, 1), message))


class Problems(list[SourceError]):
    """Problems collected while converting one file, so that all of them are shown at once."""

    def __init__(self, file: str) -> None:
        super().__init__()
        self.file = file

    def add(self, line: int, message: str) -> None:
        """Record a problem at `line` of this file."""
        self.append(SourceError(self.file, max(line, 1), message))

    def raise_if_any(self) -> None:
        """Raise SourceInvalid when anything was recorded."""
        if self:
            raise SourceInvalid(list(self))
