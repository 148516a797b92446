"""Tables for papers: compact Table 1 per clock, and any pooled table as booktabs LaTeX or
Markdown (mean ± std, n; "never reached" as text). Pandas in, text out.

- `table1(runs, clock)`: one row per method, one column per target factor (time to
  traditional's final error × k, with the speedup), then the final accuracy: the paper's Table 1.
- `to_latex(df, caption, label)`, `to_markdown(df, caption)`: a text table (`format_table`'s
  output, or any frame of strings and numbers).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from sbexplore.analysis.comparison import comparison_table
from sbexplore.analysis.formatting import NEVER, format_number, format_stat
from sbexplore.analysis.series import as_runs
from sbexplore.analysis.time_to_accuracy import CLOCKS, PAPER_FACTORS, speedup_table
from sbexplore.errors import ConfigError
from sbexplore.runs.record import Run

CLOCK_UNITS = {"time": "s", "backprops": "backprops", "cost": "cost units"}


def table1(runs: Run | Sequence[Run], clock: str = "time",
           factors: tuple[float, ...] = PAPER_FACTORS) -> pd.DataFrame:
    """Table 1 on one clock: per method (series) and mislabel fraction, the time to
    traditional's final error × k as 'mean ± std (speedup×)', n seeds, final accuracy."""
    if clock not in CLOCKS:
        raise ConfigError(f"clock={clock!r} is not allowed: one of {', '.join(CLOCKS)}")
    runs = as_runs(runs)
    sp = speedup_table(runs, factors=factors, clocks=(clock,))
    final = comparison_table(runs).set_index(["run", "mislabel_fraction"])
    rows = []
    for (run, frac), g in sp.groupby(["run", "mislabel_fraction"], sort=False):
        row = {"method": run, "mislabels": f"{frac:.0%}", "n": int(g["seeds"].iloc[0])}
        for r in g.itertuples():
            cell = format_stat(r.value_mean, r.value_std, r.seeds, r.reached)
            if cell != NEVER and not math.isnan(r.speedup_mean) and not r.baseline:
                cell += f" ({format_number(r.speedup_mean)}×)"
            row[f"×{r.factor:g}"] = cell
        if (run, frac) in final.index:
            f = final.loc[(run, frac)]
            row["final accuracy"] = format_stat(f["final_accuracy_mean"],
                                                f["final_accuracy_std"])
        rows.append(row)
    out = pd.DataFrame(rows)
    if len({r.config.mislabel_fraction for r in runs}) == 1:
        out = out.drop(columns="mislabels")
    out.attrs["caption"] = (f"Time to traditional's final test error × k on the {clock} clock "
                            f"({CLOCK_UNITS[clock]}), mean ± std over the seeds that reached "
                            "it, with the speedup over traditional in parentheses; n seeds. "
                            + sp.attrs.get("caption", ""))
    return out


_LATEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
          "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}",
          "±": r"$\pm$", "×": r"$\times$", "β": r"$\beta$", "δ": r"$\delta$", "—": "--",
          "≥": r"$\geq$", "·": r"$\cdot$", "→": r"$\rightarrow$"}


def latex_escape(text: str) -> str:
    return "".join(_LATEX.get(c, c) for c in str(text))


def _cell(v: object) -> str:
    if isinstance(v, float):
        return format_number(v)
    return str(v)


def to_latex(df: pd.DataFrame, caption: str = "", label: str = "") -> str:
    """A booktabs `table` environment: text left, the rest right-aligned; `caption` below."""
    align = "".join("l" if i == 0 else "r" for i in range(len(df.columns)))
    lines = [r"\begin{table}[t]", r"\centering", r"\small", rf"\begin{{tabular}}{{{align}}}",
             r"\toprule", " & ".join(latex_escape(c) for c in df.columns) + r" \\", r"\midrule"]
    lines += [" & ".join(latex_escape(_cell(v)) for v in row) + r" \\"
              for row in df.itertuples(index=False)]
    lines += [r"\bottomrule", r"\end{tabular}"]
    if caption:
        lines.append(rf"\caption{{{latex_escape(caption)}}}")
    if label:
        lines.append(rf"\label{{{label}}}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def to_markdown(df: pd.DataFrame, caption: str = "") -> str:
    """A GitHub-flavoured Markdown table, the caption as a paragraph below."""
    def esc(v: object) -> str:
        return _cell(v).replace("|", r"\|")

    lines = ["| " + " | ".join(esc(c) for c in df.columns) + " |",
             "|" + "|".join(" --- " if i == 0 else " ---: " for i in range(len(df.columns)))
             + "|"]
    lines += ["| " + " | ".join(esc(v) for v in row) + " |"
              for row in df.itertuples(index=False)]
    return "\n".join(lines) + ("\n\n" + caption if caption else "") + "\n"
