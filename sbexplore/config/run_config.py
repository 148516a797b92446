"""RunConfig: every knob of a run in one validated, JSON-round-tripping dataclass."""

from __future__ import annotations

import dataclasses
import json
import math
import warnings
from dataclasses import dataclass, field, fields
from typing import Any

from sbexplore.errors import ConfigError

POLICIES = ("sb", "uniform", "topk", "traditional", "infobatch", "online_batch", "importance",
            "rho_loss")
# settings of one policy: left at their default under every other policy (else a warning)
POLICY_FIELDS = {"infobatch_ratio": "infobatch", "infobatch_delta": "infobatch",
                 "selection_pressure": "online_batch", "holdout_fraction": "rho_loss"}
RHO_LOSS_KEEP = 0.1  # RHO-LOSS keeps the top 10% of each candidate batch (Mindermann et al. 2022)
RENAMED_VALUES = {"policy": {"all": "traditional"}}  # old value -> new (saved configs load)
AUGMENTS = ("none", "crop", "crop+flip")
LR_SCHEDULES = ("constant", "multistep", "cosine", "onecycle")
SCHEDULE_UNITS = ("epochs", "backprops", "time")
PRECISIONS = ("auto", "fp32", "bf16")
MEMORY_FORMATS = ("auto", "contiguous", "channels_last")
SELECT_MODES = ("eval", "train")
MISLABEL_MODES = ("flip", "shuffle")
# fields of older versions that saved runs may still hold; ignored when loading
RETIRED_FIELDS = ("prime_epochs",)  # now prime_examples (the run's metrics keep `priming`)
# fields whose None means "the recipe's" (config.recipes: by dataset and model);
# prime_examples comes from the recipe's prime_epochs times the training-set size
RECIPE_FIELDS = ("lr", "warmup_epochs", "lr_schedule", "batch_size", "epochs", "augment",
                 "cutout", "prime_examples")
RECORD_FIELDS = ("recipe", "loop")  # written by sbexplore, not settings: no CLI flag
LOOPS = ("sbexplore", "own")  # which loop trained the run: the built-in one, or your own
USER_MODEL = "user:"  # model="user:Net": your own nn.Module (class Net), not a registered name
# settings only the built-in loop applies. A hand-written loop brings its own model, optimizer,
# schedule, augmentation, precision, device and stopping rule, so an own-loop record holds None
# for these (what was used is in the run's meta: model, optimizer, scheduler, loss)
BUILTIN_ONLY_FIELDS = ("train_subset", "image_size", "augment", "cutout", "dropout",
                       "max_backprops", "max_backprop_epochs", "max_time_s", "lr",
                       "warmup_epochs", "momentum", "nesterov", "weight_decay", "lr_schedule",
                       "schedule_unit", "lr_decay", "device", "precision", "memory_format",
                       "compile")


@dataclass
class RunConfig:
    """All settings of one run. Validated on construction; `ConfigError` names the bad field.

    Fields marked "recipe" default to None: `resolved()` fills them from the recipe for the
    dataset and model (`config.recipes`), and names it in `recipe`; the trainer does that
    first."""

    # data and model
    dataset: str = "digits"  # a registered dataset name (see sbexplore.data.DATASETS)
    data_root: str | None = None  # None: $SBEXPLORE_DATA, else ~/.cache/sbexplore
    train_subset: int | None = None  # a fixed, seeded random subset of the training set
    model: str = "cnn"  # a registered model, or any torchvision classification model
    image_size: int | None = None  # imagefolder: resize/crop to this at decode time
    augment: str | None = None  # recipe; none | crop | crop+flip
    cutout: int | None = None  # recipe; Cutout square side in pixels (hole = mean); 0 off
    dropout: float | None = 0.0  # models that support it (wrn16_8, mlp)
    download: bool = False  # never fetch data unless asked
    # selection
    # sb | uniform | topk | traditional (every example backpropped) | infobatch | online_batch |
    # importance | rho_loss (the rivals: README, "SB against its rivals")
    policy: str = "sb"
    beta: float = 2.0  # SB selectivity: P = percentile ** beta
    history_size: int = 1024  # SB's window of recent losses (the original uses 1024)
    prob_floor: float = 0.0  # minimum keep probability
    # uniform/topk/importance/rho_loss rate; None: 1/(beta+1), SB's expected rate (rho_loss: 0.1)
    keep: float | None = None
    staleness: int = 1  # selection pass every n epochs; 1 = fresh every epoch
    # recipe (its prime_epochs x the training examples); whole epochs backprop everything while
    # fewer than this many examples were backpropped (the original's num_images_to_prime); 0: no
    # priming, SB selects from the first epoch on
    prime_examples: int | None = None
    select_mode: str = "eval"  # model mode for the selection forward pass
    mislabel_fraction: float = 0.0  # share of training labels made wrong (see mislabel_mode)
    mislabel_mode: str = "flip"  # flip: a random other class; shuffle: permute them (paper)
    # rival policies
    infobatch_ratio: float = 0.5  # infobatch: prune probability of below-mean-loss examples (r)
    infobatch_delta: float = 0.875  # infobatch: prune during this share of the epochs (δ)
    selection_pressure: float = 100.0  # online_batch: best rank's probability / worst's (s)
    holdout_fraction: float = 0.1  # rho_loss: training share held out for its holdout model
    # optimisation
    epochs: int | None = None  # recipe
    max_backprops: int | None = None  # stop once this many examples were backpropped
    max_backprop_epochs: float | None = None  # the same budget in epochs' worth (x train size)
    max_time_s: float | None = None  # wall-clock budget in seconds (the paper's fixed hours)
    batch_size: int | None = None  # recipe; the backprop batch (and the candidate batch)
    lr: float | None = None  # recipe; the peak learning rate
    warmup_epochs: float | None = None  # recipe; linear warm-up, in schedule units
    momentum: float | None = 0.9  # SGD momentum, 0 <= momentum < 1
    nesterov: bool | None = True  # Nesterov momentum (needs momentum > 0)
    weight_decay: float | None = 5e-4  # SGD L2 penalty (the paper's 5e-4)
    lr_schedule: str | None = None  # recipe; constant | multistep | cosine | onecycle
    # epochs | backprops (epochs' worth) | time (share of max_time_s, in epochs of the schedule)
    schedule_unit: str | None = "epochs"
    milestones: list[float] = field(default_factory=list)  # multistep, in schedule units
    lr_decay: float | None = 0.1  # multistep factor
    # execution
    seed: int = 0  # seeds model init, data order, subsets, mislabels and selection
    device: str | None = "auto"  # auto | cpu | cuda | cuda:N | mps
    precision: str | None = "auto"  # auto (bf16 on CUDA) | fp32 | bf16
    memory_format: str | None = "auto"  # auto (by device type) | contiguous | channels_last
    compile: bool | None = False  # torch.compile the model
    out_dir: str | None = None  # where the run is saved; None keeps it in memory
    name: str | None = None  # a label for tables and legends; None: derived from settings
    recipe: str | None = None  # set by resolved(): the recipe the None fields took (digits/*)
    # set by the Recorder: "own" for a hand-written loop (its record holds None for
    # BUILTIN_ONLY_FIELDS, and the model as "user:<class>"); the built-in loop's is "sbexplore"
    loop: str = "sbexplore"

    def __post_init__(self) -> None:
        if isinstance(self.milestones, tuple):
            self.milestones = list(self.milestones)
        for name, renamed in RENAMED_VALUES.items():
            old = getattr(self, name)
            if isinstance(old, str) and old in renamed:
                warnings.warn(f"{name}={old!r} is now {name}={renamed[old]!r}", DeprecationWarning,
                              stacklevel=3)
                setattr(self, name, renamed[old])
        _validate(self)

    # -- derived values -------------------------------------------------------------------
    def resolved(self, num_train: int | None = None) -> RunConfig:
        """A copy with every None recipe field taken from the recipe for this dataset and
        model (idempotent), its key in `recipe`. `prime_examples` is the recipe's prime_epochs
        times the training examples: `num_train`, else `train_subset`, else the dataset's size
        (left None for data whose size is known only once loaded)."""
        from sbexplore.config.recipes import recipe_for
        from sbexplore.data.registry import DATASETS

        key, recipe = recipe_for(self.dataset, self.model)
        # a hand-written loop uses only the recipe's batch size, epochs and priming
        unused = BUILTIN_ONLY_FIELDS if self.loop == "own" else ()
        filled: dict[str, Any] = {f: getattr(recipe, f) for f in RECIPE_FIELDS
                                  if f != "prime_examples" and getattr(self, f) is None
                                  and f not in unused}
        n = num_train or self.train_subset or DATASETS[self.dataset].num_train
        if n and num_train is None and self.policy == "rho_loss":  # trains on the rest
            n -= round(self.holdout_fraction * n)
        if self.prime_examples is None and n:
            filled["prime_examples"] = round(recipe.prime_epochs * n)
        return self.replace(**filled, recipe=key)

    def for_own_loop(self, model: Any = None) -> RunConfig:
        """This config as a hand-written loop ran it (`loop='own'`): BUILTIN_ONLY_FIELDS None
        (a warning names those that were set, since the loop decides them itself) and the
        model as `user:<class>` when `model` (your nn.Module) is given."""
        if self.loop == "own" and model is None:
            return self
        defaults = {f.name: f.default for f in fields(self)}
        if self.recipe is not None:  # resolved: the recipe's values were not set by hand
            from sbexplore.config.recipes import recipe_for

            recipe = recipe_for(self.dataset, self.model)[1]
            defaults.update({f: getattr(recipe, f) for f in RECIPE_FIELDS
                             if f in BUILTIN_ONLY_FIELDS})
        ignored = [f"{f}={getattr(self, f)!r}" for f in BUILTIN_ONLY_FIELDS
                   if getattr(self, f) is not None and getattr(self, f) != defaults[f]]
        if ignored and self.loop != "own":
            verb = "applies" if len(ignored) == 1 else "apply"
            warnings.warn(f"{', '.join(ignored)} {verb} to the built-in loop only: your own loop "
                          "decides them (its model, optimizer, schedule, data and stopping); the "
                          "run's record holds None for them and its meta what your loop used",
                          UserWarning, stacklevel=3)
        changes: dict[str, Any] = {f: None for f in BUILTIN_ONLY_FIELDS}
        if model is not None:
            changes["model"] = user_model_name(model)
        return self.replace(**changes, milestones=[], loop="own")

    @property
    def is_baseline(self) -> bool:
        """Traditional training over its whole schedule, no budget: what speedups and the
        paper's error targets are measured against (a budget-matched traditional run is a
        control, not the baseline)."""
        return self.policy == "traditional" and self.max_backprops is None and \
            self.max_backprop_epochs is None and self.max_time_s is None

    @property
    def resolved_keep(self) -> float:
        """The keep rate of uniform, topk, importance and rho_loss: `keep`, else SB's expected
        1/(beta+1) (rho_loss: its paper's 0.1)."""
        if self.keep is not None:
            return self.keep
        return RHO_LOSS_KEEP if self.policy == "rho_loss" else 1.0 / (self.beta + 1.0)

    @property
    def label(self) -> str:
        """The run's name: `name`, else the policy and its main knobs (`naming.run_name`)."""
        from sbexplore.config.naming import run_name

        return run_name(self)

    # -- serialisation --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunConfig:
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k not in RETIRED_FIELDS}
        for name, renamed in RENAMED_VALUES.items():  # a saved config of an older version
            if isinstance(d.get(name), str) and d[name] in renamed:
                d[name] = renamed[d[name]]
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"unknown config field(s) {unknown}; known fields: {sorted(known)}")
        return cls(**d)

    @classmethod
    def from_json(cls, text: str) -> RunConfig:
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> RunConfig:
        """A paper or quick preset (see `sbexplore.config.presets`), with fields overridden."""
        from sbexplore.config.presets import preset_fields

        return cls.from_dict({**preset_fields(name), **overrides})

    def replace(self, **changes: Any) -> RunConfig:
        """A copy with some fields changed (validated)."""
        return dataclasses.replace(self, **changes)


# -- validation ---------------------------------------------------------------------------

def check_builtin_loop(cfg: RunConfig, model: Any = None) -> None:
    """ConfigError unless the built-in loop can train `cfg` (with your `model`, if given): a
    record of a hand-written loop, or of your own network, names what only your code has."""
    if cfg.loop == "own":
        data = (", and its data were passed in code (dataset='custom')"
                if cfg.dataset == "custom" else "")
        raise ConfigError(
            f"loop='own': this config records a run trained by a hand-written loop: its model "
            f"({cfg.model}), optimizer and schedule were your code's (the run's meta names "
            f"them){data}, so sbexplore cannot re-run it. Re-run the script that made it; or, "
            "for the "
            "built-in loop's version, edit its config.json: \"loop\": \"sbexplore\", a "
            "registered model, and null fields filled")
    if cfg.model.startswith(USER_MODEL) and model is None:
        raise ConfigError(f"model={cfg.model!r} was your own network: pass it as "
                          f"train(cfg, model={cfg.model[len(USER_MODEL):]}(...)), or choose a "
                          "registered model")


def user_model_name(model: Any) -> str:
    """How a config records your own nn.Module: `user:<its class name>`."""
    return USER_MODEL + type(model).__name__


# fields that are None in the built-in loop's configs too (no value needed)
_OPTIONAL_FIELDS = ("train_subset", "image_size", "max_backprops", "max_backprop_epochs",
                    "max_time_s")


def _bad(name: str, value: Any, allowed: str) -> ConfigError:
    return ConfigError(f"{name}={value!r} is not allowed: {allowed}")


def _check_type(cfg: RunConfig, name: str, kinds: tuple[type, ...], optional: bool) -> None:
    v = getattr(cfg, name)
    if v is None and optional:
        return
    what = " or ".join(k.__name__ for k in kinds) + (" or None" if optional else "")
    if (isinstance(v, bool) and bool not in kinds) or not isinstance(v, kinds):
        raise _bad(name, v, f"expected {what}")


def _check_types(cfg: RunConfig) -> None:
    """Every field has its declared type; floats are finite, strings non-empty."""
    for f in fields(cfg):
        t = str(f.type)
        optional = "None" in t
        v = getattr(cfg, f.name)
        if t.startswith("str"):
            _check_type(cfg, f.name, (str,), optional)
            if v == "" or (isinstance(v, str) and not v.strip()):
                raise _bad(f.name, v, "must not be empty" + (" (None for the default)"
                                                              if optional else ""))
        elif t.startswith("int"):
            _check_type(cfg, f.name, (int,), optional)
        elif t.startswith("float"):
            if isinstance(v, int) and not isinstance(v, bool):
                setattr(cfg, f.name, float(v))
            _check_type(cfg, f.name, (float,), optional)
            v = getattr(cfg, f.name)
            if v is not None and not math.isfinite(v):
                raise _bad(f.name, v, "must be a finite number")
        elif t.startswith("bool"):
            _check_type(cfg, f.name, (bool,), optional)
        elif t.startswith("list"):
            if not isinstance(v, list) or not all(
                    isinstance(m, (int, float)) and not isinstance(m, bool) and math.isfinite(m)
                    and m > 0 for m in v):
                raise _bad(f.name, v, "a list of positive finite numbers")


def _check_ranges(cfg: RunConfig) -> None:
    def at_least(name: str, lo: float, strict: bool = False) -> None:
        v = getattr(cfg, name)
        if v is not None and (v <= lo if strict else v < lo):
            raise _bad(name, v, f"must be {'>' if strict else '>='} {lo:g}")

    def between(name: str, lo: float, hi: float, hi_open: bool = False) -> None:
        v = getattr(cfg, name)
        if v is not None and not (lo <= v < hi if hi_open else lo <= v <= hi):
            raise _bad(name, v, f"must satisfy {lo:g} <= {name} {'<' if hi_open else '<='} "
                       f"{hi:g}")

    for name in ("history_size", "staleness", "epochs", "batch_size", "train_subset",
                 "max_backprops", "image_size"):
        at_least(name, 1)
    for name in ("seed", "prime_examples", "cutout", "beta", "weight_decay", "warmup_epochs"):
        at_least(name, 0)
    for name in ("lr", "max_backprop_epochs", "max_time_s"):
        at_least(name, 0, strict=True)
    between("prob_floor", 0, 1)
    between("mislabel_fraction", 0, 1, hi_open=True)
    between("dropout", 0, 1, hi_open=True)
    between("infobatch_ratio", 0, 1, hi_open=True)
    if not 0 < cfg.infobatch_delta <= 1:
        raise _bad("infobatch_delta", cfg.infobatch_delta,
                   "must satisfy 0 < infobatch_delta <= 1 (the share of epochs that prune)")
    if not cfg.selection_pressure > 1:
        raise _bad("selection_pressure", cfg.selection_pressure,
                   "must be > 1 (the best rank's keep probability over the worst's)")
    if not 0 < cfg.holdout_fraction < 1:
        raise _bad("holdout_fraction", cfg.holdout_fraction,
                   "must satisfy 0 < holdout_fraction < 1 (the rest is trained on)")
    if cfg.schedule_unit == "time" and cfg.max_time_s is None:
        raise _bad("schedule_unit", cfg.schedule_unit,
                   "'time' keys the schedule by the share of max_time_s spent: set max_time_s")
    between("momentum", 0, 1, hi_open=True)
    if cfg.keep is not None and not 0 < cfg.keep <= 1:
        raise _bad("keep", cfg.keep, "must satisfy 0 < keep <= 1")
    if cfg.lr_decay is not None and not 0 < cfg.lr_decay <= 1:
        raise _bad("lr_decay", cfg.lr_decay, "must satisfy 0 < lr_decay <= 1")
    if cfg.nesterov and cfg.momentum == 0:
        raise _bad("nesterov", cfg.nesterov, "Nesterov momentum needs momentum > 0")


def _warn_unused_policy_fields(cfg: RunConfig) -> None:
    """A policy's own setting changed under another policy would be ignored: say so."""
    defaults = {f.name: f.default for f in fields(cfg)}
    for name, policy in POLICY_FIELDS.items():
        if cfg.policy != policy and getattr(cfg, name) != defaults[name]:
            warnings.warn(f"{name}={getattr(cfg, name)!r} applies to policy={policy!r} only: "
                          f"policy={cfg.policy!r} ignores it", UserWarning, stacklevel=5)


def _validate(cfg: RunConfig) -> None:
    _check_types(cfg)

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
    one_of("mislabel_mode", MISLABEL_MODES)
    one_of("loop", LOOPS)
    if cfg.recipe is not None and cfg.recipe.count("/") != 1:
        raise _bad("recipe", cfg.recipe, "set by resolved() to '<dataset>/<model>' (or None)")
    _check_ranges(cfg)
    _warn_unused_policy_fields(cfg)
    cfg.milestones = [float(m) for m in cfg.milestones]
    dev = cfg.device
    cuda_n = dev is not None and dev.startswith("cuda:") and dev[5:].isdigit()
    if not (dev in ("auto", "cpu", "cuda", "mps") or cuda_n or dev is None):
        raise _bad("device", dev, "auto, cpu, cuda, cuda:N or mps")
    if cfg.loop == "sbexplore":
        unset = [f for f in BUILTIN_ONLY_FIELDS if getattr(cfg, f) is None
                 and f not in RECIPE_FIELDS and f not in _OPTIONAL_FIELDS]
        if unset:
            raise _bad(unset[0], None, "a value: None marks a field a hand-written loop decided "
                       "(loop='own'), and this config is for the built-in loop")

    from sbexplore.data.registry import DATASETS
    from sbexplore.models import is_known_model

    if cfg.dataset not in DATASETS:
        raise _bad("dataset", cfg.dataset, "one of " + ", ".join(sorted(DATASETS)))
    if cfg.model.startswith(USER_MODEL) and len(cfg.model) > len(USER_MODEL):
        return  # your own nn.Module, recorded by its class name
    if not is_known_model(cfg.model):
        from sbexplore.models import MODELS

        raise _bad("model", cfg.model, f"one of {', '.join(sorted(MODELS))} or a torchvision "
                   "classification model name (torchvision.models.list_models())")
