"""One run on several processes (`torch.distributed`: gloo on CPU, NCCL on GPUs).

Selection stays *global*, so it equals the single-process rule: every rank holds the whole
candidate batch (each has the data), computes the selection losses of its shard
(`x[rank::world]`), and an all-gather gives every rank all of them in the batch's order. The keep
draw uses the same seeded generator everywhere, so every rank fills the same pool of exact
backprop batches; each rank backprops its shard of each, and DDP averages the gradients (the
loss is scaled so the average is the whole batch's mean). Live controls are rank 0's,
broadcast before every candidate batch; rank 0 records and saves the run.
"""

from __future__ import annotations

import datetime as _dt
import os
import signal
import threading
from typing import Any

import torch
import torch.distributed as dist

from sbexplore.engine.control import StopTraining
from sbexplore.engine.policies import SelectiveBackprop
from sbexplore.engine.selector import Selector

TIMEOUT_S = float(os.environ.get("SBEXPLORE_DIST_TIMEOUT_S", 600))  # a dead rank errors by then


def world() -> tuple[int, int]:
    """(rank, world size) of this process; (0, 1) without a process group."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def init_from_env(device: str | None = None) -> bool:
    """Join the process group torchrun describes (WORLD_SIZE > 1 in the environment), gloo on
    CPU, NCCL on CUDA; True when this process is one of several."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or not dist.is_available():
        return False
    if not dist.is_initialized():
        cuda = torch.cuda.is_available() and (device or "auto") not in ("cpu", "mps")
        if cuda:
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
        dist.init_process_group("nccl" if cuda else "gloo",
                                timeout=_dt.timedelta(seconds=TIMEOUT_S))
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _terminated)
    return dist.get_world_size() > 1


def _terminated(signum: int, frame: Any) -> None:
    """torchrun ends every process when one fails: end this one as a failed run (its folder
    says so), not as a silently vanished one."""
    raise RuntimeError("ended by SIGTERM: the launcher stops every process when one of them "
                       "fails; the first failure in its log is the cause")


def destroy_process_group() -> None:
    """Leave the process group (after the run), if one is joined."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def local_device(device: torch.device) -> torch.device:
    """A CUDA rank's own GPU (LOCAL_RANK); other devices as they are."""
    if device.type == "cuda" and device.index is None:
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    return device


def gather_rows(part: torch.Tensor, n: int) -> torch.Tensor:
    """The strided shards `full[r::world]` of every rank, all-gathered back into `full` (n rows,
    in order)."""
    rank, size = world()
    per = -(-n // size)
    padded = torch.zeros((per, *part.shape[1:]), dtype=part.dtype, device=part.device)
    padded[:len(part)] = part
    parts = [torch.empty_like(padded) for _ in range(size)]
    dist.all_gather(parts, padded.contiguous())
    full = torch.empty((n, *part.shape[1:]), dtype=part.dtype, device=part.device)
    for r, p in enumerate(parts):
        k = len(range(r, n, size))
        full[r::size] = p[:k]
    return full


def sum_all(values: torch.Tensor) -> torch.Tensor:
    """The element-wise sum over ranks."""
    values = values.clone()
    dist.all_reduce(values)
    return values


def from_rank0(values: list[float], device: torch.device) -> list[float]:
    """Rank 0's values, on every rank (one broadcast)."""
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.broadcast(t, src=0)
    return t.tolist()


class DistributedSelector(Selector):
    """A Selector whose selection forward pass is sharded over the ranks and whose live
    controls are rank 0's (see the module docstring); decisions are the same on every rank."""

    def _forward_losses(self, x: torch.Tensor, y: torch.Tensor
                        ) -> tuple[torch.Tensor, torch.Tensor]:
        rank, size = world()
        losses, out = super()._forward_losses(x[rank::size], y[rank::size])
        n = len(x)
        return gather_rows(losses.float(), n), gather_rows(out.float(), n)

    def _live_changes(self) -> list[tuple[str, float]]:
        rank, _ = world()
        stop = 0.0
        try:
            due = super()._live_changes() if rank == 0 else []
        except StopTraining:
            due, stop = [], 1.0
        now = self._live_values()
        wanted = dict(now, **dict(due))
        stop, beta, staleness, pace = from_rank0(
            [stop, wanted["beta"], wanted["staleness"], wanted["pace"]], self.device)
        if stop:
            if self.recorder is not None:
                self.recorder.control.stop()  # every rank ends the epoch the same way
            raise StopTraining()
        if rank == 0:
            return due
        values = {"beta": beta, "staleness": int(staleness), "pace": pace}
        return [(f, v) for f, v in values.items()
                if v != now[f] and (f != "beta" or isinstance(self.policy, SelectiveBackprop))]

    def shard(self, n: int) -> slice:
        """This rank's rows of a backprop batch of n."""
        rank, size = world()
        return slice(rank, n, size)

    def reduce_shard(self, losses: torch.Tensor, n: int) -> torch.Tensor:
        """The loss this rank backprops for its shard of a batch of n: summed and scaled so
        that DDP's average over the ranks is the batch's (weighted) mean."""
        self._reduced = True
        w = self.batch_weights
        if w is not None:
            losses = losses * w[self.shard(n)]
        return losses.sum() * (world()[1] / n)


def describe() -> dict[str, Any]:
    """The process group, for a run's meta."""
    rank, size = world()
    if size == 1:
        return {"world_size": 1}
    return {"world_size": size, "backend": dist.get_backend()}
