"""The class's store and the teacher's view: anonymous predictions and results, tallied; the
view refuses any request without its token (no server of Voilà's is started here)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest
import torch
from conftest import wait_until

from sbexplore.jobs.background import start
from sbexplore.ui.lesson import LESSON, ExperimentCard
from sbexplore.ui.room import Reporter, Room
from sbexplore.ui.teacher import TeacherView, tally


def test_every_card_has_a_choice_for_its_answer_and_a_score_label():
    for e in LESSON:
        assert e.answer is None or e.answer in e.choices, e.key
        assert e.score_label, e.key
    assert sum(e.answer is None for e in LESSON) == 1  # SB vs rivals: measurements decide


def test_concurrent_students_are_counted_once_each_and_stay_anonymous(tmp_path):
    room = Room(tmp_path / "room" / "class.sqlite")
    students = [Reporter(Room(room.path)) for _ in range(8)]  # a connection per kernel

    def answer(i: int, r: Reporter) -> None:
        r.predict("beta", "about half")
        r.predict("beta", "about one in six" if i % 4 else "all of them")  # changed mind
        r.result("beta", 0.15 + i / 100)

    threads = [threading.Thread(target=answer, args=(i, r)) for i, r in enumerate(students)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    p = room.predictions().set_index("choice")["students"]
    assert p.to_dict() == {"about one in six": 6, "all of them": 2}
    res = room.results()
    assert list(res.columns) == ["card", "value"] and len(res) == 8  # values, no student ids
    students[0].result("beta", float("nan"))  # nothing measured: nothing stored
    assert len(room.results()) == 8


def test_a_card_reports_its_prediction_then_its_measured_score(tmp_path, tiny):
    room = Room(tmp_path / "class.sqlite")
    exp = next(e for e in LESSON if e.key == "beta")
    card = ExperimentCard(exp, lambda e: [start(tiny.replace(**o), save=False) for o in e.runs],
                          reporter=Reporter(room))
    card.choice.value = "about one in six"
    card.run()
    assert room.predictions()["choice"].tolist() == ["about one in six"]
    assert wait_until(lambda: len(room.results()) == 1, 60)
    keep = room.results()["value"].iloc[0]
    assert 0.05 < keep < 0.4  # β = 5's realised keep fraction, about 1/6


def _get(url: str, method: str = "GET", headers: dict | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.fixture
def view(tmp_path):
    room = Room(tmp_path / "class.sqlite")
    v = TeacherView(room, token="teacher-secret").start()
    yield v
    v.close()


def test_the_teachers_view_needs_its_token_on_every_route(view):
    base = f"http://127.0.0.1:{view.port}"
    for path in ("/", "/tally", "/tally?token=wrong", "/?token=", "/nope"):
        assert _get(base + path)[0] == 403, path
    assert _get(base + "/reveal?card=beta", "POST")[0] == 403
    assert view.room.revealed() == set()
    code, page = _get(base + "/?token=teacher-secret")
    assert code == 200 and "The room" in page
    code, _ = _get(base + "/tally", headers={"Authorization": "token teacher-secret"})
    assert code == 200
    assert _get(base + "/nope?token=teacher-secret")[0] == 404


def test_the_tally_counts_predictions_then_reveals_the_answer(view):
    base = f"http://127.0.0.1:{view.port}"
    for i, choice in enumerate(["more often", "more often", "as often"]):
        Reporter(view.room, f"s{i}").predict("mislabels", choice)
    Reporter(view.room, "s0").result("mislabels", 0.41)
    card = next(c for c in json.loads(_get(base + "/tally?token=teacher-secret")[1])["cards"]
                if c["key"] == "mislabels")
    assert {c["choice"]: c["students"] for c in card["choices"]} == {
        "more often": 2, "as often": 1, "less often": 0}
    assert card["results"]["values"] == [0.41] and card["answer"] is None  # not yet revealed
    assert _get(base + "/reveal?card=nonsense&token=teacher-secret", "POST")[0] == 400
    assert _get(base + "/reveal?card=mislabels&token=teacher-secret", "POST")[0] == 200
    shown = {c["key"]: c for c in tally(view.room)["cards"]}
    assert shown["mislabels"]["answer"] == "more often" and not shown["beta"]["revealed"]


def test_the_apps_lesson_presets_start_their_runs(tmp_path, monkeypatch):
    """Every card's preset starts its runs on the app's dashboard (a recipe's epochs, None in
    the config, are shown as the recipe's number) and reports to the room."""
    from sbexplore.ui.app import App

    monkeypatch.setenv("SBEXPLORE_ROOM", str(tmp_path / "class.sqlite"))
    monkeypatch.chdir(tmp_path)  # the runs' folders
    threads = torch.get_num_threads()
    app = App()
    try:
        for card in app.lesson.cards:
            card.choice.value = card.exp.choices[0]
            runs = card.run()
            assert len(runs) == len(card.exp.runs), card.exp.key
            assert app.dashboard.controls.epochs.value == runs[-1].config.resolved().epochs
            for r in runs:
                r.stop()
            for r in runs:
                r.join(30)
        assert len(Room(tmp_path / "class.sqlite").predictions()) == len(LESSON)
    finally:
        app.dashboard.stop_all()
        app.dashboard.close()
        torch.set_num_threads(threads)  # App() capped this process's threads at the class's
