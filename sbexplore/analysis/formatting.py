"""Pooled tables as text: `mean ± std`, with "never reached" / "k of n reached" for targets.

A pooled table has a `seeds` column (n) and, per statistic X, columns `X_mean` and `X_std`; a
statistic that only exists for seeds that reached a target also has a count of those seeds:
`X_reached`, or the table's `reached` column for `value` and `speedup` (see `speedup_table`).
"""

from __future__ import annotations

import math

import pandas as pd

NEVER = "never reached"
NO_VALUE = "—"
REACH_STATS = ("value", "speedup")  # statistics counted by a table-wide `reached` column


def format_number(v: float) -> str:
    """A number at a precision that suits its size (accuracies, speedups, seconds, counts)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return NO_VALUE
    return format(v, _spec(v))


def format_stat(mean: float, std: float = float("nan"), n: int | None = None,
                reached: float | None = None) -> str:
    """'mean ± std' (std left out when it is NaN); with `reached` of `n` seeds: 'never
    reached' when none did, '... (k of n reached)' when some did not."""
    if reached is not None:
        if isinstance(reached, float) and math.isnan(reached):
            return NO_VALUE  # no baseline to compare with
        if int(reached) == 0:
            return NEVER
    if isinstance(mean, float) and math.isnan(mean):
        return NO_VALUE
    text = format_number(mean)
    if std is not None and not (isinstance(std, float) and math.isnan(std)):
        text += " ± " + format(std, _spec(mean))  # the mean's precision: digits line up
    if reached is not None and n is not None and int(reached) < int(n):
        text += f" ({int(reached)} of {int(n)} reached)"
    return text


def format_table(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of a pooled table for printing or HTML: each `X_mean`/`X_std` (and `X_reached`)
    group becomes one text column X; other numbers are rounded; NaN shows as '—'."""
    out = pd.DataFrame(index=df.index)
    used: set[str] = set()
    for col in df.columns:
        if col in used:
            continue
        if col.endswith("_mean"):
            base = col[: -len("_mean")]
            std, reach = f"{base}_std", _reach_column(df, base)
            n = df["seeds"] if "seeds" in df else pd.Series(None, index=df.index)
            out[base] = [format_stat(m, s, k, r) for m, s, k, r in zip(
                df[col], df[std] if std in df else [float("nan")] * len(df), n,
                df[reach] if reach else [None] * len(df), strict=True)]
            used |= {col, std} | ({reach} if reach and reach != "reached" else set())
        elif col.endswith("_std") or (col.endswith("_reached") and col[:-8] + "_mean" in df):
            continue
        elif col == "factor":
            out[col] = [NO_VALUE if pd.isna(v) else f"×{v:g}" for v in df[col]]
        elif pd.api.types.is_float_dtype(df[col]):
            out[col] = [format_number(v) for v in df[col]]
        else:
            out[col] = df[col]
    out.attrs = dict(df.attrs)
    return out


def _reach_column(df: pd.DataFrame, base: str) -> str | None:
    if f"{base}_reached" in df:
        return f"{base}_reached"
    if base in REACH_STATS and "reached" in df:
        return "reached"
    return None


def _spec(v: float) -> str:
    a = abs(float(v))
    return ",.0f" if a >= 1000 else ".1f" if a >= 10 else ".3f"
