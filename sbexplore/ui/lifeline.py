"""A banner that tells a student their page lost its kernel.

In the app a student's page has no kernel indicator: when the kernel dies (killed on low memory,
stopped by the server) or is replaced, the panel just freezes. The kernel sends a heartbeat every
BEAT_S; the page shows the banner when none came for SILENT_S, and hides it if they come back.
"""

from __future__ import annotations

import threading
from typing import Any

import anywidget
import traitlets

BEAT_S = 2.0
SILENT_S = 20.0  # generous: a busy machine delays messages by seconds, never by this much
MESSAGE = ("This page lost its connection to its kernel (it stopped or was restarted), so "
           "nothing here will update. <b>Reload the page</b> to get a fresh one; saved runs "
           "are kept.")

_ESM = """
export default {
  render({ model, el }) {
    let last = Date.now();
    const banner = document.createElement("div");
    banner.className = "sbexplore-lost";
    banner.style.cssText = "display:none;background:#fdece4;border:1px solid #D55E00;" +
      "color:#7a2500;padding:8px 12px;margin:4px 0;border-radius:4px";
    banner.innerHTML = model.get("message");
    el.appendChild(banner);
    model.on("change:beat", () => { last = Date.now(); banner.style.display = "none"; });
    const timer = setInterval(() => {
      if (Date.now() - last > model.get("silent_ms")) banner.style.display = "block";
    }, 1000);
    return () => clearInterval(timer);
  }
};
"""


class Lifeline(anywidget.AnyWidget):
    """Shows nothing while its kernel lives; `beat` goes up every `beat_s` seconds."""

    _esm = _ESM
    beat = traitlets.Int(0).tag(sync=True)
    silent_ms = traitlets.Int(int(SILENT_S * 1000)).tag(sync=True)
    message = traitlets.Unicode(MESSAGE).tag(sync=True)

    def __init__(self, beat_s: float = BEAT_S, silent_s: float = SILENT_S, **kwargs: Any):
        if not 0 < beat_s < silent_s:
            raise ValueError(f"beat_s={beat_s!r}, silent_s={silent_s!r} are not allowed: "
                             "0 < beat_s < silent_s")
        super().__init__(silent_ms=int(silent_s * 1000), **kwargs)
        self._closed = threading.Event()
        threading.Thread(target=self._beat, args=(beat_s,), daemon=True,
                         name="sbexplore-lifeline").start()

    def _beat(self, every: float) -> None:
        while not self._closed.wait(every):
            self.beat += 1

    def close(self) -> None:
        if hasattr(self, "_closed"):  # not when refused in __init__
            self._closed.set()
        super().close()
