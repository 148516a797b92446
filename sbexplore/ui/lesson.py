"""A guided lesson beside the dashboard: short experiments, each "predict, then run".

Each experiment has a question, a one-click preset that starts its runs (paced, so a student
can steer them) and, once they end, the measured answer next to the student's prediction.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as w
import numpy as np

from sbexplore.analysis.epochs import after_priming
from sbexplore.analysis.health import health
from sbexplore.ui.room import Reporter

LESSON_PACE_S = 0.5  # seconds per epoch at least: 15 epochs take ~8 s, time to drag β or Pause


@dataclass(frozen=True)
class Experiment:
    """One experiment of the lesson: a question, the runs that answer it, what to watch."""

    key: str
    title: str
    question: str
    choices: tuple[str, ...]
    runs: tuple[dict[str, Any], ...]  # RunConfig overrides, one per run
    watch: str
    explain: str
    measure: Callable[[list[Any]], str] = field(repr=False, default=lambda runs: "")
    pace: float = LESSON_PACE_S
    answer: str | None = None  # the right choice (None: the class's measurements decide)
    score: Callable[[list[Any]], float] = field(repr=False, default=lambda runs: float("nan"))
    score_label: str = ""  # what `score` measures, for the teacher's view


def _rows(runs: list[Any]) -> list[tuple[Any, Any]]:
    """(config, metrics after priming, or all metrics when every epoch primed) per run."""
    out = []
    for r in runs:
        if len(r.metrics):
            late = after_priming(r)
            out.append((r.config, late if len(late) else r.metrics))
    return out


def _keep_and_speed(runs: list[Any]) -> str:
    parts = []
    for cfg, late in _rows(runs):
        compute = (late["time_select_s"] + late["time_train_s"]).mean()
        parts.append(f"β={cfg.beta:g}: keep fraction {late['keep_fraction'].mean():.2f} "
                     f"(1/(β+1) = {1 / (cfg.beta + 1):.2f}), {compute * 1000:.0f} ms of "
                     "compute per epoch")
    return "; ".join(parts)


def _pick_rate(runs: list[Any]) -> str:
    parts = []
    for cfg, late in _rows(runs):
        parts.append(f"mislabeled share of backprops {late['mislabel_pick_rate'].mean():.2f} "
                     f"against {cfg.mislabel_fraction:.2f} of the data")
    return "; ".join(parts)


def _forwards(runs: list[Any]) -> str:
    return "; ".join(f"staleness {r.config.staleness}: "
                     f"{int(r.metrics['total_forwarded'].iloc[-1]):,} selection forwards in "
                     f"{len(r.metrics)} epochs" for r in runs if len(r.metrics))


def _priming(runs: list[Any]) -> str:
    parts = []
    for r in runs:
        if not len(r.metrics):
            continue
        keep = r.metrics["keep_fraction"].to_numpy(float)
        later = f", later epochs {np.mean(keep[1:]):.2f}" if len(keep) > 1 else ""
        parts.append(f"epoch 1 keep fraction {keep[0]:.2f}{later}")
    return "; ".join(parts)


def _gradient_ratio(runs: list[Any]) -> str:
    parts = []
    for r in runs:
        h = health(r)
        if h["first"] != h["first"]:
            continue
        m = r.metrics
        primed = m[m["priming"].astype(bool)]["test_accuracy"]
        late = after_priming(r)["test_accuracy"]
        dip = (f", accuracy {primed.iloc[-1]:.3f} at the end of priming, lowest "
               f"{late.min():.3f} after" if len(primed) and len(late) else "")
        parts.append(f"lr {r.config.lr:g}: gradient ratio {h['first']:.2f}× when selection "
                     f"started{dip}" + (" — warned" if h["warning"] else ""))
    return "; ".join(parts)


def _accuracy_and_backprops(runs: list[Any]) -> str:
    return "; ".join(f"{r.name}: test accuracy {r.metrics['test_accuracy'].iloc[-1]:.3f} after "
                     f"{int(r.metrics['total_backprops'].iloc[-1]):,} backprops"
                     for r in runs if len(r.metrics))


def _late_mean(column: str) -> Callable[[list[Any]], float]:
    """The mean of `column` after priming in the last run (NaN if it has no epochs)."""
    def score(runs: list[Any]) -> float:
        rows = _rows(runs[-1:])
        return float(rows[0][1][column].mean()) if rows else float("nan")
    return score


def _forward_ratio(runs: list[Any]) -> float:
    n = [r.metrics["total_forwarded"].iloc[-1] for r in runs if len(r.metrics)]
    return float(n[-1] / n[0]) if len(n) == 2 and n[0] else float("nan")


def _first_keep(runs: list[Any]) -> float:
    m = runs[0].metrics if runs else []
    return float(m["keep_fraction"].iloc[0]) if len(m) else float("nan")


def _sb_minus_uniform(runs: list[Any]) -> float:
    acc = [r.metrics["test_accuracy"].iloc[-1] if len(r.metrics) else float("nan")
           for r in runs[:2]]
    return float(100 * (acc[0] - acc[1])) if len(acc) == 2 else float("nan")


def _last_ratio(runs: list[Any]) -> float:
    return float(health(runs[-1])["first"]) if runs else float("nan")


LESSON = (
    Experiment(
        "beta", "1. How selective is β?",
        "SB keeps an example with probability percentile^β. With β = 5, what share of the "
        "examples is backpropped each epoch?",
        ("all of them", "about half", "about one in six", "almost none"),
        ({"beta": 0.0, "mislabel_fraction": 0.0}, {"beta": 2.0, "mislabel_fraction": 0.0},
         {"beta": 5.0, "mislabel_fraction": 0.0}),
        "the keep fraction in the status line and the accuracy against <i>backprops</i>",
        "On average 1/(β+1) of the examples: β = 0 is traditional training, β = 2 keeps a "
        "third, β = 5 a sixth. Fewer backward passes make an epoch cheaper, but every example "
        "still costs a forward pass to be ranked.", _keep_and_speed,
        answer="about one in six", score=_late_mean("keep_fraction"),
        score_label="keep fraction at β = 5 (1/6 = 0.17)"),
    Experiment(
        "mislabels", "2. What does SB do with wrong labels?",
        "20% of the labels are flipped. Will SB backprop mislabeled examples more often, as "
        "often, or less often than their 20% share?",
        ("more often", "as often", "less often"),
        ({"beta": 2.0, "mislabel_fraction": 0.2},),
        "the mislabel pick rate climbing above its dashed base rate, and the gallery "
        "<i>Mislabeled, most backpropped</i> filling up",
        "More often: a wrong label keeps a high loss however well the network learns, so SB "
        "keeps picking it. Loss-based selection spends effort on noise.", _pick_rate,
        answer="more often", score=_late_mean("mislabel_pick_rate"),
        score_label="mislabel pick rate (their share of the data: 0.20)"),
    Experiment(
        "stale", "3. Stale-SB: reuse old losses",
        "With staleness 3, SB ranks examples by losses up to 3 epochs old and skips the "
        "selection forward pass in between. How many selection forwards does it need?",
        ("as many as SB", "about a third", "none"),
        ({"beta": 2.0, "staleness": 1, "mislabel_fraction": 0.0},
         {"beta": 2.0, "staleness": 3, "mislabel_fraction": 0.0}),
        "the forwarded count in the status line of each run (focus one, then the other)",
        "About a third (after priming): a fresh loss every third epoch is enough to rank most "
        "examples, and the saved forward passes are the largest cost left in plain SB.",
        _forwards, answer="about a third", score=_forward_ratio,
        score_label="selection forwards, staleness 3 ÷ staleness 1"),
    Experiment(
        "priming", "4. Why does SB prime?",
        "In the first epoch SB backprops every example. Why?",
        ("no losses seen yet to rank by", "the first epoch is free", "β starts at 0"),
        ({"beta": 2.0, "mislabel_fraction": 0.0, "epochs": 6},),
        "epoch 1's keep fraction (1.00) against the next epochs'",
        "With no loss history, every percentile is guesswork: SB first trains on everything "
        "until it has seen enough losses to rank them (the run's prime_examples).", _priming,
        pace=1.0, answer="no losses seen yet to rank by", score=_first_keep,
        score_label="keep fraction in epoch 1"),
    Experiment(
        "rivals", "5. SB against a random third and InfoBatch",
        "SB, a random third of each batch (uniform) and InfoBatch (it prunes some easy "
        "examples) train side by side. Which ends most accurate for its backprops?",
        ("SB", "the random third", "InfoBatch", "about the same"),
        ({"policy": "sb", "beta": 2.0, "mislabel_fraction": 0.0},
         {"policy": "uniform", "keep": 1 / 3, "mislabel_fraction": 0.0},
         {"policy": "infobatch", "mislabel_fraction": 0.0}),
        "the accuracy against <i>backprops</i> in the curves (set the x axis to backprops)",
        "SB and the random third spend about the same backprops; if SB is ahead, choosing by "
        "loss helped. InfoBatch spends more (it keeps every hard example and, at the end, "
        "everything). A fair comparison matches budgets: notebook 08 adds traditional training "
        "given SB's budget, with its schedule ending there.", _accuracy_and_backprops,
        score=_sb_minus_uniform,
        score_label="SB's final accuracy minus the random third's (points)"),
    Experiment(
        "health", "6. When does SB overshoot?",
        "Two SB runs differ only in their learning rate (0.01 and 0.05). Once selection starts, "
        "SB's batches hold the high-loss examples. What happens to the size of each step?",
        ("it stays the same", "it grows, more at the higher rate", "it shrinks"),
        ({"model": "mlp", "lr": 0.01, "beta": 2.0, "mislabel_fraction": 0.0},
         {"model": "mlp", "lr": 0.05, "beta": 2.0, "mislabel_fraction": 0.0}),
        "the <i>gradient ratio</i> in each run's status line, and the warning under it",
        "High-loss examples have larger gradients: once SB selects them, a learning rate tuned "
        "on random batches takes steps the gradient ratio times larger. The ratio stays near 1 "
        "at a careful rate and jumps at a high one, where SB's accuracy can collapse after "
        "priming: the dashboard warns, and a lower rate (or longer priming) fixes it.",
        _gradient_ratio, answer="it grows, more at the higher rate", score=_last_ratio,
        score_label="gradient ratio at lr 0.05 when selection started"),
)


class ExperimentCard(w.VBox):
    """One experiment: question, prediction choice, Run preset button, the measured answer."""

    def __init__(self, exp: Experiment, run_preset: Callable[[Experiment], list[Any]],
                 reporter: Reporter | None = None):
        self.exp, self._run_preset, self.runs = exp, run_preset, []
        self.reporter = reporter  # the teacher's view, when the app has one
        self.choice = w.RadioButtons(options=list(exp.choices), value=None,
                                     layout=w.Layout(width="auto"))
        self.button = w.Button(description="Run this experiment", icon="play", disabled=True,
                               button_style="primary", layout=w.Layout(width="200px"),
                               tooltip="predict first; stops this tab's running runs, then "
                                       "starts the preset")
        self.answer = w.HTML("")
        self.choice.observe(lambda _: setattr(self.button, "disabled", False), "value")
        self.button.on_click(lambda _: self.run())
        super().__init__([
            w.HTML(f"<b>{html.escape(exp.title)}</b><br>Predict: {html.escape(exp.question)}"),
            self.choice, self.button, self.answer],
            layout=w.Layout(border="1px solid #DDDDDD", padding="6px", margin="4px 0"))

    def run(self) -> list[Any]:
        """Start the preset's runs; the answer appears once all of them have ended."""
        if self.reporter is not None and self.choice.value is not None:
            self.reporter.predict(self.exp.key, self.choice.value)
        self.runs = [r for r in self._run_preset(self.exp) if r is not None]
        self.answer.value = (f"Running {len(self.runs)} run(s). Watch {self.exp.watch}."
                             if self.runs else "")
        left = [len(self.runs)]
        lock = threading.Lock()

        def ended(_: Any) -> None:
            with lock:
                left[0] -= 1
                if left[0] == 0:
                    self.reveal()

        for r in self.runs:
            r.add_done_callback(ended)
        return self.runs

    def reveal(self) -> None:
        runs = [r.record for r in self.runs]
        measured = self.exp.measure(runs)
        if self.reporter is not None:
            self.reporter.result(self.exp.key, self.exp.score(runs))
        you = html.escape(self.choice.value or "nothing")
        self.answer.value = (f"You predicted <i>{you}</i>. {html.escape(self.exp.explain)}"
                             + (f"<br><b>Measured:</b> {html.escape(measured)}" if measured
                                else ""))


class Lesson(w.VBox):
    """The lesson's experiments as cards; `run_preset(exp)` starts an experiment's runs; a
    `reporter` sends each prediction and measured score to the teacher's view."""

    def __init__(self, run_preset: Callable[[Experiment], list[Any]],
                 experiments: tuple[Experiment, ...] = LESSON, reporter: Reporter | None = None):
        self.cards = [ExperimentCard(e, run_preset, reporter) for e in experiments]
        intro = w.HTML("<b>Lesson</b>: for each experiment, pick what you expect, then run it. "
                       "Runs are paced: drag β, Pause or train +1 epoch while they train.")
        super().__init__([intro, *self.cards], layout=w.Layout(width="360px"))
