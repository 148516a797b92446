"""The teacher's view of the room: per lesson card, how many students chose each prediction,
the class's measured results as they arrive, and the answer, revealed with one click.

A small HTTP server beside the students' app (`sbexplore app --teacher`), with its own token,
required on every request, loopback included. It reads the class's store (`ui.room`); the
students' pages have no route to it.
"""

from __future__ import annotations

import html
import json
import math
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from sbexplore.ui.lesson import LESSON, Experiment
from sbexplore.ui.room import Room

POLL_MS = 2000  # the page asks for the tally this often


def tally(room: Room, experiments: tuple[Experiment, ...] = LESSON) -> dict[str, Any]:
    """Per card: the predictions counted per choice, the measured results (values only) and,
    once revealed, the answer."""
    predictions, results, revealed = room.predictions(), room.results(), room.revealed()
    cards = []
    for e in experiments:
        p = predictions[predictions["card"] == e.key]
        counts = dict(zip(p["choice"], p["students"].astype(int), strict=True))
        values = [float(v) for v in results.loc[results["card"] == e.key, "value"]
                  if math.isfinite(v)]
        shown = e.key in revealed
        cards.append({
            "key": e.key, "title": e.title, "question": e.question,
            "choices": [{"choice": c, "students": counts.get(c, 0)} for c in e.choices],
            "results": {"label": e.score_label, "n": len(values), "values": values,
                        "mean": sum(values) / len(values) if values else None},
            "revealed": shown,
            "answer": (e.answer or "the class's measurements decide") if shown else None,
        })
    return {"cards": cards}


PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>sbexplore: the room</title>
<style>body{font-family:sans-serif;margin:16px;max-width:1100px}
.card{border:1px solid #ddd;padding:8px 12px;margin:8px 0}
.bar{background:#0072B2;height:14px;display:inline-block;vertical-align:middle}
.right .bar{background:#009E73} .right{font-weight:bold}
td{padding:2px 8px} .muted{color:#666}</style></head><body>
<h2>The room: predictions, then what the class measured</h2>
<p class="muted">Anonymous: each student is a count and a number. Updates every %POLL% s.</p>
<div id="cards">loading…</div>
<script>
const token = new URLSearchParams(location.search).get('token');
const esc = s => String(s).replace(/[&<>"']/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;',
  '"':'&quot;',"'":'&#39;'}[c]));
async function reveal(card) {
  await fetch('reveal?card=' + encodeURIComponent(card) + '&token=' + token, {method: 'POST'});
  draw();
}
async function draw() {
  const r = await fetch('tally?token=' + token);
  if (!r.ok) { document.getElementById('cards').textContent = 'refused: ' + r.status; return; }
  const t = await r.json();
  document.getElementById('cards').innerHTML = t.cards.map(c => {
    const most = Math.max(1, ...c.choices.map(x => x.students));
    const rows = c.choices.map(x => `<tr class="${c.revealed && x.choice === c.answer ?
      'right' : ''}"><td>${esc(x.choice)}</td><td><span class="bar" style="width:${
      200 * x.students / most}px"></span> ${x.students}</td></tr>`).join('');
    const v = c.results.values, res = v.length ? `${v.length} result(s), mean ${
      c.results.mean.toFixed(2)}, from ${Math.min(...v).toFixed(2)} to ${
      Math.max(...v).toFixed(2)}` : 'no results yet';
    return `<div class="card" data-card="${esc(c.key)}"><b>${esc(c.title)}</b><br>${
      esc(c.question)}<table>${rows}</table><div>Measured (${esc(c.results.label)}): <span
      class="results">${res}</span></div>${c.revealed ? `<div class="answer">Answer: <b>${
      esc(c.answer)}</b></div>` : `<button onclick="reveal('${esc(c.key)}')">Reveal the
      answer</button>`}</div>`;
  }).join('');
}
draw(); setInterval(draw, %POLL_MS%);
</script></body></html>"""


class TeacherView:
    """Serve the teacher's page for `room` on `host:port` (0: a free port), with `token`."""

    def __init__(self, room: Room, token: str | None = None, host: str = "127.0.0.1",
                 port: int = 0, experiments: tuple[Experiment, ...] = LESSON):
        self.room, self.experiments = room, experiments
        self.token = token or secrets.token_urlsafe(24)
        if not self.token.strip():
            raise ValueError("token='' is not allowed: the teacher's view needs a token")
        self.server = ThreadingHTTPServer((host, port), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                       name="sbexplore-teacher")

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def start(self) -> TeacherView:
        self.thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        view = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet: the class's server log is Voilà's
                pass

            def _allowed(self, query: dict[str, list[str]]) -> bool:
                given = (query.get("token") or [""])[0]
                auth = self.headers.get("Authorization", "")
                if auth.lower().startswith("token "):
                    given = auth[6:].strip()
                return secrets.compare_digest(given.encode(), view.token.encode())

            def _send(self, code: int, body: str, kind: str = "text/plain") -> None:
                data = body.encode()
                self.send_response(code)
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def _route(self, method: str) -> None:
                url = urlparse(self.path)
                query = parse_qs(url.query)
                if not self._allowed(query):
                    return self._send(403, "the teacher's view needs its token (?token=...)")
                if method == "GET" and url.path == "/":
                    page = PAGE.replace("%POLL_MS%", str(POLL_MS)).replace(
                        "%POLL%", f"{POLL_MS / 1000:g}")
                    return self._send(200, page, "text/html")
                if method == "GET" and url.path == "/tally":
                    return self._send(200, json.dumps(tally(view.room, view.experiments)),
                                      "application/json")
                if method == "POST" and url.path == "/reveal":
                    card = (query.get("card") or [""])[0]
                    if card not in {e.key for e in view.experiments}:
                        return self._send(400, f"card={html.escape(card)!r} is not a lesson card")
                    view.room.reveal(card)
                    return self._send(200, "revealed")
                return self._send(404, "not found")

            def do_GET(self) -> None:  # noqa: N802 (http.server's names)
                self._route("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._route("POST")

        return Handler
