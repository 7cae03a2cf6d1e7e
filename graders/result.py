"""The result of scoring one answer: plain data that can be stored and sent to the browser."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Score:
    """Points in [0, 1], whether the answer counts as correct, and JSON-ready feedback details."""

    points: float
    correct: bool
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Catch scorer bugs here rather than as a NaN stored in an attempt.
        if not (isinstance(self.points, float) and math.isfinite(self.points)):
            raise TypeError(f"Score.points must be a finite float, got {self.points!r}")
        if not 0.0 <= self.points <= 1.0:
            raise ValueError(f"Score.points must be in [0, 1], got {self.points!r}")
        if not isinstance(self.correct, bool):
            raise TypeError(f"Score.correct must be a bool, got {self.correct!r}")

    def as_dict(self) -> dict[str, Any]:
        """The score as one JSON-serialisable object, e.g. for a Response row or an API reply."""
        return {"points": self.points, "correct": self.correct, "details": self.details}
