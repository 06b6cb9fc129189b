"""Per-exposure functions for the exec tests (module level, so worker processes can import them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xmmframe.model.events import EventList


def count_events(events: EventList, row: dict[str, Any]) -> tuple[int, int]:
    """Events counted in the worker, and the count the catalogue row gives."""
    return events.count(), int(row["events"])


@dataclass(frozen=True)
class FailOn:
    """Raises on the exposures of one observation; counts the events of the others."""

    obs_id: str

    def __call__(self, events: EventList, row: dict[str, Any]) -> int:
        if row["obs_id"] == self.obs_id:
            raise ValueError(f"refusing observation {self.obs_id}")
        return events.count()
