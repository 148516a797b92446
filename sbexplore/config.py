"""RunConfig: every knob of a run in one validated, JSON-round-tripping dataclass."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field, fields
from typing import Any

from sbexplore.errors import ConfigError

POLICIES = ("sb", "uniform", "topk", "all")
AUGMENTS = ("none", "crop", "crop+flip")
LR_SCHEDULES = ("constant", "multistep", "cosine", "onecycle")
SCHEDULE_UNITS = ("epochs", "backprops")
PRECISIONS = ("auto", "fp32", "bf16")
MEMORY_FORMATS = ("auto", "contiguous", "channels_last")
SELECT_MODES = ("eval", "train")


@dataclass
class RunConfig:
    """All settings of one run. Validated on construction; `ValueError` names the bad field."""

    # data and model
    dataset: str = "digits"  # a registered dataset name (see sbexplore.data.DATASETS)
    data_root: str | None = None  # None: $SBEXPLORE_DATA, else ~/.cache/sbexplore
    train_subset: int | None = None  # a fixed, seeded random subset of the training set
    model: str = "cnn"  # a registered model, or any torchvision classification model
    image_size: int | None = None  # imagefolder: resize/crop to this at decode time
    augment: str | None = None  # none | crop | crop+flip; None: the dataset's default
    cutout: int | None = None  # Cutout square side in pixels; 0 off; None: dataset default
    dropout: float = 0.0  # models that support it (wrn16_8, mlp)
    download: bool = False  # never fetch data unless asked
    # selection
    policy: str = "sb"  # sb | uniform | topk | all (traditional)
    beta: float = 2.0  # SB selectivity: P = percentile ** beta
    history_size: int = 1024  # SB's window of recent losses (the original uses 1024)
    prob_floor: float = 0.0  # minimum keep probability
    keep: float | None = None  # uniform/topk rate; None: 1/(beta+1), SB's expected rate
    staleness: int = 1  # selection pass every n epochs; 1 = fresh every epoch
    prime_epochs: int = 1  # epochs that backprop everything first, as the original does
    select_mode: str = "eval"  # model mode for the selection forward pass
    mislabel_fraction: float = 0.0  # share of training labels flipped to another class
    # optimisation
    epochs: int = 10
    max_backprops: int | None = None  # stop once this many examples were backpropped
    max_backprop_epochs: float | None = None  # the same budget in epochs' worth (x train size)
    batch_size: int = 128  # the backprop batch (and the candidate batch)
    lr: float = 0.05
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    lr_schedule: str = "constant"  # constant | multistep | cosine | onecycle
    schedule_unit: str = "epochs"  # key the schedule by epochs or by epochs' worth of backprops
    milestones: list[float] = field(default_factory=list)  # multistep, in schedule units
    lr_decay: float = 0.1  # multistep factor
    # execution
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    precision: str = "auto"  # auto (bf16 on CUDA) | fp32 | bf16
    memory_format: str = "auto"  # auto (by device type) | contiguous | channels_last
    compile: bool = False  # torch.compile the model
    out_dir: str | None = None  # where the run is saved; None keeps it in memory
    name: str | None = None  # a label for tables and legends; None: derived from settings

    def __post_init__(self) -> None:
        if isinstance(self.milestones, tuple):
            self.milestones = list(self.milestones)
        _validate(self)

    # -- derived values -------------------------------------------------------------------
    @property
    def resolved_keep(self) -> float:
        """The keep rate for uniform/topk: `keep`, or SB's expected 1/(beta+1)."""
        return self.keep if self.keep is not None else 1.0 / (self.beta + 1.0)

    @property
    def label(self) -> str:
        """A short human name: `name`, else the policy and its main knobs."""
        if self.name:
            return self.name
        if self.policy == "sb":
            s = f"SB β={self.beta:g}" + (f" n={self.staleness}" if self.staleness > 1 else "")
        elif self.policy in ("uniform", "topk"):
            s = f"{self.policy} keep={self.resolved_keep:.2f}"
        else:
            s = "traditional"
        return s + (f" · {self.mislabel_fraction:.0%} mislabels" if self.mislabel_fraction else "")

    # -- serialisation --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"unknown config field(s) {unknown}; known fields: {sorted(known)}")
        return cls(**d)

    @classmethod
    def from_json(cls, text: str) -> RunConfig:
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> RunConfig:
        """A paper or quick preset (see `sbexplore.presets`), with fields overridden."""
        from sbexplore.presets import preset_fields

        return cls.from_dict({**preset_fields(name), **overrides})

    def replace(self, **changes: Any) -> RunConfig:
        """A copy with some fields changed (validated)."""
        return dataclasses.replace(self, **changes)


# -- validation ---------------------------------------------------------------------------

def _bad(name: str, value: Any, allowed: str) -> ConfigError:
    return ConfigError(f"{name}={value!r} is not allowed: {allowed}")


def _check_type(cfg: RunConfig, name: str, kinds: tuple[type, ...], optional: bool) -> None:
    v = getattr(cfg, name)
    if v is None and optional:
        return
    if isinstance(v, bool) and bool not in kinds:
        raise _bad(name, v, f"expected {' or '.join(k.__name__ for k in kinds)}")
    if not isinstance(v, kinds):
        what = " or ".join(k.__name__ for k in kinds) + (" or None" if optional else "")
        raise _bad(name, v, f"expected {what}")


def _validate(cfg: RunConfig) -> None:
    for f in fields(cfg):
        t = str(f.type)
        optional = "None" in t
        if t.startswith("str"):
            _check_type(cfg, f.name, (str,), optional)
        elif t.startswith("int"):
            _check_type(cfg, f.name, (int,), optional)
        elif t.startswith("float"):
            v = getattr(cfg, f.name)
            if isinstance(v, int) and not isinstance(v, bool):
                setattr(cfg, f.name, float(v))
            _check_type(cfg, f.name, (float,), optional)
            v = getattr(cfg, f.name)
            if v is not None and not math.isfinite(v):
                raise _bad(f.name, v, "must be a finite number")
        elif t.startswith("bool"):
            _check_type(cfg, f.name, (bool,), optional)

    def one_of(name: str, allowed: tuple[str, ...]) -> None:
        v = getattr(cfg, name)
        if v is not None and v not in allowed:
            raise _bad(name, v, "one of " + ", ".join(allowed))

    one_of("policy", POLICIES)
    one_of("augment", AUGMENTS)
    one_of("lr_schedule", LR_SCHEDULES)
    one_of("schedule_unit", SCHEDULE_UNITS)
    one_of("precision", PRECISIONS)
    one_of("memory_format", MEMORY_FORMATS)
    one_of("select_mode", SELECT_MODES)

    if cfg.beta < 0:
        raise _bad("beta", cfg.beta, "must be >= 0")
    if cfg.keep is not None and not 0 < cfg.keep <= 1:
        raise _bad("keep", cfg.keep, "must satisfy 0 < keep <= 1")
    if not 0 <= cfg.prob_floor <= 1:
        raise _bad("prob_floor", cfg.prob_floor, "must satisfy 0 <= prob_floor <= 1")
    if not 0 <= cfg.mislabel_fraction < 1:
        raise _bad("mislabel_fraction", cfg.mislabel_fraction, "must satisfy 0 <= f < 1")
    if not 0 <= cfg.dropout < 1:
        raise _bad("dropout", cfg.dropout, "must satisfy 0 <= dropout < 1")
    for name, lo in (("history_size", 1), ("staleness", 1), ("epochs", 1), ("batch_size", 1),
                     ("prime_epochs", 0), ("seed", 0)):
        if getattr(cfg, name) < lo:
            raise _bad(name, getattr(cfg, name), f"must be an integer >= {lo}")
    for name in ("train_subset", "max_backprops", "image_size"):
        v = getattr(cfg, name)
        if v is not None and v < 1:
            raise _bad(name, v, "must be a positive integer or None")
    if cfg.max_backprop_epochs is not None and cfg.max_backprop_epochs <= 0:
        raise _bad("max_backprop_epochs", cfg.max_backprop_epochs, "must be > 0 or None")
    if cfg.cutout is not None and cfg.cutout < 0:
        raise _bad("cutout", cfg.cutout, "must be >= 0 (0 turns Cutout off) or None")
    if cfg.lr <= 0:
        raise _bad("lr", cfg.lr, "must be > 0")
    if not 0 <= cfg.momentum < 1:
        raise _bad("momentum", cfg.momentum, "must satisfy 0 <= momentum < 1")
    if cfg.weight_decay < 0:
        raise _bad("weight_decay", cfg.weight_decay, "must be >= 0")
    if not 0 < cfg.lr_decay <= 1:
        raise _bad("lr_decay", cfg.lr_decay, "must satisfy 0 < lr_decay <= 1")
    if not isinstance(cfg.milestones, list) or not all(
        isinstance(m, (int, float)) and not isinstance(m, bool) and m > 0 for m in cfg.milestones
    ):
        raise _bad("milestones", cfg.milestones, "a list of positive numbers")
    cfg.milestones = [float(m) for m in cfg.milestones]
    if cfg.nesterov and cfg.momentum == 0:
        raise _bad("nesterov", cfg.nesterov, "Nesterov momentum needs momentum > 0")
    dev = cfg.device
    cuda_n = dev.startswith("cuda:") and dev[5:].isdigit()
    if not (dev in ("auto", "cpu", "cuda", "mps") or cuda_n):
        raise _bad("device", dev, "auto, cpu, cuda, cuda:N or mps")

    from sbexplore.data.registry import DATASETS
    from sbexplore.models import is_known_model

    if cfg.dataset not in DATASETS:
        raise _bad("dataset", cfg.dataset, "one of " + ", ".join(sorted(DATASETS)))
    if not is_known_model(cfg.model):
        from sbexplore.models import MODELS

        raise _bad("model", cfg.model, f"one of {', '.join(sorted(MODELS))} or a torchvision "
                   "classification model name (torchvision.models.list_models())")
