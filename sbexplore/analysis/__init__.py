"""Analysis: pandas in, pandas out. Functions take Runs (or their frames) and return tidy frames."""

from __future__ import annotations

from sbexplore.analysis.keep import matched_keep, realised_keep

__all__ = ["matched_keep", "realised_keep"]
