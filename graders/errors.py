"""The one error every scorer raises on malformed input, with a precise path to the culprit."""

from __future__ import annotations


class ScoringError(ValueError):
    """Malformed spec, gold or answer.

    `path` names the offending value ("answer[2].w", "spec.labels[0]") so that importers can
    turn it into a file:line error and the browser can point at the box or span concerned.
    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message
