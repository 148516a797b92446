"""A Run: config, per-epoch metrics, per-example records, events and per-epoch arrays, saved as a
crash-consistent run folder whose saving cost per epoch is O(N), not O(epochs x N).

Run folder layout (format 2)::

    run/
      manifest.json                 written last, atomically: format, epochs E, n, meta (status,
                                    versions...), hist_edges, which per-epoch arrays are present
                                    and the table files below. Readers read exactly what it names.
      config.json                   the RunConfig (rewritten only when it changes)
      epochs/00001.npz ... E.npz    epoch e's rows of every per-epoch array (`EPOCH_ARRAYS`);
                                    written once, never rewritten by later saves of the same run
      tables/metrics-000007.parquet per-epoch metrics of save 7 (all epochs so far)
      tables/examples-000007.parquet, tables/events-000007.csv (and clock, images if any)
      metrics.csv                   the metrics for other tools; not read back (after a crash it
                                    may be one save ahead of the manifest)

Every file is written under a temp name and renamed. Tables carry the save number, so a save never
overwrites a file the current manifest names: a kill at any moment leaves the previous save
readable, losing at most the epoch being saved. The tables of the previous save are kept (a reader
in another process that read the old manifest can still open them); older ones are removed.
Folders of format 1 (`meta.json`, `metrics.parquet`, one `arrays.npz`) still load.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from sbexplore.config import RunConfig
from sbexplore.errors import RunFolderError, UserError
from sbexplore.runs.fileio import atomic_write, npz_bytes
from sbexplore.runs.images import StoredImages

# Loss-histogram bins: [0, 1e-3) then log-spaced to 20; larger losses land in the last bin.
HIST_EDGES = np.concatenate([[0.0], np.logspace(-3, np.log10(20.0), 40)])
HIST_GROUPS = ("skipped_clean", "skipped_mislabeled", "backpropped_clean",
               "backpropped_mislabeled")

# Per-epoch arrays, epochs x (one row per epoch): name -> (dtype, row shape; None = one value per
# training example). Saving, loading and comparing runs derive from this list: one line adds one.
EPOCH_ARRAYS: dict[str, tuple[type, tuple[int, ...] | None]] = {
    "backpropped": (np.uint8, None),  # 1 when the example was backpropped in that epoch
    "losses": (np.float16, None),  # its latest loss at the end of that epoch
    "probs": (np.float16, None),  # softmax prob. of its label at its latest forward; NaN: unseen
    "preds": (np.int16, None),  # argmax class at its latest forward; -1: never seen
    "hist": (np.int64, (len(HIST_GROUPS), len(HIST_EDGES) - 1)),  # loss histogram of the epoch
}

# Per-epoch metrics, one row per epoch; each name has one meaning, given in METRICS below.
METRIC_COLUMNS = [
    "epoch", "wall_time_s", "examples_forwarded", "examples_backpropped", "keep_fraction",
    "train_loss", "test_loss", "test_accuracy", "mislabel_pick_rate", "beta", "staleness",
    "time_select_s", "time_train_s", "time_other_s", "time_eval_s", "priming", "lr",
    "candidate_batches", "total_backprops", "total_forwarded", "total_time_s", "time_save_s",
    "time_prep_s", "prep_backprops", "grad_ratio",
]
# What each metric means, in one place (per epoch unless it says "total" or "so far").
METRICS = {
    "epoch": "1-based epoch number",
    "wall_time_s": "seconds the epoch spent training: selection, backprops, data and "
                   "bookkeeping (not evaluation, not paused time; runs saved by 0.1 counted "
                   "their evaluation in it)",
    "examples_forwarded": "examples given a selection forward pass this epoch (0 when priming, "
                          "for traditional and uniform; Stale-SB skips stale ones)",
    "examples_backpropped": "examples given a backward pass this epoch",
    "keep_fraction": "examples_backpropped / training examples",
    "train_loss": "mean loss of the examples backpropped this epoch",
    "test_loss": "mean loss on the test set at the epoch's end",
    "test_accuracy": "accuracy on the test set at the epoch's end",
    "mislabel_pick_rate": "share of this epoch's backprops that went to examples with injected "
                          "wrong labels (NaN without injected mislabels); the base rate is "
                          "mislabel_fraction",
    "beta": "SB's beta in force at the epoch's end", "staleness": "Stale-SB's n in force",
    "time_select_s": "seconds in selection forward passes",
    "time_train_s": "seconds in backprop steps (forward, backward, optimizer)",
    "time_other_s": "wall_time_s - time_select_s - time_train_s (data, bookkeeping)",
    "time_eval_s": "seconds evaluating on the test set: off the training clock (not in "
                   "wall_time_s)",
    "priming": "the epoch backpropped everything before selection starts",
    "lr": "learning rate at the epoch's last optimizer step",
    "candidate_batches": "candidate batches offered to selection so far",
    "total_backprops": "examples backpropped so far", "total_forwarded": "selection forward "
    "passes so far", "total_time_s": "sum of wall_time_s so far",
    "time_save_s": "seconds spent writing the run folder after the epoch (not in wall_time_s)",
    "time_prep_s": "seconds spent before the first epoch preparing the method (RHO-LOSS: "
                   "training its holdout model); part of that epoch's wall_time_s",
    "prep_backprops": "examples backpropped preparing the method (RHO-LOSS's holdout model); "
                      "part of total_backprops, not of examples_backpropped",
    "grad_ratio": "SB's health signal: the mean gradient norm at the logits, ||softmax - "
                  "onehot(label)||, of the examples backpropped this epoch over a random "
                  "batch's (the candidates' at their selection forward; without one, every "
                  "example's latest); a learning rate tuned for random batches overshoots when "
                  "it is large (README, 'SB's health signal'); NaN without the logits",
}
# metric columns added after 0.1, with the value a run of that version had
ADDED_METRICS = {"time_prep_s": 0.0, "prep_backprops": 0, "grad_ratio": float("nan")}
TIMING_COLUMNS = ["wall_time_s", "time_select_s", "time_train_s", "time_other_s", "time_eval_s",
                  "total_time_s", "time_save_s", "time_prep_s"]
EXAMPLE_COLUMNS = ["index", "source_index", "label", "true_label", "mislabeled",
                   "times_backpropped", "times_forwarded", "last_loss"]
EVENT_COLUMNS = ["candidate_batch", "epoch", "field", "old", "new"]
# every reading of the training clock (a time-keyed schedule, a wall-clock budget), in order
CLOCK_COLUMNS = ["backprop_batches", "elapsed_s"]
# names of earlier versions, read under today's names (saved folders keep loading)
RENAMED = {"metrics": {"step": "candidate_batches"},
           "examples": {"times_selected": "times_backpropped"},
           "events": {"step": "candidate_batch"},
           "arrays": {"selected": "backpropped"}}

FORMAT = 2
MANIFEST = "manifest.json"
CONFIG = "config.json"
METRICS_CSV = "metrics.csv"
EPOCHS_DIR = "epochs"
TABLES_DIR = "tables"
TABLES = {"metrics": "parquet", "examples": "parquet", "events": "csv", "clock": "parquet",
          "images": "npz"}
# absent from folders of earlier versions; images: only runs of data passed in code store some
OPTIONAL_TABLES = ("clock", "images")
COMPRESS_LEVEL = 1  # per-epoch files: ~1.6x smaller than stored for ~25 ms at N=50k
# format 1: every file rewritten by every save (quadratic); read, never written
FILES = {
    "config": CONFIG, "meta": "meta.json", "metrics": "metrics.parquet",
    "metrics_csv": METRICS_CSV, "examples": "examples.parquet", "events": "events.csv",
    "arrays": "arrays.npz",
}

T = TypeVar("T")


def empty_frame(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})


def empty_array(name: str, n: int = 0) -> np.ndarray:
    """A per-epoch array with no epochs yet (`n` examples wide)."""
    dtype, row = EPOCH_ARRAYS[name]
    return np.zeros((0, *(row if row is not None else (n,))), dtype)


@dataclass
class _Saved:
    """What the last save (or load) of a Run put in a folder: the next save adds only the rest."""

    folder: Path
    epochs: int
    save: int
    config: bytes
    rows: dict[str, tuple[int, ...]]  # present arrays -> row shape


@dataclass(eq=False)
class Run:
    """One training run and everything needed to redraw its views without retraining.

    Per-epoch arrays (`EPOCH_ARRAYS`): `backpropped[e, i]` is 1 when example i was backpropped
    in epoch e+1, `losses[e, i]` its latest loss at that epoch's end, `probs`/`preds` the
    probability of its label and the predicted class at its latest forward (empty for runs
    recorded without them), `hist[e, g, b]` the loss-histogram counts of group `HIST_GROUPS[g]`
    in bin b. `clock` holds every reading of the training clock that a decision used (a
    time-keyed schedule, a wall-clock budget), so `train(cfg, replay=run)` repeats it.
    """

    config: RunConfig
    metrics: pd.DataFrame = field(default_factory=lambda: empty_frame(METRIC_COLUMNS))
    examples: pd.DataFrame = field(default_factory=lambda: empty_frame(EXAMPLE_COLUMNS))
    events: pd.DataFrame = field(default_factory=lambda: empty_frame(EVENT_COLUMNS))
    clock: pd.DataFrame = field(default_factory=lambda: empty_frame(CLOCK_COLUMNS))
    backpropped: np.ndarray = field(default_factory=lambda: empty_array("backpropped"))
    losses: np.ndarray = field(default_factory=lambda: empty_array("losses"))
    probs: np.ndarray = field(default_factory=lambda: empty_array("probs"))
    preds: np.ndarray = field(default_factory=lambda: empty_array("preds"))
    hist: np.ndarray = field(default_factory=lambda: empty_array("hist"))
    hist_edges: np.ndarray = field(default_factory=lambda: HIST_EDGES.copy())
    meta: dict[str, Any] = field(default_factory=dict)
    images: StoredImages | None = None  # the galleries' images, for data passed in code
    path: Path | None = None
    _saved: _Saved | None = field(default=None, init=False, repr=False)

    @property
    def status(self) -> str:
        return self.meta.get("status", "created")

    @property
    def selected(self) -> np.ndarray:
        """Deprecated name of `backpropped`."""
        warnings.warn("Run.selected is now Run.backpropped", DeprecationWarning, stacklevel=2)
        return self.backpropped

    @property
    def name(self) -> str:
        return self.config.label

    @property
    def classes(self) -> list[str]:
        return list(self.meta.get("classes", []))

    def __repr__(self) -> str:
        last = self.metrics.iloc[-1] if len(self.metrics) else None
        acc = f", test_accuracy={last['test_accuracy']:.4f}" if last is not None else ""
        return f"Run({self.name!r}, status={self.status!r}, epochs={len(self.metrics)}{acc})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Run):
            return NotImplemented
        return (
            self.config == other.config
            and _frames_equal(self.metrics, other.metrics)
            and _frames_equal(self.examples, other.examples)
            and _frames_equal(self.events, other.events)
            and _frames_equal(self.clock, other.clock)
            and _arrays_equal(self, other, [*EPOCH_ARRAYS, "hist_edges"])
        )

    def same_results(self, other: Run, config: bool = True) -> bool:
        """Equal in everything but wall-clock columns: what determinism promises. `config=False`
        compares what happened only (a hand-written loop's record of the built-in loop's run
        differs in its config: `loop='own'`)."""
        a = self.metrics.drop(columns=TIMING_COLUMNS, errors="ignore")
        b = other.metrics.drop(columns=TIMING_COLUMNS, errors="ignore")
        return ((not config or self.config.replace(out_dir=None)
                 == other.config.replace(out_dir=None))
                and _frames_equal(a, b) and _frames_equal(self.examples, other.examples)
                and _frames_equal(self.events, other.events)
                and _arrays_equal(self, other, list(EPOCH_ARRAYS)))

    def continued(self, **changes: Any) -> Run:
        """A later state of this same run (more epochs, new meta): saving it to the folder this
        one was saved to writes only what is new. The recorder publishes each epoch this way."""
        later = dataclasses.replace(self, **changes)
        later._saved = self._saved
        return later

    # -- persistence ---------------------------------------------------------------------
    def save(self, path: str | os.PathLike | None = None) -> Path:
        """Write the run folder; returns its path. Saving again to the same folder writes only
        the new epochs' arrays and the small files (the arrays of saved epochs are append-only)."""
        target = Path(path or self.path or self.config.out_dir or "")
        if not str(target):
            raise UserError("this run has no out_dir: pass a path to save(path)")
        try:
            self._saved = _write_folder(self, target)
        except OSError as exc:
            why = exc.strerror or str(exc)
            where = f" ({exc.filename})" if exc.filename else ""
            last = self._saved
            kept = (f"it keeps its last complete save ({last.epochs} epochs)"
                    if last and last.folder == target.resolve() else
                    "it holds no complete save of this run")
            raise RunFolderError(f"cannot save run {self.name!r} to {target}: {why}{where}; "
                                 f"{kept}, and the run in memory is unchanged") from exc
        self.path = target
        return target


def _write_folder(run: Run, target: Path) -> _Saved:
    """Write what `run` holds beyond its last save in `target`, the manifest last."""
    epochs = len(run.metrics)
    rows = _present_arrays(run, epochs)
    config = run.config.to_json().encode()
    last = run._saved
    if last is not None and (last.folder != target.resolve() or last.rows != rows
                             or last.epochs > epochs):
        last = None  # another folder, or arrays that changed shape: write everything
    if last is None:
        (target / MANIFEST).unlink(missing_ok=True)  # the folder is being replaced
    (target / EPOCHS_DIR).mkdir(parents=True, exist_ok=True)
    (target / TABLES_DIR).mkdir(exist_ok=True)
    for e in range(last.epochs if last else 0, epochs):
        atomic_write(target / _epoch_file(e),
                     npz_bytes({k: getattr(run, k)[e] for k in rows}, COMPRESS_LEVEL))
    if last is None or last.config != config:
        atomic_write(target / CONFIG, config)
    save = last.save + 1 if last else 1
    tables = {}
    written = [("metrics", _parquet_bytes(run.metrics)),
               ("examples", _parquet_bytes(run.examples)),
               ("events", run.events.to_csv(index=False).encode())]
    if len(run.clock):  # only runs whose decisions read the clock have readings
        written.append(("clock", _parquet_bytes(run.clock)))
    if run.images is not None:
        written.append(("images", npz_bytes(run.images.to_npz(), COMPRESS_LEVEL)))
    for k, data in written:
        tables[k] = {"file": f"{TABLES_DIR}/{k}-{save:06d}.{TABLES[k]}", "bytes": len(data),
                     "crc32": zlib.crc32(data)}  # a CSV cut short still parses: check it
        atomic_write(target / tables[k]["file"], data)
    atomic_write(target / METRICS_CSV, run.metrics.to_csv(index=False).encode())
    manifest = {
        "format": FORMAT, "save": save, "epochs": epochs, "n": _width(run, rows),
        "arrays": {k: {"dtype": np.dtype(EPOCH_ARRAYS[k][0]).name, "row_shape": list(rows[k])}
                   for k in rows},
        "tables": tables, "hist_edges": [float(x) for x in run.hist_edges], "meta": run.meta,
    }
    atomic_write(target / MANIFEST, json.dumps(manifest, indent=1, default=str).encode())
    _remove_stale(target, save, epochs, fresh=last is None)
    return _Saved(target.resolve(), epochs, save, config, rows)


def _present_arrays(run: Run, epochs: int) -> dict[str, tuple[int, ...]]:
    """The per-epoch arrays that hold rows (one per epoch), with their row shapes."""
    rows = {}
    for name, (dtype, _) in EPOCH_ARRAYS.items():
        a = getattr(run, name)
        if not len(a):
            continue
        if len(a) != epochs:
            raise ValueError(f"run.{name} has {len(a)} rows but run.metrics has {epochs}: a "
                             "per-epoch array holds one row per epoch, or none")
        if a.dtype != dtype:
            raise ValueError(f"run.{name} has dtype {a.dtype}; {np.dtype(dtype).name} expected")
        rows[name] = tuple(a.shape[1:])
    return rows


def _width(run: Run, rows: dict[str, tuple[int, ...]]) -> int:
    if len(run.examples):
        return len(run.examples)
    wide = [rows[k][0] for k in rows if EPOCH_ARRAYS[k][1] is None and rows[k]]
    return wide[0] if wide else 0


def _epoch_file(e: int) -> str:
    return f"{EPOCHS_DIR}/{e + 1:05d}.npz"


def _remove_stale(target: Path, save: int, epochs: int, fresh: bool) -> None:
    """Drop tables but this save's and the previous one's; after a fresh save also foreign epoch
    files and format-1 files. Best effort: a leftover file is ignored by readers."""
    stale = []
    for f in (target / TABLES_DIR).iterdir():
        m = re.fullmatch(r"\w+-(\d+)\.\w+", f.name)
        if m and int(m.group(1)) not in (save, save - 1):  # (higher: a replaced run's)
            stale.append(f)
    if fresh:
        stale += [f for f in (target / EPOCHS_DIR).glob("*.npz")
                  if not f.stem.isdigit() or int(f.stem) > epochs]
        stale += [target / FILES[k] for k in ("meta", "metrics", "examples", "events", "arrays")]
    for f in stale:
        try:
            f.unlink(missing_ok=True)
        except OSError:
            pass


# -- loading ---------------------------------------------------------------------------------
def load_run(path: str | os.PathLike) -> Run:
    """Read a run folder written by `Run.save` (also one saved mid-training, or cut off by a
    crash: the last complete save). A damaged file raises `RunFolderError` naming it."""
    p = Path(path)
    if (p / MANIFEST).is_file():
        return _load_v2(p)
    if (p / FILES["config"]).is_file() and (p / FILES["arrays"]).is_file():
        return _load_v1(p)
    if (p / CONFIG).is_file():
        raise RunFolderError(f"{p} is not a run folder: it has no {MANIFEST} (its first save "
                             "did not finish)")
    raise UserError(f"{p} is not a run folder: it has no {MANIFEST}")


def _load_v2(p: Path) -> Run:
    manifest = _read(p / MANIFEST, lambda f: json.loads(f.read_bytes()))
    try:
        if manifest.get("format") != FORMAT:
            raise ValueError(f"format {manifest.get('format')!r}; this sbexplore reads {FORMAT}")
        epochs, n, meta = int(manifest["epochs"]), int(manifest["n"]), dict(manifest["meta"])
        present = {k: tuple(v["row_shape"]) for k, v in manifest["arrays"].items()}
        saved_as = {RENAMED["arrays"].get(k, k): k for k in present}  # today's name -> file's
        unknown = set(saved_as) - set(EPOCH_ARRAYS)
        if unknown:
            raise ValueError(f"unknown arrays {sorted(unknown)} (written by a newer sbexplore?)")
        tables = {k: dict(manifest["tables"][k]) for k in TABLES
                  if k not in OPTIONAL_TABLES or k in manifest["tables"]}
        for t in tables.values():
            t["path"], t["bytes"], t["crc32"] = p / t["file"], int(t["bytes"]), int(t["crc32"])
        hist_edges = np.asarray(manifest["hist_edges"], np.float64)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise RunFolderError(f"{p / MANIFEST}: cannot be read ({_why(exc)}); the run folder "
                             "is damaged") from None
    config = _read(p / CONFIG, lambda f: RunConfig.from_json(f.read_text()))
    metrics = _renamed("metrics", _read_table(tables["metrics"], pd.read_parquet))
    _expect(len(metrics) == epochs, tables["metrics"]["path"],
            f"{len(metrics)} rows, {epochs} expected")
    examples = _renamed("examples", _read_table(tables["examples"], pd.read_parquet))
    events = _renamed("events", _read_table(tables["events"], _read_events))
    clock = (_read_table(tables["clock"], pd.read_parquet) if "clock" in tables
             else empty_frame(CLOCK_COLUMNS))
    images = (_read_table(tables["images"], lambda b: StoredImages(**_read_npz(b)))
              if "images" in tables else None)
    arrays = {k: np.empty((epochs, *present[old]), EPOCH_ARRAYS[k][0])
              for k, old in saved_as.items()}
    for e in range(epochs):
        f = p / _epoch_file(e)
        rows = _read(f, _read_npz)
        for k, a in arrays.items():
            row = rows.get(saved_as[k])
            _expect(row is not None and row.shape == a.shape[1:] and row.dtype == a.dtype, f,
                    f"array {k!r} is missing or has the wrong shape/dtype")
            a[e] = row
    arrays.update({k: empty_array(k, n) for k in EPOCH_ARRAYS if k not in arrays})
    run = Run(config=config, metrics=metrics, examples=examples, events=events, clock=clock,
              meta=meta, hist_edges=hist_edges, path=p, images=images, **arrays)
    run._saved = _Saved(p.resolve(), epochs, int(manifest.get("save", 0)),
                        config.to_json().encode(), present)
    return run


def _load_v1(p: Path) -> Run:
    config = _read(p / FILES["config"], lambda f: RunConfig.from_json(f.read_text()))
    meta = _read(p / FILES["meta"], lambda f: json.loads(f.read_bytes()))
    events = _renamed("events", _read(p / FILES["events"], _read_events))
    arrays = {RENAMED["arrays"].get(k, k): a
              for k, a in _read(p / FILES["arrays"], _read_npz).items()}
    metrics = _renamed("metrics", _read(p / FILES["metrics"], pd.read_parquet))
    examples = _renamed("examples", _read(p / FILES["examples"], pd.read_parquet))
    n = arrays["backpropped"].shape[1] if "backpropped" in arrays else len(examples)
    _expect(len(metrics) == len(arrays.get("backpropped", metrics)), p / FILES["metrics"],
            "its epochs differ from arrays.npz's (a format-1 save was cut off)")
    for k in EPOCH_ARRAYS:
        arrays.setdefault(k, empty_array(k, n))
    return Run(config=config, metrics=metrics, examples=examples, events=events, meta=meta,
               path=p, **arrays)


def _renamed(kind: str, df: pd.DataFrame) -> pd.DataFrame:
    """A table of an earlier version with its columns under today's names (and, for metrics,
    the columns added since, with the values that version's runs had)."""
    old = {k: v for k, v in RENAMED[kind].items() if k in df.columns}
    df = df.rename(columns=old) if old else df
    if kind == "metrics" and any(c not in df.columns for c in ADDED_METRICS):
        df = df.assign(**{c: v for c, v in ADDED_METRICS.items() if c not in df.columns})
    return df


def _read(f: Path, parse: Callable[[Path], T]) -> T:
    """`parse(f)`, with any failure (missing, truncated, garbage) as one error naming `f`."""
    try:
        return parse(f)
    except RunFolderError:
        raise
    except FileNotFoundError:
        raise RunFolderError(f"{f}: missing; the run folder is damaged") from None
    except Exception as exc:  # pyarrow, numpy, zipfile, json and csv errors alike
        raise RunFolderError(f"{f}: cannot be read ({_why(exc)}); the run folder is "
                             "damaged") from None


def _read_table(table: dict[str, Any], parse: Callable[[Any], T]) -> T:
    """A table named by the manifest, checked against its size and checksum, then parsed."""
    f = table["path"]
    data = _read(f, Path.read_bytes)
    _expect(len(data) == table["bytes"], f, f"{len(data)} bytes, {table['bytes']} expected")
    _expect(zlib.crc32(data) == table["crc32"], f, "its checksum differs from the manifest's")
    return _read(f, lambda _: parse(io.BytesIO(data)))


def _expect(ok: bool, f: Path, why: str) -> None:
    if not ok:
        raise RunFolderError(f"{f}: {why}; the run folder is damaged")


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__


def _read_npz(f: Path | io.BytesIO) -> dict[str, np.ndarray]:
    with np.load(f, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _read_events(f: Path | io.BytesIO) -> pd.DataFrame:
    events = pd.read_csv(f, dtype={"field": "object"})
    if not len(events):
        return empty_frame(EVENT_COLUMNS)
    events["field"] = events["field"].astype(object)
    return events


def is_run_dir(path: str | os.PathLike) -> bool:
    p = Path(path)
    return (p / MANIFEST).is_file() or ((p / CONFIG).is_file() and (p / FILES["arrays"]).is_file())


def saved_meta(path: str | os.PathLike) -> dict[str, Any]:
    """The meta (status, classes, updated, ...) of the last complete save; {} if unreadable."""
    p = Path(path)
    for name in (MANIFEST, FILES["meta"]):
        try:
            d = json.loads((p / name).read_bytes())
        except (OSError, ValueError):
            continue
        meta = d.get("meta", {}) if name == MANIFEST else d
        if isinstance(meta, dict):
            return meta
    return {}


def saved_status(path: str | os.PathLike) -> str | None:
    """The status of the last complete save in a run folder; None if none can be read."""
    p = Path(path)
    for name in (MANIFEST, FILES["meta"]):
        try:
            return status_of(name, (p / name).read_bytes())
        except (OSError, ValueError):
            continue
    return None


def status_of(name: str, data: bytes) -> str | None:
    """The status in a manifest's or a format-1 meta file's bytes (ValueError if unreadable)."""
    d = json.loads(data)
    meta = d.get("meta", {}) if name == MANIFEST else d
    if not isinstance(meta, dict):
        raise ValueError(f"{name} holds no meta")
    return meta.get("status")


def _frames_equal(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return False
    if not len(a):
        return True
    return a.reset_index(drop=True).astype(object).equals(b.reset_index(drop=True).astype(object))


def _arrays_equal(a: Run, b: Run, names: list[str]) -> bool:
    for k in names:
        x, y = getattr(a, k), getattr(b, k)
        if k in EPOCH_ARRAYS and len(x) == 0 == len(y):  # no epochs recorded, whatever the width
            continue
        if not np.array_equal(x, y, equal_nan=x.dtype.kind == "f" and y.dtype.kind == "f"):
            return False
    return True


def _parquet_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()
