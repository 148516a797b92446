"""One process of a distributed test run (launched by torchrun from tests/test_distributed.py).

    python -m torch.distributed.run --nproc_per_node 2 tests/dist_worker.py SPEC_JSON

SPEC_JSON: {"cfg": RunConfig fields, "report": folder, "stop_at": candidate batch (rank 0 stops
there), "beta_at": [candidate batch, beta] (rank 0 sets it), "kill": [rank, epoch]}. Each rank
writes report/rank<r>.json: status, epochs, a checksum of its model's parameters, its events.
"""

import hashlib
import json
import os
import sys
from pathlib import Path

import torch

import sbexplore as sb
from sbexplore.engine.distributed import destroy_process_group, init_from_env, world


class Steer(sb.Callback):
    def __init__(self, spec):
        self.spec = spec

    def on_candidate_batch(self, recorder):
        n = recorder.counts.candidate_batches
        if self.spec.get("stop_at") == n:
            recorder.stop()
        beta_at = self.spec.get("beta_at")
        if beta_at and beta_at[0] == n:
            recorder.set("beta", beta_at[1])


class Kill(sb.Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch(self, recorder, row):
        if row["epoch"] == self.epoch:
            os._exit(3)  # a rank dies without a word


def main() -> None:
    spec = json.loads(sys.argv[1])
    torch.set_num_threads(1)
    init_from_env("cpu")
    rank, size = world()
    callbacks = [Steer(spec)] if rank == 0 else []
    kill = spec.get("kill")
    trainer = sb.Trainer(sb.RunConfig(**spec["cfg"]), callbacks=callbacks)
    if kill and kill[0] == rank:  # rank 0 alone gets callbacks from the Trainer: add it here
        trainer.recorder.callbacks.append(Kill(kill[1]))
    status, error = "finished", None
    try:
        run = trainer.fit()
        status = run.status
    except Exception as exc:  # noqa: BLE001 - the test reads what happened
        status, error = "failed", f"{type(exc).__name__}: {exc}"
    digest = hashlib.sha256()
    for p in trainer.model.parameters():
        digest.update(p.detach().cpu().numpy().tobytes())
    rec = trainer.recorder.record
    Path(spec["report"], f"rank{rank}.json").write_text(json.dumps({
        "status": status, "error": error, "epochs": len(rec.metrics), "world": size,
        "params": digest.hexdigest(), "beta_events": rec.events.to_dict("records"),
        "candidate_batches": trainer.counts.candidate_batches}))
    destroy_process_group()
    sys.exit(0 if status != "failed" else 1)


if __name__ == "__main__":
    main()
