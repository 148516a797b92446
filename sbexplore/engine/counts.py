"""Where a run is, counted in one place: the Selector advances the counts, everything else
(the Recorder, progress bars, views, schedules) reads them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Counts:
    """Epochs, candidate batches and examples of one run so far. Only the `Selector` writes."""

    num_examples: int
    batch_size: int
    epoch: int = 0  # 0-based epoch in progress (= complete epochs)
    candidate_batches: int = 0  # candidate batches offered to selection so far
    candidate_batch_in_epoch: int = 0  # of the epoch in progress
    seen_in_epoch: int = 0  # examples of the epoch in progress offered so far
    backprops: int = 0  # examples backpropped so far
    backprop_batches: int = 0  # backprop batches (optimizer steps) so far
    forwarded: int = 0  # selection forward passes so far (examples)
    epoch_backprops: int = 0  # of the epoch in progress
    epoch_forwarded: int = 0
    priming: bool = False  # the epoch in progress backprops everything (no ranking yet)
    selecting: bool = False  # the epoch in progress ranks candidates

    @property
    def candidate_batches_per_epoch(self) -> int:
        return -(-self.num_examples // self.batch_size) if self.num_examples else 0

    @property
    def progress(self) -> float:
        """Epochs of examples offered so far (fractional): what epoch-keyed schedules read."""
        return self.epoch + self.seen_in_epoch / self.num_examples if self.num_examples else 0.0

    @property
    def epoch_fraction(self) -> float:
        """Share of the epoch in progress done, in candidate batches."""
        per = self.candidate_batches_per_epoch
        return self.candidate_batch_in_epoch / per if per else 0.0

    def begin_epoch(self, *, priming: bool, selecting: bool) -> None:
        self.priming, self.selecting = priming, selecting
        self.candidate_batch_in_epoch = self.seen_in_epoch = 0
        self.epoch_backprops = self.epoch_forwarded = 0

    def candidate_batch_done(self, size: int) -> None:
        self.candidate_batches += 1
        self.candidate_batch_in_epoch += 1
        self.seen_in_epoch += size

    def add_forwarded(self, n: int) -> None:
        self.forwarded += n
        self.epoch_forwarded += n

    def add_backprops(self, n: int) -> None:
        self.backprops += n
        self.epoch_backprops += n
        self.backprop_batches += 1

    def end_epoch(self) -> None:
        self.epoch += 1
