"""The class's answers: each student's prediction and measured result per lesson card, kept
anonymously in one SQLite file that every student's kernel writes and the teacher's view reads.

A student is a random id drawn when their kernel starts: nothing else of them is stored. Each
write is one transaction, so concurrent kernels never leave a half-written row; a student who
predicts again replaces their prediction.
"""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
import warnings
from pathlib import Path

import pandas as pd

ENV_ROOM = "SBEXPLORE_ROOM"  # the store's path, set by `sbexplore app --teacher`
_SCHEMA = """
CREATE TABLE IF NOT EXISTS predictions (student TEXT, card TEXT, choice TEXT, at REAL,
                                        PRIMARY KEY (student, card));
CREATE TABLE IF NOT EXISTS results (student TEXT, card TEXT, value REAL, at REAL,
                                    PRIMARY KEY (student, card));
CREATE TABLE IF NOT EXISTS revealed (card TEXT PRIMARY KEY, at REAL);
"""


class Room:
    """One class's store (`path`: a SQLite file, created with its folder if missing)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")  # readers never block the writing kernels
            db.executescript(_SCHEMA)

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def _write(self, sql: str, args: tuple) -> None:
        db = self._db()
        try:
            with db:  # one transaction: committed whole, or rolled back
                db.execute(sql, args)
        finally:
            db.close()

    def predict(self, student: str, card: str, choice: str) -> None:
        self._write("INSERT OR REPLACE INTO predictions VALUES (?, ?, ?, ?)",
                    (student, card, choice, time.time()))

    def result(self, student: str, card: str, value: float) -> None:
        self._write("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?)",
                    (student, card, float(value), time.time()))

    def reveal(self, card: str) -> None:
        self._write("INSERT OR IGNORE INTO revealed VALUES (?, ?)", (card, time.time()))

    def _read(self, sql: str) -> pd.DataFrame:
        db = self._db()
        try:
            return pd.read_sql_query(sql, db)
        finally:
            db.close()

    def predictions(self) -> pd.DataFrame:
        """Students per (card, choice): columns card, choice, students."""
        return self._read("SELECT card, choice, COUNT(*) AS students FROM predictions "
                          "GROUP BY card, choice")

    def results(self) -> pd.DataFrame:
        """Every student's measured result: columns card, value (no student ids)."""
        return self._read("SELECT card, value FROM results ORDER BY at")

    def revealed(self) -> set[str]:
        return set(self._read("SELECT card FROM revealed")["card"])


class Reporter:
    """What one student's kernel sends to the room: an anonymous id and its writes. A store
    that fails (a full disk, a removed folder) must not break the student's lesson."""

    def __init__(self, room: Room, student: str | None = None):
        self.room, self.student = room, student or uuid.uuid4().hex

    def predict(self, card: str, choice: str) -> None:
        self._safe(self.room.predict, card, choice)

    def result(self, card: str, value: float) -> None:
        if value == value:  # NaN: nothing measured
            self._safe(self.room.result, card, value)

    def _safe(self, write, *args) -> None:
        try:
            write(self.student, *args)
        except sqlite3.Error as exc:
            warnings.warn(f"the class's store {self.room.path} refused a write: {exc}",
                          RuntimeWarning, stacklevel=3)


def reporter_from_env() -> Reporter | None:
    """This kernel's reporter when the app runs with a teacher's view ($SBEXPLORE_ROOM)."""
    path = os.environ.get(ENV_ROOM, "").strip()
    return Reporter(Room(path)) if path else None
