"""Run names, read from the config: every label, legend entry and folder name is built here.

- `run_name(cfg)`: a run's own name (`cfg.name`, else its policy and main knobs).
- `run_slug(cfg)`: the same as a file-system-safe folder name.
- `series_key(cfg)` / `series_labels(cfgs)`: runs that differ only in their seed (and where they
  are saved) form one *series*, pooled as seeds; every series gets a label of its own, with the
  settings that tell it apart from another series of the same name appended.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

# Fields that do not change what a run trains: runs that differ only in these are seeds of one
# series (`data_root`/`download` say where the same data lives; `out_dir`/`name` what it's called)
NOT_A_SETTING = ("seed", "out_dir", "name", "data_root", "download")
POLICY_NAMES = {"sb": "SB", "traditional": "traditional", "infobatch": "InfoBatch",
                "online_batch": "online batch", "importance": "importance sampling",
                "rho_loss": "RHO-LOSS"}
_SEED = re.compile(r"(,\s*|\s+)?\bseed[=\s]*\d+\b")  # " seed=0" in names of older sweeps


def _num(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


KEEP_POLICIES = ("uniform", "topk", "importance", "rho_loss")  # named by their keep rate


def policy_name(cfg: Any) -> str:
    """The policy and its main knobs: `SB β=2 n=3`, `uniform keep=0.33`, `InfoBatch r=0.5
    δ=0.875`, `online batch s=100`, `traditional` (a budget when it has one)."""
    name = POLICY_NAMES.get(cfg.policy, cfg.policy)
    stale = f" n={cfg.staleness}" if cfg.staleness > 1 else ""
    if cfg.policy == "sb":
        return f"SB β={cfg.beta:g}{stale}"
    if cfg.policy in KEEP_POLICIES:
        return f"{name} keep={cfg.resolved_keep:.2f}"
    if cfg.policy == "infobatch":
        return f"{name} r={cfg.infobatch_ratio:g} δ={cfg.infobatch_delta:g}"
    if cfg.policy == "online_batch":
        return f"{name} s={cfg.selection_pressure:g}{stale}"
    if cfg.policy == "traditional" and budget_text(cfg):
        return f"{name}, {budget_text(cfg)}"
    return name


def budget_text(cfg: Any) -> str:
    """`budget 23,000 backprops` / `budget 41.2 s`: a run's budget, when it has one."""
    if cfg.max_backprops is not None:
        return f"budget {cfg.max_backprops:,} backprops"
    if cfg.max_backprop_epochs is not None:
        return f"budget {cfg.max_backprop_epochs:g} epochs of backprops"
    if cfg.max_time_s is not None:
        return f"budget {cfg.max_time_s:.1f} s"
    return ""


def run_name(cfg: Any, fields: Sequence[str] = ()) -> str:
    """`cfg.name`, else the policy's name and the mislabel fraction; `fields` are appended as
    `field=value` (the settings that tell this run apart from others)."""
    if cfg.name:
        base = cfg.name
    else:
        base = policy_name(cfg)
        if cfg.mislabel_fraction and "mislabel_fraction" not in fields:
            base += f" · {cfg.mislabel_fraction:.0%} mislabels"
    extra = [setting_text(f, getattr(cfg, f)) for f in fields]
    return " · ".join([base, *extra])


def setting_text(field: str, value: Any) -> str:
    """One setting as a legend reads it: `β=2`, `n=3`, `20% mislabels`, `lr=0.01`."""
    if field == "mislabel_fraction":
        return f"{value:.0%} mislabels"
    if field == "beta":
        return f"β={value:g}"
    if field == "staleness":
        return f"n={value}"
    if field == "policy":
        return POLICY_NAMES.get(value, value)
    if isinstance(value, list):
        return f"{field}=[{','.join(_num(v) for v in value)}]"
    return f"{field}={_num(value)}"


def slugify(text: str) -> str:
    """Lower-case letters, digits, '.', '+' and single dashes (β as 'beta')."""
    text = text.replace("β", "beta").replace("%", "pct").lower()
    return re.sub(r"[^a-z0-9.+]+", "-", text).strip("-") or "run"


def run_slug(cfg: Any, *, dataset: bool = False, seed: bool = False,
             fields: Sequence[str] = ()) -> str:
    """A folder name for the run: `sb-beta2-n3-mis0.1` (or its `name`), then optionally the
    dataset and `seed<k>`."""
    if cfg.name:
        parts = [slugify(run_name(cfg, fields))]
    else:
        parts = [cfg.policy]
        if cfg.policy == "sb":
            parts.append(f"beta{cfg.beta:g}")
            if cfg.staleness > 1:
                parts.append(f"n{cfg.staleness}")
        elif cfg.policy in KEEP_POLICIES:
            parts.append(f"keep{cfg.resolved_keep:.2f}")
        elif cfg.policy == "infobatch":
            parts.append(f"r{cfg.infobatch_ratio:g}")
        elif cfg.policy == "online_batch":
            parts.append(f"s{cfg.selection_pressure:g}")
        if cfg.policy in ("online_batch", "importance", "rho_loss") and cfg.staleness > 1:
            parts.append(f"n{cfg.staleness}")
        if cfg.policy == "traditional" and budget_text(cfg):
            parts.append(slugify(budget_text(cfg)))
        parts += [slugify(setting_text(f, getattr(cfg, f))) for f in fields
                  if f != "mislabel_fraction"]
    if cfg.mislabel_fraction and not (cfg.name and "mislabel_fraction" in fields):
        parts.append(f"mis{cfg.mislabel_fraction:g}")
    if dataset:
        parts.append(cfg.dataset)
    if seed:
        parts.append(f"seed{cfg.seed}")
    return slugify("-".join(parts))


def series_key(cfg: Any) -> tuple:
    """What a run trains, without its seed and where it lives: equal keys pool as seeds."""
    d = cfg.to_dict()
    return tuple(sorted((k, repr(v)) for k, v in d.items() if k not in NOT_A_SETTING))


def _base_label(cfgs: list[Any]) -> str:
    names = {_SEED.sub("", c.name).strip(" ,") for c in cfgs if c.name}
    if len(names) == 1 and all(c.name for c in cfgs):
        return names.pop()
    return run_name(cfgs[0].replace(name=None))


def series_labels(cfgs: Sequence[Any], shown: Sequence[str] = ()) -> list[str]:
    """One label per config: shared by the configs of one series (they differ only in seed),
    different between series. Series that would share a label get the settings that differ
    between them appended; settings in `shown` (a table's own columns, say
    `mislabel_fraction`) are left to those columns."""
    cfgs = list(cfgs)
    keys = [series_key(c) for c in cfgs]
    groups: dict[tuple, list[Any]] = {}
    for k, c in zip(keys, cfgs, strict=True):
        groups.setdefault(k, []).append(c)
    base = {k: _base_label(g) for k, g in groups.items()}
    label = dict(base)
    clashes: dict[tuple, list[tuple]] = {}  # series a table could not tell apart
    for k, b in base.items():
        shown_values = tuple(repr(getattr(groups[k][0], f)) for f in shown)
        clashes.setdefault((b, shown_values), []).append(k)
    for (b, _), ks in clashes.items():
        if len(ks) < 2:
            continue
        first = [groups[k][0].to_dict() for k in ks]
        differ = [f for f in first[0] if f not in NOT_A_SETTING and f not in shown
                  and len({repr(d[f]) for d in first}) > 1]
        for k, d in zip(ks, first, strict=True):
            label[k] = " · ".join([b, *(setting_text(f, d[f]) for f in differ)])
    return [label[k] for k in keys]
