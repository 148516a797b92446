"""Several runs in one process: each equals its solo run, and the caller's RNG is untouched."""

import threading

import torch

import sbexplore as sb


def _cfg(seed: int) -> sb.RunConfig:
    return sb.RunConfig(epochs=3, device="cpu", model="mlp", seed=seed, mislabel_fraction=0.1)


def test_eight_concurrent_runs_each_equal_their_solo_run():
    seeds = list(range(8))
    solo = {s: sb.train(_cfg(s)) for s in seeds}
    runs = [sb.start(_cfg(s)) for s in seeds]  # started together: model builds interleave
    together = {s: r.join() for s, r in zip(seeds, runs)}
    assert all(r.status == "finished" for r in runs)
    for s in seeds:
        assert together[s].same_results(solo[s]), f"seed {s} differs when run concurrently"
    assert not solo[0].same_results(solo[1])  # the seeds really differ


def test_threads_building_models_at_once_get_their_own_seeds():
    """Without the init lock, a thread's weights could come from another thread's seed."""
    barrier = threading.Barrier(4)
    results = {}

    def build(seed):
        barrier.wait()
        t = sb.Trainer(_cfg(seed))
        results[seed] = [p.detach().clone() for p in t.model.parameters()]

    threads = [threading.Thread(target=build, args=(s,)) for s in (0, 1, 2, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for seed in (0, 1, 2, 3):
        alone = [p.detach() for p in sb.Trainer(_cfg(seed)).model.parameters()]
        assert all(torch.equal(a, b) for a, b in zip(alone, results[seed]))


def test_training_leaves_the_callers_global_rng_untouched():
    torch.manual_seed(1234)
    before = torch.get_rng_state()
    sb.train(_cfg(0))
    run = sb.start(_cfg(1))
    run.join()
    assert torch.equal(torch.get_rng_state(), before)


def test_a_stop_right_after_start_is_never_lost():
    for _ in range(5):
        run = sb.start(_cfg(0).replace(epochs=50))
        run.stop()  # before the trainer exists, most of the time
        final = run.join(timeout=60)
        assert final.status == "stopped" and len(final.metrics) <= 1
