"""The refresher's budget: a paced run lets the views redraw often, a full-speed run doesn't."""

from __future__ import annotations

import time

from sbexplore.ui.refresher import Refresher


def _redraws_in(seconds: float, paced: bool, cost_s: float = 0.03) -> int:
    r = Refresher(lambda: time.sleep(cost_s), busy=lambda: True, on_error=print,
                  paced=lambda: paced)
    r.poke()
    time.sleep(seconds)
    r.close()
    return r.redraws


def test_paced_runs_get_several_redraws_a_second_full_speed_runs_keep_their_budget():
    paced, full = _redraws_in(2.0, True), _redraws_in(2.0, False)
    # 30 ms per redraw: paced, 5 a second (the rate's cap; half the time allowed); at full
    # speed the 2.5% budget stretches each pause to its longest, 1 s
    assert paced >= 7, paced
    assert full <= 5, full
    assert full >= 2  # ...yet the views still move (at least once a second)
