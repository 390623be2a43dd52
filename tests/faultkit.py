"""What the fault suite needs around a real stack: its own Redis and PostgreSQL to stop and start,
a shop that keeps re-sending what the webhook refused, and an audit of what came out.

The services are private to the suite (own ports, own data directories), so
stopping them takes nothing away from the other tests or from anyone else's
Redis and PostgreSQL on the machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlmodel import select

from descflow.services import LocalRedis, free_port
from schemas.tables import DescriptionCandidate, FailedTask, InboundEvent, PublishedDescription, ReviewSentimentRow
from tests.factories import product_event, review_event
from tests.stack import Stack
from workers.outbound import STREAM

PLUGIN = Path(__file__).resolve().parent / "fault_plugin"

REVIEW_TEXTS = [
    ("Great sound and the battery lasts all week.", 5),
    ("The headband broke after two weeks, disappointed.", 1),
    ("Comfortable, the charging port is handy.", 4),
    ("Bluetooth keeps dropping, would not buy again.", 2),
]


# ---- services that can be stopped ------------------------------------------------------


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))), None)
    if not found:
        raise RuntimeError(f"{name} not found: install PostgreSQL's server package (apt-get install postgresql)")
    return str(found)


class PrivatePostgres:
    """A PostgreSQL cluster of its own (initdb in a temporary directory), trust auth on loopback.

    PostgreSQL refuses to run as root, so under root the cluster belongs to the
    `postgres` user that Debian's package creates.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="descflow-pg-"))
        self.data = self.root / "data"
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(self.root, "postgres")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *cmd: str, timeout: float = 60) -> None:
        done = subprocess.run([*self._as, *cmd], capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            raise RuntimeError(f"{' '.join(cmd)} failed: {done.stdout}{done.stderr}")

    def init(self) -> PrivatePostgres:
        self._run(_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync")
        return self.start()

    def start(self) -> PrivatePostgres:
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", opts, "-w",
                  "start")
        return self

    def stop(self) -> None:
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_database(self, name: str) -> str:
        import sqlalchemy as sa

        admin = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'create database "{name}"'))
        admin.dispose()
        return self.url(name)

    def destroy(self) -> None:
        try:
            self.stop()
        except Exception:
            pass
        shutil.rmtree(self.root, ignore_errors=True)


def restartable_redis(tmp: Path) -> LocalRedis:
    """Persistent, as production runs it: queued tasks survive the restart."""
    return LocalRedis(tmp / "redis", persistent=True).start()


# ---- the shop: events out, 503s re-sent -----------------------------------------------------


def _catalog(n: int) -> list[dict[str, Any]]:
    """n varied products of the kinds the test model was trained on (so that their texts differ)."""
    from producers.samples.phrasebank import generate_pairs

    kinds = {"headphones", "power_banks"}
    found: list[dict[str, Any]] = []
    seed = 11
    while len(found) < n:
        found += [p["product"] for p in generate_pairs(2000, seed=seed) if p["product"]["category"] in kinds]
        seed += 1
    return found[:n]


def event_stream(n_products: int, reviews_every: int = 2, *, marks: dict[int, str] | None = None) -> list[dict]:
    """n products, and a review for every `reviews_every`-th of them right after it; marks: title suffix by index."""
    events: list[dict[str, Any]] = []
    for i, item in enumerate(_catalog(n_products)):
        fields = {k: item[k] for k in ("title", "category", "locale", "brand", "price", "attributes")}
        if marks and i in marks:
            fields["title"] += f" {marks[i]}"
        product = product_event(**fields, seller_description=None)
        events.append(product)
        if reviews_every and i % reviews_every == 0:
            text, rating = REVIEW_TEXTS[i % len(REVIEW_TEXTS)]
            events.append(review_event(product["product_id"], text=text, rating=rating))
    return events


class Shop(threading.Thread):
    """Posts events to the webhook at a steady rate, as a shop's deliverer does: a 503 is sent again later."""

    def __init__(self, stack: Stack, events: list[dict], rate: float, *, give_up_after: float = 180.0):
        super().__init__(daemon=True)
        from producers.webhook import create_app

        self.client = TestClient(create_app(stack.settings))
        self.stack, self.events, self.rate, self.give_up_after = stack, events, rate, give_up_after
        self.accepted: list[str] = []
        self.refused: Counter[int] = Counter()  # status code -> times
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for event in self.events:
                started = time.monotonic()
                self._deliver(event)
                time.sleep(max(0.0, 1.0 / self.rate - (time.monotonic() - started)))
        except BaseException as exc:  # surfaced by finish()
            self.error = exc

    def _deliver(self, event: dict) -> None:
        body, headers = self.stack.signed(event)
        deadline, pause = time.monotonic() + self.give_up_after, 0.2
        while True:
            try:
                response = self.client.post("/events", content=body, headers=headers)
                code = response.status_code
            except httpx.HTTPError:
                code = 599
            if code in (200, 202):
                self.accepted.append(event["event_id"])
                return
            self.refused[code] += 1
            if code != 503 or time.monotonic() > deadline:
                raise AssertionError(f"webhook answered {code} for {event['event_id']}: "
                                     f"{response.text if code != 599 else 'no answer'}")
            time.sleep(pause)
            pause = min(pause * 2, 2.0)
            body, headers = self.stack.signed(event)  # a fresh timestamp for the new delivery

    def finish(self, timeout: float = 240) -> None:
        self.join(timeout)
        assert not self.is_alive(), "the shop could not deliver its events in time"
        if self.error:
            raise self.error


# ---- what came out ------------------------------------------------------------------------


@dataclass
class Audit:
    products: int
    reviews: int
    published: int
    failed: int
    lost: list[str]
    duplicated: list[str]
    orphans: list[str]
    dead: dict[str, str] = field(default_factory=dict)  # event id -> task: error, of its dead letters

    @property
    def settled(self) -> bool:
        return not self.lost


def audit(stack: Stack, events: list[dict], accepted: list[str]) -> Audit:
    """Every accepted event ends as exactly one outcome; nothing twice, nothing left half-written.

    A product event: one published version for its locale (or a dead letter that
    names it). A review: one sentiment row. The outbound stream: one entry per
    published version. Candidates: none without an inbound event, and every
    published candidate set complete and ranked, its chosen ones published once each.
    """
    accepted_set = set(accepted)
    products = [e for e in events if e["event_type"].startswith("product.") and e["event_id"] in accepted_set]
    reviews = [e for e in events if e["event_type"] == "review.received" and e["event_id"] in accepted_set]
    with stack.store.session() as s:
        published = Counter(r.event_id for r in s.exec(select(PublishedDescription)))
        letters = {str(r.args[0]): f"{r.task}: {r.error[:200]}"
                   for r in s.exec(select(FailedTask).where(FailedTask.status == "dead")) if r.args}
        dead = set(letters)
        sentiment = Counter(r.review_id for r in s.exec(select(ReviewSentimentRow)))
        status = {r.event_id: r.status for r in s.exec(select(InboundEvent))}
        candidates = list(s.exec(select(DescriptionCandidate)))
    lost, duplicated, orphans = [], [], []
    for kind, group, outcomes, subject in (("product", products, published, "event_id"),
                                           ("review", reviews, sentiment, "review_id")):
        for e in group:
            n = outcomes[e[subject]]
            if n == 0 and e["event_id"] not in dead:
                lost.append(f"{e['event_id']} ({kind}, {status.get(e['event_id'], 'not in inbound_events')})")
            elif n > 1:
                duplicated.append(f"{kind} {e[subject]}: {n} outcomes")
    announced = Counter((entry["source_event_id"], entry["locale"], entry["version"])
                        for entry in (json.loads(f[b"event"]) for _, f in stack.redis.xrange(STREAM)))
    duplicated += [f"{key}: announced {n} times" for key, n in announced.items() if n > 1]
    by_set: dict[str, list[DescriptionCandidate]] = {}
    for c in candidates:
        if c.event_id not in status:
            orphans.append(f"candidate {c.id} of unknown event {c.event_id}")
        by_set.setdefault(f"{c.event_id}/{c.locale}", []).append(c)
    wanted = stack.settings.candidates + 1  # the model's and the realiser's
    for e in products:
        if not published[e["event_id"]]:
            continue
        cands = by_set.get(f"{e['event_id']}/{e['locale']}", [])
        chosen = sum(c.chosen for c in cands)  # one per audience, each published once
        if len(cands) != wanted or chosen != published[e["event_id"]] or any(c.stage != "ranked" for c in cands):
            orphans.append(f"{e['event_id']}: {len(cands)} candidates, {sum(c.chosen for c in cands)} chosen, "
                           f"stages {sorted({c.stage for c in cands})}")
    return Audit(products=len(products), reviews=len(reviews), published=sum(published[e["event_id"]] > 0
                 for e in products), failed=len(dead & accepted_set), lost=lost, duplicated=duplicated,
                 orphans=orphans, dead={k: v for k, v in letters.items() if k in accepted_set})


def wait_settled(stack: Stack, events: list[dict], accepted: list[str], timeout: float) -> tuple[Audit, float]:
    """Poll the audit until nothing is missing; returns it and the time it took to get there."""
    started = time.monotonic()
    while True:
        result = audit(stack, events, accepted)
        if result.settled or time.monotonic() - started > timeout:
            return result, time.monotonic() - started
        stack.check_workers()
        time.sleep(1.0)


def published_count(stack: Stack) -> int:
    with stack.store.session() as s:
        return len(list(s.exec(select(PublishedDescription.id))))


def wait_published(stack: Stack, at_least: int, timeout: float = 180) -> float:
    """Block until at least n versions are out; returns the monotonic time it happened."""
    return stack.wait_for(lambda: published_count(stack) >= at_least and time.monotonic(), timeout,
                          f"{at_least} published descriptions")


def resumed_after(stack: Stack, since_count: int, timeout: float = 180) -> float:
    """The monotonic time publishing moved past `since_count` again."""
    return wait_published(stack, since_count + 1, timeout)


# ---- the figures table ----------------------------------------------------------------------


@dataclass
class Figures:
    scenario: str
    sent: int
    published: int
    failed: int
    lost: int
    duplicated: int
    recovery_s: float
    settled_s: float
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


FIGURES: list[Figures] = []


def record(scenario: str, result: Audit, recovery_s: float, settled_s: float, notes: str = "", **extra: Any) -> None:
    FIGURES.append(Figures(scenario, result.products + result.reviews, result.published, result.failed,
                           len(result.lost), len(result.duplicated), round(recovery_s, 1), round(settled_s, 1),
                           notes, extra))


def figures_table() -> str:
    head = f"{'scenario':<34} {'sent':>5} {'published':>9} {'failed':>6} {'lost':>4} {'dup':>4} " \
           f"{'recovery s':>10} {'settled s':>9}  notes"
    lines = [head, "-" * len(head)]
    for f in FIGURES:
        lines.append(f"{f.scenario:<34} {f.sent:>5} {f.published:>9} {f.failed:>6} {f.lost:>4} {f.duplicated:>4} "
                     f"{f.recovery_s:>10.1f} {f.settled_s:>9.1f}  {f.notes}")
    return "\n".join(lines)


def write_figures(path: Path) -> None:
    path.write_text(json.dumps([asdict(f) for f in FIGURES], indent=2), encoding="utf-8")
