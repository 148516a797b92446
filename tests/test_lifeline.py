"""`Lifeline`: a kernel's heartbeat, so a student's page can say that it lost its kernel (the
banner itself is checked in the browser: tests/test_app_browser.py, the killed kernel)."""

from __future__ import annotations

import time

import pytest
from conftest import wait_until

from sbexplore.ui.lifeline import Lifeline


def test_a_live_kernel_beats_and_a_closed_lifeline_stops():
    line = Lifeline(beat_s=0.05, silent_s=1.0)
    assert line.silent_ms == 1000 and "Reload the page" in line.message
    assert wait_until(lambda: line.beat >= 3, 5.0)
    line.close()
    time.sleep(0.1)
    stopped = line.beat
    time.sleep(0.3)
    assert line.beat == stopped


@pytest.mark.parametrize("beat_s, silent_s", [(0, 20), (-1, 20), (30, 20), (5, 5)])
def test_a_beat_not_shorter_than_the_silence_is_refused(beat_s, silent_s):
    with pytest.raises(ValueError, match="0 < beat_s < silent_s"):
        Lifeline(beat_s=beat_s, silent_s=silent_s)
