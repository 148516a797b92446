"""Your own training code, honestly recorded: what the run used, figures of custom data, loud
mistakes, evaluation off the clock and SB's health signal (issue: own loops, no surprises)."""

import json
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Subset, TensorDataset

import sbexplore as sb
from sbexplore.analysis import comparison_table, health, run_summary
from sbexplore.data.labels import Mislabeled, dataset_labels
from sbexplore.errors import ConfigError


class Net(torch.nn.Module):
    def __init__(self, d: int = 30, k: int = 2):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(d, 32), torch.nn.ReLU(),
                                        torch.nn.Linear(32, k))

    def forward(self, x):
        return self.body(x.flatten(1))


def tabular():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    X = torch.tensor((X - X.mean(0)) / X.std(0), dtype=torch.float32)
    return TensorDataset(X[:450], torch.tensor(y[:450])), (X[450:], torch.tensor(y[450:]))


def own_loop(cfg, train_set, test, *, epochs=4, report=True, end_epoch=True, eval_sleep=0.0,
             sleep_via="context", images=None):
    """The README's loop with Adadelta and StepLR (as the trial user wrote it)."""
    torch.manual_seed(0)
    model = Net(train_set[0][0].numel(), 10 if images is not None else 2)
    opt = torch.optim.Adadelta(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    rec = sb.Recorder(cfg, train_set, optimizer=opt, scheduler=sched, images=images)
    sel = sb.Selector.from_config(cfg, model, len(train_set), recorder=rec)
    loader = DataLoader(sb.WithIndices(train_set), batch_sampler=sel.batch_sampler())
    for _ in sel.epochs(epochs):
        for x, y, idx in sel.batches(loader):
            out = model(x)
            losses = F.cross_entropy(out, y, reduction="none")
            opt.zero_grad()
            sel.reduce(losses).backward()
            opt.step()
            if report:
                sel.backpropped(idx, losses, out)
        sched.step()
        extra = {}
        if sleep_via == "context":
            with sel.evaluating(), torch.no_grad():
                time.sleep(eval_sleep)
                acc = float((model(test[0]).argmax(1) == test[1]).float().mean())
        else:
            t0 = time.perf_counter()
            time.sleep(eval_sleep)
            with torch.no_grad():
                acc = float((model(test[0]).argmax(1) == test[1]).float().mean())
            extra["time_eval_s"] = time.perf_counter() - t0
        if end_epoch:
            sel.end_epoch(test_accuracy=acc, **extra)
    return rec.finish()


# -- 1. priming, said out loud -----------------------------------------------------
def test_an_sb_run_whose_whole_budget_is_priming_warns():
    train_set, test = tabular()
    cfg = sb.RunConfig(dataset="custom", beta=2, batch_size=32, epochs=1)
    with pytest.warns(UserWarning, match=r"covers all 1 epoch\(s\).*never selects"):
        run = own_loop(cfg, train_set, test, epochs=1)
    assert run.metrics["priming"].all()


def test_a_recipes_priming_is_a_share_of_the_data_trained_on():
    assert sb.RunConfig(dataset="mnist", train_subset=20000).resolved().prime_examples == 20000
    assert sb.RunConfig(dataset="mnist").resolved().prime_examples == 60000


# -- 5. the record says what ran -----------------------------------------------------
def test_an_own_loops_config_and_meta_record_what_it_used(tmp_path):
    train_set, test = tabular()
    cfg = sb.RunConfig(dataset="custom", beta=2, batch_size=32, epochs=4,
                       out_dir=str(tmp_path / "own"))
    run = own_loop(cfg, train_set, test)
    saved = json.loads((tmp_path / "own" / "config.json").read_text())
    assert saved["model"] == "user:Net" and saved["loop"] == "own"
    for unused in ("lr", "momentum", "weight_decay", "lr_schedule", "warmup_epochs", "augment"):
        assert saved[unused] is None, unused
    assert run.config.resolved().lr is None  # resolving does not invent a learning rate
    assert saved["batch_size"] == 32 and saved["prime_examples"] == 450
    meta = sb.load_run(tmp_path / "own").meta
    assert meta["optimizer"]["class"] == "Adadelta" and meta["optimizer"]["rho"] == 0.9
    assert meta["scheduler"] == {"class": "StepLR", "step_size": 1, "gamma": 0.7}
    assert meta["model_class"] == "Net" and meta["model_parameters"] == 30 * 32 + 32 + 32 * 2 + 2
    assert meta["loss"].startswith("cross_entropy_per_example (default")
    lrs = run.metrics["lr"].to_numpy()  # the optimizer's, as the scheduler set it
    assert np.allclose(lrs, [0.7 ** (e + 1) for e in range(4)])


def test_rerunning_an_own_loop_run_explains_what_it_cannot_rerun(tmp_path):
    train_set, test = tabular()
    cfg = sb.RunConfig(dataset="custom", epochs=2, out_dir=str(tmp_path / "own"))
    own_loop(cfg, train_set, test, epochs=2)
    p = subprocess.run([sys.executable, "-m", "sbexplore", "run", "--config",
                        str(tmp_path / "own"), "--out-dir", str(tmp_path / "again")],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "loop='own'" in p.stderr and "cannot re-run it" in p.stderr
    assert "user:Net" in p.stderr and not (tmp_path / "again").exists()


def test_settings_a_hand_written_loop_does_not_apply_warn():
    train_set, _ = tabular()
    with pytest.warns(UserWarning, match=r"lr=0\.1, momentum=0\.5 apply to the built-in loop"):
        rec = sb.Recorder(sb.RunConfig(dataset="custom", lr=0.1, momentum=0.5), train_set)
    assert rec.record.config.lr is None and rec.record.config.momentum is None


def test_train_with_your_own_network_records_its_class():
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10))
    run = sb.train(sb.RunConfig(epochs=1, device="cpu"), model=net)
    assert run.config.model == "user:Sequential" and run.config.loop == "sbexplore"
    with pytest.raises(ConfigError, match="was your own network: pass it"):
        sb.train(run.config)


# -- 4. different runs are not pooled as seeds ----------------------------------------
def test_runs_differing_in_priming_are_two_series_not_two_seeds():
    cfg = sb.RunConfig(epochs=3, device="cpu", model="mlp")
    a, b = sb.train(cfg.replace(prime_examples=0)), sb.train(cfg.replace(prime_examples=1438))
    table = comparison_table([a, b])
    assert len(table) == 2 and set(table["seeds"]) == {1}
    assert table["run"].str.contains("prime_examples=0").any()


# -- 3. mislabels in your own loop -----------------------------------------------------
def test_mislabel_fraction_without_changed_labels_is_refused():
    train_set, _ = tabular()
    with pytest.raises(ConfigError, match="mislabel_fraction=0.2: your loop's labels are not "
                                          "changed.*Mislabeled"):
        sb.Recorder(sb.RunConfig(dataset="custom", mislabel_fraction=0.2), train_set)


def test_the_mislabeled_helper_injects_marks_and_measures_pick_rates():
    train_set, test = tabular()
    cfg = sb.RunConfig(dataset="custom", batch_size=32, mislabel_fraction=0.2, prime_examples=0)
    noisy = Mislabeled.from_config(train_set, cfg)
    assert int(noisy.mislabeled.sum()) == 90 and (noisy.labels != noisy.true_labels).sum() == 90
    assert int(noisy[int(noisy.mislabeled.nonzero()[0])][1]) != int(
        train_set[int(noisy.mislabeled.nonzero()[0])][1])
    run = own_loop(cfg, noisy, test)
    assert run.examples["mislabeled"].sum() == 90
    assert run.metrics["mislabel_pick_rate"].between(0, 1).all()
    clean = own_loop(sb.RunConfig(dataset="custom", batch_size=32), train_set, test)
    assert clean.metrics["mislabel_pick_rate"].isna().all()


def test_labels_are_read_from_any_dataset():
    train_set, _ = tabular()
    sub = Subset(train_set, [3, 1, 4])
    assert dataset_labels(sub).tolist() == [int(train_set[i][1]) for i in (3, 1, 4)]
    assert dataset_labels(sb.WithIndices(sub)).tolist() == dataset_labels(sub).tolist()
    rec = sb.Recorder(sb.RunConfig(dataset="custom"), sub)
    assert rec.n == 3


# -- 7. loud, early mistakes -------------------------------------------------------------
def test_forgetting_backpropped_warns_naming_the_call():
    train_set, test = tabular()
    cfg = sb.RunConfig(dataset="custom", batch_size=32, prime_examples=0)
    with pytest.warns(UserWarning, match=r"call `selector.backpropped\(idx, losses, outputs\)`"):
        own_loop(cfg, train_set, test, epochs=1, report=False)


def test_finishing_without_end_epoch_warns_naming_the_call():
    train_set, test = tabular()
    cfg = sb.RunConfig(dataset="custom", batch_size=32, prime_examples=0)
    with pytest.warns(UserWarning, match=r"0 recorded epochs: call `selector.end_epoch"):
        run = own_loop(cfg, train_set, test, epochs=1, end_epoch=False)
    assert len(run.metrics) == 0


def test_labels_and_examples_that_do_not_match_are_refused():
    rec = sb.Recorder(sb.RunConfig(dataset="custom"), torch.zeros(10, dtype=torch.long))
    with pytest.raises(ConfigError, match="num_examples=12 but the Recorder has 10 labels"):
        sb.Selector(torch.nn.Linear(3, 2), 12, 4, recorder=rec)


def test_indices_outside_num_examples_are_refused():
    sel = sb.Selector(torch.nn.Linear(3, 2), 8, 4, prime_examples=0)
    batch = (torch.randn(4, 3), torch.zeros(4, dtype=torch.long), torch.tensor([0, 1, 2, 9]))
    with pytest.raises(ConfigError, match=r"example index 9 .* 0\.\.7 \(num_examples=8\)"):
        list(sel.batches([batch]))


def test_a_loader_over_more_examples_than_num_examples_is_refused():
    train_set, _ = tabular()
    sel = sb.Selector(Net(), 400, 32)
    loader = DataLoader(sb.WithIndices(train_set), batch_size=32)
    with pytest.raises(ConfigError, match="the loader's dataset has 450 examples but "
                                          "num_examples=400"):
        list(sel.batches(loader))


# -- 6. evaluation off the clock ---------------------------------------------------------
@pytest.mark.parametrize("via", ["context", "time_eval_s"])
def test_evaluation_is_off_the_training_clock(via):
    train_set, test = tabular()
    cfg = sb.RunConfig(dataset="custom", batch_size=32)
    run = own_loop(cfg, train_set, test, epochs=2, eval_sleep=0.3, sleep_via=via)
    m = run.metrics
    assert (m["time_eval_s"] >= 0.3).all()
    assert (m["wall_time_s"] < 0.25).all(), m["wall_time_s"].tolist()  # training alone: ms
    assert np.allclose(m["time_other_s"], m["wall_time_s"] - m["time_select_s"]
                       - m["time_train_s"], atol=1e-9)


# -- 2. everything draws and reports ------------------------------------------------------
def digits_images():
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.images * 16, dtype=torch.uint8).clamp(0, 255)[:, None]
    return x, torch.tensor(d.target)


def _kinds(figs):
    return {k.split("/")[-1] for k in figs}


def test_every_figure_of_a_tabular_own_loop_run_draws_and_reports(tmp_path):
    from sbexplore.figures import run_figures
    from sbexplore.studies.report import write_report

    train_set, test = tabular()
    cfg = sb.RunConfig(dataset="custom", batch_size=32, mislabel_fraction=0.1, prime_examples=0,
                       out_dir=str(tmp_path / "tab"))
    own_loop(cfg, Mislabeled.from_config(train_set, cfg), test)
    run = sb.load_run(tmp_path / "tab")
    figs = run_figures(run)
    assert {"learning_curve", "loss_histogram", "mislabel_pick_rate", "data_map",
            "mislabel_detection", "label_error_pr", "time_breakdown"} <= _kinds(figs)
    assert "most_backpropped" not in figs and "no images to show" in figs.notes[0]
    html = write_report([run], tmp_path / "report").read_text()
    assert "no images to show" in html and "Data map" in html


def test_every_figure_of_a_train_data_image_run_draws_from_its_stored_images(tmp_path):
    from sbexplore.figures import run_figures

    x, y = digits_images()
    cfg = sb.RunConfig(epochs=3, device="cpu", mislabel_fraction=0.1, prime_examples=0,
                       out_dir=str(tmp_path / "img"))
    sb.train(cfg, data=(x[:1400], y[:1400], x[1400:], y[1400:]))
    run = sb.load_run(tmp_path / "img")
    assert run.images is not None and run.images.pixels.shape[1:] == (8, 8, 1)
    figs = run_figures(run)
    assert {"most_backpropped", "least_backpropped", "label_suspects", "data_map",
            "mislabel_detection", "loss_histogram"} <= _kinds(figs) and not figs.notes
    tile = figs["most_backpropped"].data[0]
    first = figs["most_backpropped"]._sbexplore_data.iloc[0]
    assert np.array_equal(np.asarray(tile.z)[..., 0], x[int(first["index"]), 0].numpy())


def test_an_own_loop_with_images_keeps_them_for_its_galleries(tmp_path):
    from sbexplore.figures import run_figures

    x, y = digits_images()
    train_set = TensorDataset(x[:600].float() / 16, y[:600])
    cfg = sb.RunConfig(dataset="custom", batch_size=32, prime_examples=0,
                       out_dir=str(tmp_path / "own"))
    own_loop(cfg, train_set, (x[1400:].float() / 16, y[1400:]), images=train_set)
    run = sb.load_run(tmp_path / "own")
    assert "most_backpropped" in run_figures(run)


def test_the_figures_and_report_commands_work_on_custom_runs(tmp_path):
    train_set, test = tabular()
    own_loop(sb.RunConfig(dataset="custom", batch_size=32, prime_examples=0,
                          out_dir=str(tmp_path / "tab")), train_set, test)
    for cmd in (["report", str(tmp_path / "tab"), "--out", str(tmp_path / "rep")],):
        p = subprocess.run([sys.executable, "-m", "sbexplore", *cmd], capture_output=True,
                           text=True, timeout=300)
        assert p.returncode == 0, p.stderr
    assert (tmp_path / "rep" / "report.html").is_file()


# -- 8. smaller points -----------------------------------------------------------------
def test_tables_take_one_run():
    run = sb.train(sb.RunConfig(epochs=2, device="cpu", model="mlp"))
    assert len(run_summary(run)) == 1 and len(comparison_table(run)) == 1


def test_an_unknown_cli_flag_suggests_the_close_one():
    p = subprocess.run([sys.executable, "-m", "sbexplore", "run", "--betta", "3"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "did you mean --beta" in p.stderr


# -- 5 (issue). the health signal ------------------------------------------------------
def test_the_health_signal_is_recorded_in_an_own_loop():
    train_set, test = tabular()
    run = own_loop(sb.RunConfig(dataset="custom", batch_size=32), train_set, test)
    after = run.metrics[~run.metrics["priming"]]
    assert after["grad_ratio"].notna().all() and (after["grad_ratio"] > 0).all()


def test_the_health_signal_warns_at_a_learning_rate_that_overshoots():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        calm = sb.train(sb.RunConfig(model="mlp", lr=0.01, device="cpu"))
        hot = sb.train(sb.RunConfig(model="mlp", lr=0.05, device="cpu"))
    assert health(calm)["warning"] is None and health(calm)["first"] < 1.2
    h = health(hot)
    assert h["first"] >= 1.5 and "larger gradients than random ones" in h["warning"]
    assert "Lower the learning rate" in h["warning"] and h["drop"] >= 2.0


def test_a_high_ratio_with_accuracy_holding_is_watched_not_warned():
    metrics = pd.DataFrame({
        "epoch": [1, 2, 3], "priming": [True, False, False],
        "grad_ratio": [float("nan"), 2.6, 2.5], "test_accuracy": [0.960, 0.968, 0.972]})
    h = health(metrics)
    assert h["first"] == 2.6 and h["epoch"] == 2 and h["warning"] is None
    assert "holding" in h["note"] and h["drop"] < 0
    fell = metrics.assign(test_accuracy=[0.960, 0.930, 0.972])
    assert "fell 3.0 points" in health(fell)["warning"]
