"""Per-example state of a run on its device: labels, counts, latest losses and predictions, and
the per-epoch rows of every array in `runs.record.EPOCH_ARRAYS`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from sbexplore.errors import ConfigError
from sbexplore.runs.record import EPOCH_ARRAYS, HIST_EDGES, HIST_GROUPS

NBINS = len(HIST_EDGES) - 1


class _Rows:
    """Per-epoch rows of one array, grown by doubling (appending a row is O(N))."""

    def __init__(self, n: int, dtype: Any, fill: Any, shape: tuple[int, ...] | None = None):
        self.shape, self.dtype, self.fill = shape or (n,), dtype, fill
        self.data = np.full((0, *self.shape), fill, dtype)
        self.count = 0

    def append(self, row: np.ndarray) -> None:
        if self.count == len(self.data):
            grown = np.full((max(4, 2 * len(self.data)), *self.shape), self.fill, self.dtype)
            grown[: self.count] = self.data[: self.count]
            self.data = grown
        self.data[self.count] = row
        self.count += 1

    def view(self) -> np.ndarray:
        return self.data[: self.count]


class ExampleState:
    """Labels as trained on (one per example index), the injected mislabels, and what the loop
    reported per example; `end_epoch` appends each epoch's rows."""

    def __init__(self, labels: torch.Tensor, *, true_labels: torch.Tensor | None = None,
                 mislabeled: torch.Tensor | None = None,
                 source_index: torch.Tensor | None = None, classes: list[str] | None = None):
        if not isinstance(labels, torch.Tensor) or labels.ndim != 1:
            raise ConfigError(f"labels={type(labels).__name__} is not allowed: a 1-d tensor of "
                              "class indices, one per training example")
        self.n = n = len(labels)
        self.device = dev = labels.device
        self.labels = labels.long()
        self.true_labels = self.labels if true_labels is None else true_labels.to(dev).long()
        self.mislabeled = (torch.zeros(n, dtype=torch.bool, device=dev) if mislabeled is None
                           else mislabeled.to(dev).bool())
        self.has_marked_mislabels = mislabeled is not None  # else pick rates are unknown
        self.source_index = (torch.arange(n, device=dev) if source_index is None
                             else source_index.to(dev))
        for name, t in (("true_labels", self.true_labels), ("mislabeled", self.mislabeled),
                        ("source_index", self.source_index)):
            if len(t) != n:
                raise ConfigError(f"{name} has {len(t)} entries: expected {n}, one per label")
        self.classes = list(classes) if classes is not None else [
            str(c) for c in range(int(self.labels.max()) + 1 if n else 0)]
        self.times_backpropped = torch.zeros(n, dtype=torch.int32, device=dev)
        self.times_forwarded = torch.zeros(n, dtype=torch.int32, device=dev)
        self.last_loss = torch.full((n,), float("nan"), device=dev)
        self.last_prob = torch.full((n,), float("nan"), device=dev)
        self.last_pred = torch.full((n,), -1, dtype=torch.int16, device=dev)
        # the norm of the loss's gradient at the logits, ||softmax - onehot(label)||, at the
        # latest forward: what a random batch's gradient scale is estimated from
        self.last_grad = torch.full((n,), float("nan"), device=dev)
        fills = {"backpropped": 0, "losses": np.nan, "probs": np.nan, "preds": -1, "hist": 0}
        self.rows = {name: _Rows(n, dtype, fills[name], shape)
                     for name, (dtype, shape) in EPOCH_ARRAYS.items()}
        self._info: dict[str, np.ndarray] | None = None

    def forwarded(self, idx: torch.Tensor, losses: torch.Tensor,
                  outputs: torch.Tensor | None) -> torch.Tensor | None:
        """A selection forward pass; returns the examples' logit-gradient norms (or None)."""
        self.times_forwarded[idx] += 1
        self.last_loss[idx] = losses.detach().float()
        return self._predictions(idx, outputs)

    def backpropped(self, idx: torch.Tensor, losses: torch.Tensor,
                    outputs: torch.Tensor | None) -> torch.Tensor | None:
        """A backprop batch; returns the examples' logit-gradient norms (or None)."""
        self.last_loss[idx] = losses
        self.times_backpropped[idx] += 1
        return self._predictions(idx, outputs)

    def end_epoch(self, backpropped: torch.Tensor, hist: torch.Tensor) -> None:
        """Append the epoch's rows: who was backpropped, latest losses/probs/predictions."""
        rows = self.rows
        rows["backpropped"].append(backpropped.cpu().numpy())
        # float16 keeps the epochs x N record small; clamp so exploding losses stay finite
        rows["losses"].append(self.last_loss.clamp(max=65504).cpu().numpy().astype(np.float16))
        rows["probs"].append(self.last_prob.cpu().numpy().astype(np.float16))
        rows["preds"].append(self.last_pred.cpu().numpy())
        rows["hist"].append(hist.view(len(HIST_GROUPS), NBINS).cpu().numpy())

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: r.view() for name, r in self.rows.items()}

    def info(self) -> dict[str, np.ndarray]:
        """Per-example labels as numpy: constant during a run, copied off the device once."""
        if self._info is None:
            self._info = {"index": np.arange(self.n),
                          "source_index": self.source_index.cpu().numpy(),
                          "label": self.labels.cpu().numpy(),
                          "true_label": self.true_labels.cpu().numpy(),
                          "mislabeled": self.mislabeled.cpu().numpy().astype(bool)}
        return dict(self._info)

    def frame(self) -> pd.DataFrame:
        """One row per training example (see `Run.examples`)."""
        info = self.info()
        return pd.DataFrame({
            **{k: info[k] for k in ("index", "source_index", "label", "true_label")},
            "mislabeled": info["mislabeled"],
            "times_backpropped": self.times_backpropped.cpu().numpy(),
            "times_forwarded": self.times_forwarded.cpu().numpy(),
            "last_loss": self.last_loss.cpu().numpy(),
        })

    def live(self) -> dict[str, np.ndarray]:
        """The changing per-example values as numpy (copies), for a snapshot."""
        with torch.no_grad():
            return {"times_backpropped": self.times_backpropped.clone().cpu().numpy(),
                    "last_loss": self.last_loss.clone().cpu().numpy(),
                    "pred": self.last_pred.clone().cpu().numpy().astype(np.int64)}

    def _predictions(self, idx: torch.Tensor, outputs: torch.Tensor | None
                     ) -> torch.Tensor | None:
        if outputs is None or outputs.ndim != 2:
            return None
        with torch.no_grad():
            out = outputs.detach().float()
            probs = torch.softmax(out, 1)
            label = self.labels[idx].unsqueeze(1)
            p = probs.gather(1, label).squeeze(1)
            # ||softmax - onehot||^2 = sum_j p_j^2 - 2 p_y + 1
            grad = ((probs * probs).sum(1) - 2 * p + 1).clamp_min_(0).sqrt_()
            self.last_prob[idx] = p
            self.last_pred[idx] = out.argmax(1).to(torch.int16)
            self.last_grad[idx] = grad
            return grad
