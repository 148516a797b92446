"""When each dashboard view redraws: one rule for every view, instead of a cache key each."""

from __future__ import annotations

import time
from collections.abc import Hashable


class Redraws:
    """A view redraws when its data changed; a view with an interval redraws at most that often
    while its `state` (focus, statuses, axes) stays the same, and at once when the state
    changes. `clear()` makes every view (or one) redraw on its next check."""

    def __init__(self, intervals: dict[str, float] | None = None):
        self.intervals = dict(intervals or {})
        self._drawn: dict[str, tuple[Hashable, Hashable, float]] = {}

    def due(self, view: str, data: Hashable, state: Hashable = None) -> bool:
        """Whether `view` should redraw now; if so it counts as drawn."""
        now = time.monotonic()
        last = self._drawn.get(view)
        if last is not None:
            last_data, last_state, when = last
            if last_data == data and last_state == state:
                return False
            if last_state == state and now - when < self.intervals.get(view, 0.0):
                return False
        self._drawn[view] = (data, state, now)
        return True

    def clear(self, view: str | None = None) -> None:
        if view is None:
            self._drawn.clear()
        else:
            self._drawn.pop(view, None)
